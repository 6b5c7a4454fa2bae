"""interpreter requests per appointment, instead of the 'interpreter needed' flag

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-14 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None

MODES = ('on_site', 'phone', 'video')
STATUSES = ('requested', 'confirmed', 'cancelled')
QUARTER = 15


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade():
    op.create_table(
        'interpreter_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.Column('language_code', sa.String(length=12), nullable=False),
        sa.Column('mode', _enum(MODES, 'mode'), nullable=False),
        sa.Column('status', _enum(STATUSES, 'status'), nullable=False),
        sa.Column('service_reference', sa.String(length=60), nullable=True),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['appointment_id'], ['appointment.id'],
            name='fk_interpreter_request_appointment_id_appointment', ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['language_code'], ['language.code'],
            name='fk_interpreter_request_language_code_language',
        ),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['user.id'], name='fk_interpreter_request_created_by_id_user'
        ),
        sa.ForeignKeyConstraint(
            ['updated_by_id'], ['user.id'], name='fk_interpreter_request_updated_by_id_user'
        ),
        sa.PrimaryKeyConstraint('id', name='pk_interpreter_request'),
        sa.UniqueConstraint('appointment_id', name='uq_interpreter_request_appointment_id'),
    )
    # Every appointment that needed an interpreter gets its request, in the contact language,
    # on site, as asked; a cancelled appointment's request is cancelled with it. The old row
    # of a moved appointment gets none: the flag was copied to the new row, which carries it.
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT a.id, a.status, a.starts_at, a.ends_at, a.created_by_id, a.created_at, "
            "r.contact_language_code FROM appointment a JOIN referral r ON r.id = a.referral_id "
            "WHERE a.interpreter_needed = :yes AND a.status <> 'rescheduled'"
        ).columns(
            starts_at=sa.DateTime(), ends_at=sa.DateTime(), created_at=sa.DateTime()
        ),
        {"yes": True},
    ).all()
    table = sa.table(
        'interpreter_request',
        *(
            sa.column(name, sa.Integer())
            for name in ('appointment_id', 'minutes', 'created_by_id', 'updated_by_id')
        ),
        *(sa.column(name, sa.String()) for name in ('language_code', 'mode', 'status')),
        *(sa.column(name, sa.DateTime()) for name in ('created_at', 'updated_at')),
    )
    requests = []
    for appointment_id, status, starts_at, ends_at, by, at, language in rows:
        minutes = int((ends_at - starts_at).total_seconds() // 60)
        requests.append(
            {
                'appointment_id': appointment_id,
                'language_code': language,
                'mode': 'on_site',
                'status': 'cancelled' if status == 'cancelled' else 'requested',
                # Interpreters are booked per quarter of an hour.
                'minutes': max(QUARTER, -(-minutes // QUARTER) * QUARTER),
                'created_by_id': by,
                'created_at': at,
                'updated_by_id': by,
                'updated_at': at,
            }
        )
    if requests:
        op.bulk_insert(table, requests)
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_column('interpreter_needed')


def downgrade():
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'interpreter_needed', sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.execute(
        "UPDATE appointment SET interpreter_needed = "
        "(SELECT COUNT(*) > 0 FROM interpreter_request i "
        "WHERE i.appointment_id = appointment.id AND i.status <> 'cancelled')"
    )
    op.drop_table('interpreter_request')
