"""moments and strikes: when things happened, struck entries, corrected conversations

Revision ID: 0021
Revises: 0017a
Create Date: 2026-12-02 16:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0017a'
branch_labels = None
depends_on = None


def _strike_columns(batch_op, table):
    batch_op.add_column(sa.Column('struck_at', sa.DateTime(), nullable=True))
    batch_op.add_column(sa.Column('struck_by_id', sa.Integer(), nullable=True))
    batch_op.add_column(sa.Column('struck_reason', sa.Text(), nullable=True))
    batch_op.create_foreign_key(
        batch_op.f(f'fk_{table}_struck_by_id_user'), 'user', ['struck_by_id'], ['id']
    )


def upgrade():
    with op.batch_alter_table('contact_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at', sa.DateTime(), nullable=True))
        _strike_columns(batch_op, 'contact_attempt')

    with op.batch_alter_table('timeline_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('happened_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('contact_attempt_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_timeline_event_contact_attempt_id_contact_attempt'),
            'contact_attempt',
            ['contact_attempt_id'],
            ['id'],
            ondelete='SET NULL',
        )
        _strike_columns(batch_op, 'timeline_event')

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('walk_in', sa.Boolean(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('corrected_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('corrected_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_foreign_key(
            batch_op.f('fk_conversation_corrected_by_id_user'), 'user', ['corrected_by_id'], ['id']
        )

    op.create_table(
        'conversation_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('themes_text', sa.Text(), nullable=False),
        sa.Column('written_by_id', sa.Integer(), nullable=False),
        sa.Column('written_at', sa.DateTime(), nullable=False),
        sa.Column('replaced_by_id', sa.Integer(), nullable=False),
        sa.Column('replaced_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['conversation_id'], ['conversation.id'],
            name=op.f('fk_conversation_revision_conversation_id_conversation'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['written_by_id'], ['user.id'], name=op.f('fk_conversation_revision_written_by_id_user')
        ),
        sa.ForeignKeyConstraint(
            ['replaced_by_id'], ['user.id'],
            name=op.f('fk_conversation_revision_replaced_by_id_user'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_revision')),
    )
    with op.batch_alter_table('conversation_revision', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_conversation_revision_conversation_id'), ['conversation_id'], unique=False
        )


def _drop_strike_columns(batch_op, table):
    batch_op.drop_constraint(batch_op.f(f'fk_{table}_struck_by_id_user'), type_='foreignkey')
    batch_op.drop_column('struck_reason')
    batch_op.drop_column('struck_by_id')
    batch_op.drop_column('struck_at')


def downgrade():
    with op.batch_alter_table('conversation_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_revision_conversation_id'))
    op.drop_table('conversation_revision')

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_conversation_corrected_by_id_user'), type_='foreignkey')
        batch_op.drop_column('version')
        batch_op.drop_column('corrected_by_id')
        batch_op.drop_column('corrected_at')
        batch_op.drop_column('walk_in')

    with op.batch_alter_table('timeline_event', schema=None) as batch_op:
        _drop_strike_columns(batch_op, 'timeline_event')
        batch_op.drop_constraint(
            batch_op.f('fk_timeline_event_contact_attempt_id_contact_attempt'), type_='foreignkey'
        )
        batch_op.drop_column('contact_attempt_id')
        batch_op.drop_column('happened_at')

    with op.batch_alter_table('contact_attempt', schema=None) as batch_op:
        _drop_strike_columns(batch_op, 'contact_attempt')
        batch_op.drop_column('recorded_at')
