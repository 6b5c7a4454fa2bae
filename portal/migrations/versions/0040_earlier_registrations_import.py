"""imports of earlier registrations: the kind of an import, its columns, the rows' dates

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0040'
down_revision = '0039'
branch_labels = None
depends_on = None

KINDS = ('register', 'history')
DATES = ('intake_on', 'reached_on', 'held_on', 'closed_on')


def upgrade():
    # Neither table is counted by the report triggers: no batch rebuild touches them.
    with op.batch_alter_table('register_import', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'kind',
                sa.Enum(*KINDS, name='kind', native_enum=False, create_constraint=True, length=20),
                server_default='register',
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column('columns', sa.Text(), nullable=True))
    with op.batch_alter_table('register_import_row', schema=None) as batch_op:
        for column in DATES:
            batch_op.add_column(sa.Column(column, sa.Date(), nullable=True))


def downgrade():
    # The files an earlier-registrations import made stay; only the record of how is lost.
    with op.batch_alter_table('register_import_row', schema=None) as batch_op:
        for column in DATES:
            batch_op.drop_column(column)
    with op.batch_alter_table('register_import', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_register_import_kind'), type_='check')
        batch_op.drop_column('columns')
        batch_op.drop_column('kind')
