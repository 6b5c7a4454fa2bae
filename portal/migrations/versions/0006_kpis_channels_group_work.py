"""KPIs, channels, group work activities and programmes with waiting lists

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 14:20:17.982871

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('channel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel')),
    sa.UniqueConstraint('name', name=op.f('uq_channel_name'))
    )
    op.create_table('kpi',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('target', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('rule', sa.String(length=30), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=True),
    sa.Column('activity_kind', sa.String(length=30), nullable=True),
    sa.Column('start_month', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_kpi_municipality_id_municipality')),
    sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], name=op.f('fk_kpi_theme_id_theme')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi'))
    )
    op.create_table('programme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_programme_municipality_id_municipality')),
    sa.ForeignKeyConstraint(['partner_id'], ['service.id'], name=op.f('fk_programme_partner_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme'))
    )
    op.create_table('activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=False),
    sa.Column('young_participants', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channel.id'], name=op.f('fk_activity_channel_id_channel')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_activity_created_by_id_user')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_activity_municipality_id_municipality')),
    sa.ForeignKeyConstraint(['partner_id'], ['service.id'], name=op.f('fk_activity_partner_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity'))
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index('ix_activity_municipality_held_on', ['municipality_id', 'held_on'], unique=False)

    op.create_table('programme_place',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('waiting_since', sa.DateTime(), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(), nullable=True),
    sa.Column('left_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_programme_place_programme_id_programme')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_programme_place_referral_id_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_place'))
    )
    with op.batch_alter_table('programme_place', schema=None) as batch_op:
        batch_op.create_index('ix_programme_place_programme_status', ['programme_id', 'status', 'waiting_since'], unique=False)
        batch_op.create_index('ix_programme_place_referral', ['referral_id'], unique=False)

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kpi_channel_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_appointment_kpi_channel_id_channel'), 'channel', ['kpi_channel_id'], ['id'])

    with op.batch_alter_table('contact_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kpi_channel_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_contact_attempt_kpi_channel_id_channel'), 'channel', ['kpi_channel_id'], ['id'])

    with op.batch_alter_table('partner_referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kpi_channel_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_partner_referral_kpi_channel_id_channel'), 'channel', ['kpi_channel_id'], ['id'])

    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_service_channel_id_channel'), 'channel', ['channel_id'], ['id'])

    with op.batch_alter_table('theme', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('is_dutch_learning', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # The starting list's first theme is "Nederlands leren en oefenen": keep the Dutch-classes
    # share meaningful for installations that existed before the flag.
    op.execute(
        sa.text("UPDATE theme SET is_dutch_learning = :yes WHERE lower(name) LIKE 'nederlands%'")
        .bindparams(yes=True)
    )

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_user_channel_id_channel'), 'channel', ['channel_id'], ['id'])



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_user_channel_id_channel'), type_='foreignkey')
        batch_op.drop_column('channel_id')

    with op.batch_alter_table('theme', schema=None) as batch_op:
        batch_op.drop_column('is_dutch_learning')

    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_service_channel_id_channel'), type_='foreignkey')
        batch_op.drop_column('channel_id')

    with op.batch_alter_table('partner_referral', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_partner_referral_kpi_channel_id_channel'), type_='foreignkey')
        batch_op.drop_column('kpi_channel_id')

    with op.batch_alter_table('contact_attempt', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_contact_attempt_kpi_channel_id_channel'), type_='foreignkey')
        batch_op.drop_column('kpi_channel_id')

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointment_kpi_channel_id_channel'), type_='foreignkey')
        batch_op.drop_column('kpi_channel_id')

    with op.batch_alter_table('programme_place', schema=None) as batch_op:
        batch_op.drop_index('ix_programme_place_referral')
        batch_op.drop_index('ix_programme_place_programme_status')

    op.drop_table('programme_place')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_municipality_held_on')

    op.drop_table('activity')
    op.drop_table('programme')
    op.drop_table('kpi')
    op.drop_table('channel')
