"""roles as rows: a user's roles in a table of their own instead of a comma-separated list

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

ROLES = ('desk', 'toeleider', 'lead', 'admin')


def _role_type():
    return sa.Enum(
        *ROLES, name='role', native_enum=False, create_constraint=True, length=20
    )


def upgrade():
    op.create_table(
        'user_role',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role', _role_type(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'role'),
    )
    op.create_index(op.f('ix_user_role_role'), 'user_role', ['role'], unique=False)
    connection = op.get_bind()
    user = sa.table('user', sa.column('id', sa.Integer), sa.column('roles', sa.String))
    rows = [
        {'user_id': user_id, 'role': role}
        for user_id, text in connection.execute(sa.select(user.c.id, user.c.roles))
        for role in sorted(set((text or '').split(',')))
        if role in ROLES
    ]
    if rows:
        op.bulk_insert(
            sa.table('user_role', sa.column('user_id', sa.Integer), sa.column('role', sa.String)),
            rows,
        )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('roles')


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('roles', sa.String(length=80), nullable=False, server_default='')
        )
    connection = op.get_bind()
    role = sa.table('user_role', sa.column('user_id', sa.Integer), sa.column('role', sa.String))
    held = {}
    for user_id, name in connection.execute(sa.select(role.c.user_id, role.c.role)):
        held.setdefault(user_id, []).append(name)
    user = sa.table('user', sa.column('id', sa.Integer), sa.column('roles', sa.String))
    for user_id, names in held.items():
        connection.execute(
            user.update().where(user.c.id == user_id).values(roles=','.join(sorted(names)))
        )
    op.drop_index(op.f('ix_user_role_role'), table_name='user_role')
    op.drop_table('user_role')
