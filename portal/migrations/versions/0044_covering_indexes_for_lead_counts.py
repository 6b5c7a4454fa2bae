"""covering indexes for the lead's Today and workload counts

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-08 01:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0044'
down_revision = '0043'
branch_labels = None
depends_on = None


def upgrade():
    # The lead's Today counts open files of their municipalities with an overdue task or
    # milestone: with the id in the index PostgreSQL reads the index alone, not the open files
    # themselves (34 + 23 ms -> 6 + 6 ms at 200,000 files). SQLite keeps the rowid in every
    # index already; the indexes are the same on both.
    op.drop_index('ix_referral_state_municipality', table_name='referral')
    op.create_index(
        'ix_referral_state_municipality',
        'referral',
        ['state', 'municipality_id', 'contact_language_code', 'id'],
    )
    # The workload's open files per toeleider, within the lead's municipalities.
    op.drop_index('ix_referral_owner_state', table_name='referral')
    op.create_index(
        'ix_referral_owner_state', 'referral', ['owner_id', 'state', 'municipality_id', 'id']
    )
    # Overdue milestones and tasks, with the file they belong to.
    op.drop_index('ix_milestone_status_target', table_name='milestone')
    op.create_index(
        'ix_milestone_status_target', 'milestone', ['status', 'target_on', 'referral_id']
    )
    op.create_index(
        'ix_follow_up_task_open_due', 'follow_up_task', ['done_at', 'due_on', 'referral_id']
    )


def downgrade():
    op.drop_index('ix_follow_up_task_open_due', table_name='follow_up_task')
    op.drop_index('ix_milestone_status_target', table_name='milestone')
    op.create_index('ix_milestone_status_target', 'milestone', ['status', 'target_on'])
    op.drop_index('ix_referral_owner_state', table_name='referral')
    op.create_index('ix_referral_owner_state', 'referral', ['owner_id', 'state'])
    op.drop_index('ix_referral_state_municipality', table_name='referral')
    op.create_index(
        'ix_referral_state_municipality',
        'referral',
        ['state', 'municipality_id', 'contact_language_code'],
    )
