"""referral to Agii for civic integration, one per file

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None

STATUSES = ('to_refer', 'referred', 'registered', 'started', 'completed', 'not_applicable')


def upgrade():
    op.create_table(
        'agii_referral',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('referral_id', sa.Integer(), nullable=False),
        sa.Column('obliged', sa.Boolean(), nullable=True),
        sa.Column('civic_orientation', sa.Boolean(), nullable=False),
        sa.Column('dutch_course', sa.Boolean(), nullable=False),
        sa.Column('participation_network', sa.Boolean(), nullable=False),
        sa.Column('work_pathway', sa.Boolean(), nullable=False),
        sa.Column(
            'status',
            sa.Enum(
                *STATUSES, name='status', native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column('referred_on', sa.Date(), nullable=True),
        sa.Column('agii_reference', sa.String(length=40), nullable=True),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['user.id'], name=op.f('fk_agii_referral_created_by_id_user')
        ),
        sa.ForeignKeyConstraint(
            ['referral_id'],
            ['referral.id'],
            name=op.f('fk_agii_referral_referral_id_referral'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['updated_by_id'], ['user.id'], name=op.f('fk_agii_referral_updated_by_id_user')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agii_referral')),
        sa.UniqueConstraint('referral_id', name=op.f('uq_agii_referral_referral_id')),
    )
    with op.batch_alter_table('agii_referral', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_agii_referral_referred_on'), ['referred_on'], unique=False
        )


def downgrade():
    with op.batch_alter_table('agii_referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agii_referral_referred_on'))
    op.drop_table('agii_referral')
