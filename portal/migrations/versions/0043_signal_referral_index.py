"""index the signals of a file

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-07 14:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0043'
down_revision = '0042'
branch_labels = None
depends_on = None


def upgrade():
    # The file page reads a file's signals: without it, every signal of the database.
    op.create_index('ix_signal_referral_id', 'signal', ['referral_id'])


def downgrade():
    op.drop_index('ix_signal_referral_id', table_name='signal')
