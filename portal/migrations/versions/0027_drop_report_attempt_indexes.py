"""drop two contact-attempt indexes the reports used before they read the stored first reach

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 09:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    # Every saved attempt kept both up to date; nothing reads them since 0024.
    op.drop_index('ix_contact_attempt_referral_channel', table_name='contact_attempt')
    op.drop_index('ix_contact_attempt_outcome_at', table_name='contact_attempt')


def downgrade():
    op.create_index(
        'ix_contact_attempt_outcome_at', 'contact_attempt', ['outcome', 'at'], unique=False
    )
    op.create_index(
        'ix_contact_attempt_referral_channel',
        'contact_attempt',
        ['referral_id', 'channel', 'id'],
        unique=False,
    )
