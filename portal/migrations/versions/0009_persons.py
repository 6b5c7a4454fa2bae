"""Persons: the resident as a record of their own, to which referrals belong

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=160), nullable=False),
    sa.Column('name_key', sa.String(length=160), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person'))
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index('ix_person_name_key_birth_year', ['name_key', 'birth_year'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_phone'), ['phone'], unique=False)

    # One person per existing referral, with the referral's id, so that the link is plain.
    op.execute(
        "INSERT INTO person (id, full_name, name_key, birth_year, phone, email, address, "
        "created_at, version) SELECT id, full_name, name_key, birth_year, phone, email, address, "
        "created_at, 1 FROM referral"
    )
    if op.get_bind().dialect.name == "postgresql":
        # Ids were given explicitly: the sequence must continue after the highest one.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('person', 'id'), "
            "COALESCE((SELECT MAX(id) FROM person), 0) + 1, false)"
        )

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
    op.execute("UPDATE referral SET person_id = id")
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.alter_column('person_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_referral_person_id'), ['person_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_referral_person_id_person'), 'person', ['person_id'], ['id'])
        batch_op.drop_index('ix_referral_phone_state')
        batch_op.drop_index('ix_referral_name_key_birth_year')
        batch_op.drop_column('address')
        batch_op.drop_column('full_name')
        batch_op.drop_column('email')
        batch_op.drop_column('name_key')
        batch_op.drop_column('phone')
        batch_op.drop_column('birth_year')


def downgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('name_key', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('full_name', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=300), nullable=True))
    for column in ('full_name', 'name_key', 'birth_year', 'phone', 'email', 'address'):
        op.execute(
            f"UPDATE referral SET {column} = "
            f"(SELECT {column} FROM person WHERE person.id = referral.person_id)"
        )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.alter_column('full_name', existing_type=sa.String(length=160), nullable=False)
        batch_op.alter_column('name_key', existing_type=sa.String(length=160), nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_referral_person_id_person'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_referral_person_id'))
        batch_op.create_index('ix_referral_name_key_birth_year', ['name_key', 'birth_year'], unique=False)
        batch_op.create_index('ix_referral_phone_state', ['phone', 'state'], unique=False)
        batch_op.drop_column('person_id')

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_phone'))
        batch_op.drop_index('ix_person_name_key_birth_year')

    op.drop_table('person')
