"""the evaluation report's counts per municipality and month, and the triggers that mark a
month changed

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa

from portal.reports import marks


# revision identifiers, used by Alembic.
revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'report_month',
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('municipality_id', 'month', name=op.f('pk_report_month')),
    )
    op.create_table(
        'report_tally',
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('figures', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('municipality_id', 'month', name=op.f('pk_report_tally')),
    )
    # A month counted again reads its own rows, not the whole table.
    op.create_index(op.f('ix_referral_closed_at'), 'referral', ['closed_at'], unique=False)
    op.create_index(op.f('ix_conversation_held_on'), 'conversation', ['held_on'], unique=False)
    op.create_index(
        op.f('ix_partner_referral_referred_on'), 'partner_referral', ['referred_on'], unique=False
    )
    # No tally yet: a report counts each month from the files the first time it is asked
    # for, and keeps it from then on.
    for statement in marks.create_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    for statement in marks.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index(op.f('ix_partner_referral_referred_on'), table_name='partner_referral')
    op.drop_index(op.f('ix_conversation_held_on'), table_name='conversation')
    op.drop_index(op.f('ix_referral_closed_at'), table_name='referral')
    op.drop_table('report_tally')
    op.drop_table('report_month')
