"""notifications for staff, the e-mail outbox and each user's choice of e-mails

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

KINDS = (
    'new_referral',
    'appointment_booked',
    'reassigned',
    'signal_answered',
    'place_freed',
    'task_due',
)
PREFERENCES = ('none', 'immediate', 'digest')


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'mail_preference',
                sa.Enum(
                    *PREFERENCES,
                    name='mailpreference',
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                nullable=False,
                server_default='none',
            )
        )
    op.create_table(
        'notification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column(
            'kind',
            sa.Enum(
                *KINDS,
                name='notificationkind',
                native_enum=False,
                create_constraint=True,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column('referral_id', sa.Integer(), nullable=False),
        sa.Column('detail', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('read_at', sa.DateTime(), nullable=True),
        sa.Column('mailed_at', sa.DateTime(), nullable=True),
        sa.Column('once_key', sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'once_key', name='uq_notification_user_once_key'),
    )
    op.create_index(
        'ix_notification_user_read', 'notification', ['user_id', 'read_at'], unique=False
    )
    op.create_index(
        'ix_notification_user_created', 'notification', ['user_id', 'created_at'], unique=False
    )
    op.create_index('ix_notification_referral', 'notification', ['referral_id'], unique=False)
    op.create_table(
        'outbox_mail',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_outbox_mail_due', 'outbox_mail', ['next_attempt_at'], unique=False)
    op.create_table(
        'mail_digest',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade():
    op.drop_table('mail_digest')
    op.drop_index('ix_outbox_mail_due', table_name='outbox_mail')
    op.drop_table('outbox_mail')
    op.drop_index('ix_notification_referral', table_name='notification')
    op.drop_index('ix_notification_user_created', table_name='notification')
    op.drop_index('ix_notification_user_read', table_name='notification')
    op.drop_table('notification')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('mail_preference')
