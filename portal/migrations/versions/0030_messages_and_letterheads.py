"""texts per message and language, and the municipality's letterhead

Revision ID: 0030
Revises: 0028
Create Date: 2026-12-03 11:15:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0028'
branch_labels = None
depends_on = None

KINDS = ('slip', 'slip_appointment', 'letter_newcomer', 'letter_long_term', 'reminder')


def upgrade():
    op.create_table(
        'message_text',
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('language_code', sa.String(length=12), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            f"kind IN ({', '.join(repr(k) for k in KINDS)})",
            name=op.f('ck_message_text_kind'),
        ),
        sa.ForeignKeyConstraint(
            ['language_code'],
            ['language.code'],
            name=op.f('fk_message_text_language_code_language'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('kind', 'language_code', name=op.f('pk_message_text')),
    )
    # The one text a language had said "a toeleider will contact you": the slip without an
    # appointment. The letters and the slip with an appointment fall back to Dutch until an
    # admin writes them (they used to repeat this text, which contradicted them).
    op.execute(
        "INSERT INTO message_text (kind, language_code, body, updated_at) "
        "SELECT 'slip', code, next_steps_text, CURRENT_TIMESTAMP FROM language "
        "WHERE next_steps_text IS NOT NULL AND TRIM(next_steps_text) <> ''"
    )
    with op.batch_alter_table('language', schema=None) as batch_op:
        batch_op.drop_column('next_steps_text')
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('opening_hours', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('contact_person', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('logo', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('logo_type', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('municipality', schema=None) as batch_op:
        for column in (
            'logo_type', 'logo', 'contact_person', 'opening_hours', 'email', 'phone', 'address'
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table('language', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_steps_text', sa.Text(), nullable=True))
    op.execute(
        "UPDATE language SET next_steps_text = (SELECT body FROM message_text "
        "WHERE message_text.language_code = language.code AND kind = 'slip')"
    )
    op.drop_table('message_text')
