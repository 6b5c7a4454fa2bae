"""person joins

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'person_join',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kept_id', sa.Integer(), nullable=False),
        sa.Column('absorbed_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('snapshot', sa.Text(), nullable=False),
        sa.Column('undone_at', sa.DateTime(), nullable=True),
        sa.Column('undone_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['absorbed_id'], ['person.id'], name=op.f('fk_person_join_absorbed_id_person')),
        sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_person_join_actor_id_user')),
        sa.ForeignKeyConstraint(['kept_id'], ['person.id'], name=op.f('fk_person_join_kept_id_person')),
        sa.ForeignKeyConstraint(['undone_by_id'], ['user.id'], name=op.f('fk_person_join_undone_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_person_join')),
    )
    with op.batch_alter_table('person_join', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_join_absorbed_id'), ['absorbed_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_join_kept_id'), ['kept_id'], unique=False)

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_person_merged_into_id_person'), 'person', ['merged_into_id'], ['id'])


def downgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_person_merged_into_id_person'), type_='foreignkey')
        batch_op.drop_column('merged_into_id')

    with op.batch_alter_table('person_join', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_join_kept_id'))
        batch_op.drop_index(batch_op.f('ix_person_join_absorbed_id'))

    op.drop_table('person_join')
