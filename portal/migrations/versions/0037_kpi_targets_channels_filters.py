"""KPIs: a target per project year, a choice of channel, filters, several kinds of group
work; the team stored on each event; the children a partner referral concerns

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-03 14:30:00

"""
from datetime import date

from alembic import op
import sqlalchemy as sa

from portal.reports import marks


# revision identifiers, used by Alembic.
revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None

KINDS = ('conversation_table', 'practice_group', 'sport', 'culture', 'other')
EVENTS = (
    # table, the user who did the work
    ('contact_attempt', 'actor_id'),
    ('appointment', 'toeleider_id'),
    ('partner_referral', 'created_by_id'),
)


def _condition(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _years_with_data(conn):
    """The calendar years of the first and last things the reports count, and today."""
    firsts = [
        conn.execute(sa.text(f'SELECT MIN({column}) FROM {table}')).scalar()
        for table, column in (
            ('contact_attempt', 'at'),
            ('appointment', 'starts_at'),
            ('partner_referral', 'referred_on'),
            ('activity', 'held_on'),
        )
    ]
    years = [_year(value) for value in firsts if value is not None]
    today = date.today().year
    return (min(years) if years else today) - 1, today


def _year(value):
    return value.year if hasattr(value, 'year') else int(str(value)[:4])


def upgrade():
    # SQLite rebuilds a table to add a foreign key, and a rebuilt table's name may not be
    # missing from the report's triggers meanwhile: they go first and come back at the end.
    _drop_report_triggers()
    op.create_table(
        'kpi_target',
        sa.Column('kpi_id', sa.Integer(), nullable=False),
        sa.Column('start_year', sa.Integer(), nullable=False),
        sa.Column('target', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['kpi_id'], ['kpi.id'], name=op.f('fk_kpi_target_kpi_id_kpi'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('kpi_id', 'start_year', name=op.f('pk_kpi_target')),
    )
    op.create_table(
        'kpi_activity_kind',
        sa.Column('kpi_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.CheckConstraint(
            _condition('kind', KINDS), name=op.f('ck_kpi_activity_kind_activitykind')
        ),
        sa.ForeignKeyConstraint(
            ['kpi_id'], ['kpi.id'], name=op.f('fk_kpi_activity_kind_kpi_id_kpi'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('kpi_id', 'kind', name=op.f('pk_kpi_activity_kind')),
    )
    op.create_table(
        'kpi_source',
        sa.Column('kpi_id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['kpi_id'], ['kpi.id'], name=op.f('fk_kpi_source_kpi_id_kpi'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['service_id'], ['service.id'], name=op.f('fk_kpi_source_service_id_service'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('kpi_id', 'service_id', name=op.f('pk_kpi_source')),
    )
    op.create_table(
        'kpi_channel',
        sa.Column('kpi_id', sa.Integer(), nullable=False),
        sa.Column('channel_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['kpi_id'], ['kpi.id'], name=op.f('fk_kpi_channel_kpi_id_kpi'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['channel_id'], ['channel.id'], name=op.f('fk_kpi_channel_channel_id_channel'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('kpi_id', 'channel_id', name=op.f('pk_kpi_channel')),
    )
    op.create_table(
        'partner_referral_child',
        sa.Column('partner_referral_id', sa.Integer(), nullable=False),
        sa.Column('household_child_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['household_child_id'], ['household_child.id'],
            name=op.f('fk_partner_referral_child_household_child_id_household_child'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['partner_referral_id'], ['partner_referral.id'],
            name=op.f('fk_partner_referral_child_partner_referral_id_partner_referral'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint(
            'partner_referral_id', 'household_child_id', name=op.f('pk_partner_referral_child')
        ),
    )
    with op.batch_alter_table('partner_referral_child', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_partner_referral_child_household_child_id'),
            ['household_child_id'],
            unique=False,
        )

    conn = op.get_bind()
    # Today's target stays the target of every project year that already has figures (and
    # the one before, for a project year that started in the previous calendar year), so
    # that a new target entered for this year leaves them alone.
    first, last = _years_with_data(conn)
    kpis = conn.execute(sa.text('SELECT id, target, activity_kind FROM kpi')).all()
    for kpi_id, target, kind in kpis:
        for year in range(first, last + 1):
            conn.execute(
                sa.text('INSERT INTO kpi_target (kpi_id, start_year, target) VALUES (:k, :y, :t)'),
                {'k': kpi_id, 'y': year, 't': target},
            )
        if kind:
            conn.execute(
                sa.text('INSERT INTO kpi_activity_kind (kpi_id, kind) VALUES (:k, :kind)'),
                {'k': kpi_id, 'kind': kind},
            )

    with op.batch_alter_table('kpi', schema=None) as batch_op:
        batch_op.add_column(sa.Column('programme_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                'channel_basis', sa.String(length=20), nullable=False, server_default='referrer'
            )
        )
        batch_op.create_check_constraint(
            op.f('ck_kpi_channelbasis'),
            _condition('channel_basis', ('referrer', 'team', 'destination')),
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_kpi_programme_id_programme'), 'programme', ['programme_id'], ['id']
        )
        batch_op.drop_constraint(op.f('ck_kpi_activitykind'), type_='check')
        batch_op.drop_column('activity_kind')
    with op.batch_alter_table('kpi', schema=None) as batch_op:
        batch_op.alter_column('channel_basis', server_default=None)

    for table, worker in EVENTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('team_channel_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f'fk_{table}_team_channel_id_channel'),
                'channel',
                ['team_channel_id'],
                ['id'],
            )
        # The channel stored so far was the worker's team unless a partner with a channel
        # referred the person; then the worker's team is taken as it is today.
        conn.execute(
            sa.text(
                f'UPDATE {table} SET team_channel_id = CASE WHEN EXISTS ('
                ' SELECT 1 FROM referral r JOIN service s ON s.id = r.source_service_id'
                f' WHERE r.id = {table}.referral_id AND s.is_partner = :t'
                ' AND s.channel_id IS NOT NULL)'
                f' THEN (SELECT u.channel_id FROM "user" u WHERE u.id = {table}.{worker})'
                ' ELSE kpi_channel_id END'
            ),
            {'t': True},
        )
    _create_report_triggers()


def downgrade():
    _drop_report_triggers()
    for table, _worker in EVENTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f'fk_{table}_team_channel_id_channel'), type_='foreignkey'
            )
            batch_op.drop_column('team_channel_id')
    with op.batch_alter_table('kpi', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activity_kind', sa.String(length=30), nullable=True))
    conn = op.get_bind()
    # A KPI of several kinds keeps one of them: the old schema holds one.
    conn.execute(
        sa.text(
            'UPDATE kpi SET activity_kind = (SELECT MIN(kind) FROM kpi_activity_kind k'
            ' WHERE k.kpi_id = kpi.id)'
        )
    )
    conn.execute(
        sa.text(
            'UPDATE kpi SET target = (SELECT t.target FROM kpi_target t WHERE t.kpi_id = kpi.id'
            ' ORDER BY t.start_year DESC LIMIT 1) WHERE EXISTS'
            ' (SELECT 1 FROM kpi_target t WHERE t.kpi_id = kpi.id)'
        )
    )
    with op.batch_alter_table('kpi', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_kpi_activitykind'), _condition('activity_kind', KINDS)
        )
        batch_op.drop_constraint(batch_op.f('fk_kpi_programme_id_programme'), type_='foreignkey')
        batch_op.drop_constraint(op.f('ck_kpi_channelbasis'), type_='check')
        batch_op.drop_column('channel_basis')
        batch_op.drop_column('programme_id')
    op.drop_table('partner_referral_child')
    op.drop_table('kpi_channel')
    op.drop_table('kpi_source')
    op.drop_table('kpi_activity_kind')
    op.drop_table('kpi_target')
    _create_report_triggers()


def _drop_report_triggers():
    for statement in marks.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)


def _create_report_triggers():
    for statement in marks.create_statements(op.get_bind().dialect.name):
        op.execute(statement)
