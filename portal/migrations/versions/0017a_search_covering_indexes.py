"""search covering indexes

Revision ID: 0017a
Revises: 0016
Create Date: 2026-12-02 17:05:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017a'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('search_key', schema=None) as batch_op:
        batch_op.drop_index('ix_search_key_kind_value')
        batch_op.create_index('ix_search_key_kind_value_person', ['kind', 'value', 'person_id'], unique=False)
        batch_op.drop_index('ix_search_key_person')
        batch_op.create_index('ix_search_key_person_kind_value', ['person_id', 'kind', 'value'], unique=False)

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_person_municipality', ['person_id', 'municipality_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_person_municipality')

    with op.batch_alter_table('search_key', schema=None) as batch_op:
        batch_op.drop_index('ix_search_key_person_kind_value')
        batch_op.create_index('ix_search_key_person', ['person_id'], unique=False)
        batch_op.drop_index('ix_search_key_kind_value_person')
        batch_op.create_index('ix_search_key_kind_value', ['kind', 'value'], unique=False)
