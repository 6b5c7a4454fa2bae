"""intake tokens: the desk's intake form saved twice makes one referral

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    # A nullable column and an index: no table rebuild on SQLite, existing referrals keep
    # NULL, which a unique index allows any number of times.
    op.add_column('referral', sa.Column('intake_token', sa.String(length=64), nullable=True))
    op.create_index(
        op.f('ix_referral_intake_token'), 'referral', ['intake_token'], unique=True
    )


def downgrade():
    op.drop_index(op.f('ix_referral_intake_token'), table_name='referral')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_column('intake_token')
