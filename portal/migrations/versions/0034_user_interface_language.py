"""the language of the portal's screens, per user

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-12 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None

LOCALES = ('nl_BE', 'en')


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'ui_locale',
                sa.Enum(
                    *LOCALES,
                    name='uilocale',
                    native_enum=False,
                    create_constraint=True,
                    length=8,
                ),
                nullable=False,
                server_default='nl_BE',
            )
        )


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('ui_locale')
