"""page visits: what is new since a user's last visit

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'page_visit',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('page', sa.String(length=40), nullable=False),
        sa.Column('visited_at', sa.DateTime(), nullable=False),
        sa.Column('since', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_page_visit_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'page', name=op.f('pk_page_visit')),
    )


def downgrade():
    op.drop_table('page_visit')
