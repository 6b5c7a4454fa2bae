"""indexes for the file page and the lead's Today page

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
    # The lead's letters to send and overdue milestones: without them, every file and every
    # milestone (30 ms of the lead's Today page at 100,000 files).
    op.create_index(
        'ix_referral_letter_municipality', 'referral', ['needs_letter', 'municipality_id']
    )
    op.create_index('ix_milestone_status_target', 'milestone', ['status', 'target_on'])


def downgrade():
    op.drop_index('ix_milestone_status_target', table_name='milestone')
    op.drop_index('ix_referral_letter_municipality', table_name='referral')
    op.drop_index('ix_signal_referral_id', table_name='signal')
