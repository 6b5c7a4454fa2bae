"""the partner role, and the toeleider's feedback to the partner who referred

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-14 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None

ROLES_BEFORE = ('desk', 'toeleider', 'lead', 'admin')
ROLES_AFTER = ROLES_BEFORE + ('partner',)


def _condition(values):
    return f"role IN ({', '.join(repr(v) for v in values)})"


def _replace_role_check(values):
    # On SQLite the constraint is replaced by rebuilding the table (batch mode).
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_role_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_user_role_role'), _condition(values))


def upgrade():
    _replace_role_check(ROLES_AFTER)
    op.create_table(
        'partner_feedback',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('referral_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('arrived', sa.Boolean(), nullable=True),
        sa.Column('message', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['author_id'], ['user.id'], name=op.f('fk_partner_feedback_author_id_user')
        ),
        sa.ForeignKeyConstraint(
            ['referral_id'],
            ['referral.id'],
            name=op.f('fk_partner_feedback_referral_id_referral'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_feedback')),
    )
    with op.batch_alter_table('partner_feedback', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_partner_feedback_referral_id'), ['referral_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('partner_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_feedback_referral_id'))
    op.drop_table('partner_feedback')
    op.execute("DELETE FROM user_role WHERE role = 'partner'")
    _replace_role_check(ROLES_BEFORE)
