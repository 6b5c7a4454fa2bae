"""school items: an enrolment beside a toddler's information item, and what closing settled

Revision ID: 0042
Revises: 0040
Create Date: 2026-12-07 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0042'
down_revision = '0040'
branch_labels = None
depends_on = None

STATUSES = (
    'open',
    'enrolled',
    'referred_education_desk',
    'referred_agii',
    'informed',
    'not_applicable',
)


def upgrade():
    # A toddler's information item stays when the child reaches school age and gets its
    # enrolment item: one item of each kind per child, no longer one per child.
    with op.batch_alter_table('school_item', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('status_before_closing', sa.String(length=30), nullable=True)
        )
        batch_op.create_check_constraint(
            op.f('ck_school_item_status_before_closing'),
            f"status_before_closing IN ({', '.join(repr(v) for v in STATUSES)})",
        )
        batch_op.drop_constraint(op.f('uq_school_item_child_id'), type_='unique')
        batch_op.create_unique_constraint('uq_school_item_child_id_kind', ['child_id', 'kind'])


def downgrade():
    # One item per child again: where a child has both, its enrolment is the one kept.
    op.execute(
        "DELETE FROM school_item WHERE kind = 'information' AND child_id IN "
        "(SELECT child_id FROM school_item WHERE kind = 'enrolment')"
    )
    with op.batch_alter_table('school_item', schema=None) as batch_op:
        batch_op.drop_constraint('uq_school_item_child_id_kind', type_='unique')
        batch_op.create_unique_constraint(op.f('uq_school_item_child_id'), ['child_id'])
        batch_op.drop_constraint(op.f('ck_school_item_status_before_closing'), type_='check')
        batch_op.drop_column('status_before_closing')
