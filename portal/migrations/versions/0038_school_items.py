"""school obligation: a follow-up item per child of a newcomer household

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None

KINDS = ('enrolment', 'information')
STATUSES = (
    'open',
    'enrolled',
    'referred_education_desk',
    'referred_agii',
    'informed',
    'not_applicable',
)


def _enum(values, name, length=20):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


def upgrade():
    # Existing files get no items: which children were of school age, and whether their
    # enrolment was followed up, is not known for the past; new and corrected households get
    # theirs (portal/referrals/school.py).
    op.create_table(
        'school_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('referral_id', sa.Integer(), nullable=False),
        sa.Column('child_id', sa.Integer(), nullable=False),
        sa.Column('kind', _enum(KINDS, 'kind'), nullable=False),
        sa.Column('status', _enum(STATUSES, 'status', 30), nullable=False),
        sa.Column('school_name', sa.String(length=160), nullable=True),
        sa.Column('note', sa.String(length=300), nullable=True),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['child_id'],
            ['household_child.id'],
            name=op.f('fk_school_item_child_id_household_child'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['referral_id'],
            ['referral.id'],
            name=op.f('fk_school_item_referral_id_referral'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['updated_by_id'], ['user.id'], name=op.f('fk_school_item_updated_by_id_user')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_school_item')),
        sa.UniqueConstraint('child_id', name=op.f('uq_school_item_child_id')),
    )
    with op.batch_alter_table('school_item', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_school_item_referral_id'), ['referral_id'], unique=False
        )
        batch_op.create_index(
            'ix_school_item_kind_status_due', ['kind', 'status', 'due_on'], unique=False
        )


def downgrade():
    with op.batch_alter_table('school_item', schema=None) as batch_op:
        batch_op.drop_index('ix_school_item_kind_status_due')
        batch_op.drop_index(batch_op.f('ix_school_item_referral_id'))
    op.drop_table('school_item')
