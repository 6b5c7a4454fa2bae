"""appointment revisions for subscribed calendars: a stable UID, a sequence, when it changed

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('appointment', sa.Column('calendar_uid', sa.String(length=80), nullable=True))
    op.add_column(
        'appointment', sa.Column('sequence', sa.Integer(), server_default='0', nullable=False)
    )
    op.add_column('appointment', sa.Column('changed_at', sa.DateTime(), nullable=True))
    # The UID the feed gave every appointment so far: subscribed calendars keep their events.
    op.execute(
        "UPDATE appointment SET calendar_uid = "
        "'appointment-' || CAST(id AS VARCHAR(20)) || '@onthaalportaal'"
    )
    # A cancelled or rescheduled appointment changed when its file's timeline says the first
    # cancellation or move after it was made happened; failing that, when it was made.
    op.execute(
        "UPDATE appointment SET changed_at = COALESCE("
        "(SELECT MIN(e.at) FROM timeline_event e WHERE e.referral_id = appointment.referral_id"
        " AND e.kind IN ('appointment_cancelled', 'rescheduled')"
        " AND e.at > appointment.created_at), created_at) "
        "WHERE status IN ('cancelled', 'rescheduled')"
    )
    # Setting NOT NULL rebuilds the table on SQLite (batch mode).
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.alter_column('calendar_uid', existing_type=sa.String(length=80), nullable=False)
        batch_op.create_index(
            batch_op.f('ix_appointment_calendar_uid'), ['calendar_uid'], unique=False
        )


def downgrade():
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_calendar_uid'))
        batch_op.drop_column('changed_at')
        batch_op.drop_column('sequence')
        batch_op.drop_column('calendar_uid')
