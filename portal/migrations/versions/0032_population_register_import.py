"""imports of the population register: mappings, staged files and rows; unknown indicators

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-10 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

STATUSES = ('uploaded', 'previewed', 'imported', 'undone')
OUTCOMES = ('new_person', 'existing_person', 'already_open', 'refused')
INDICATORS = ('dutch_difficult', 'has_work', 'has_children')


def upgrade():
    # A referral from the population register answers no indicator question: None.
    with op.batch_alter_table('referral', schema=None) as batch_op:
        for column in INDICATORS:
            batch_op.alter_column(column, existing_type=sa.Boolean(), nullable=True)
    with op.batch_alter_table('access_log_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=20), nullable=True))
    op.create_index('ix_person_merged_into_id', 'person', ['merged_into_id'], unique=False)
    op.create_table(
        'register_mapping',
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column('columns', sa.Text(), nullable=False),
        sa.Column('default_language_code', sa.String(length=12), nullable=True),
        sa.Column('updated_by_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['municipality_id'], ['municipality.id'],
            name='fk_register_mapping_municipality_id_municipality', ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['default_language_code'], ['language.code'],
            name='fk_register_mapping_default_language_code_language',
        ),
        sa.ForeignKeyConstraint(
            ['updated_by_id'], ['user.id'], name='fk_register_mapping_updated_by_id_user'
        ),
        sa.PrimaryKeyConstraint('municipality_id', name='pk_register_mapping'),
    )
    op.create_table(
        'register_import',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('municipality_id', sa.Integer(), nullable=False),
        sa.Column(
            'status',
            sa.Enum(*STATUSES, name='status', native_enum=False, create_constraint=True, length=20),
            nullable=False,
        ),
        sa.Column('file_name', sa.String(length=200), nullable=False),
        sa.Column('encoding', sa.String(length=20), nullable=False),
        sa.Column('header', sa.Text(), nullable=False),
        sa.Column('row_count', sa.Integer(), nullable=False),
        sa.Column('default_language_code', sa.String(length=12), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('imported_at', sa.DateTime(), nullable=True),
        sa.Column('imported_by_id', sa.Integer(), nullable=True),
        sa.Column('undone_at', sa.DateTime(), nullable=True),
        sa.Column('undone_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['municipality_id'], ['municipality.id'],
            name='fk_register_import_municipality_id_municipality',
        ),
        sa.ForeignKeyConstraint(
            ['default_language_code'], ['language.code'],
            name='fk_register_import_default_language_code_language',
        ),
        sa.ForeignKeyConstraint(
            ['created_by_id'], ['user.id'], name='fk_register_import_created_by_id_user'
        ),
        sa.ForeignKeyConstraint(
            ['imported_by_id'], ['user.id'], name='fk_register_import_imported_by_id_user'
        ),
        sa.ForeignKeyConstraint(
            ['undone_by_id'], ['user.id'], name='fk_register_import_undone_by_id_user'
        ),
        sa.PrimaryKeyConstraint('id', name='pk_register_import'),
    )
    op.create_index(
        'ix_register_import_municipality_created',
        'register_import',
        ['municipality_id', 'created_at'],
        unique=False,
    )
    op.create_table(
        'register_import_row',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False),
        sa.Column('cells', sa.Text(), nullable=True),
        sa.Column(
            'outcome',
            sa.Enum(
                *OUTCOMES, name='outcome', native_enum=False, create_constraint=True, length=20
            ),
            nullable=True,
        ),
        sa.Column('reason', sa.String(length=300), nullable=True),
        sa.Column('full_name', sa.String(length=160), nullable=True),
        sa.Column('birth_year', sa.Integer(), nullable=True),
        sa.Column('registered_on', sa.Date(), nullable=True),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('referral_id', sa.Integer(), nullable=True),
        sa.Column('created_person', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ['import_id'], ['register_import.id'],
            name='fk_register_import_row_import_id_register_import', ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name='pk_register_import_row'),
    )
    op.create_index(
        'ix_register_import_row_import_line',
        'register_import_row',
        ['import_id', 'line'],
        unique=False,
    )


def downgrade():
    op.drop_index('ix_register_import_row_import_line', table_name='register_import_row')
    op.drop_table('register_import_row')
    op.drop_index('ix_register_import_municipality_created', table_name='register_import')
    op.drop_table('register_import')
    op.drop_table('register_mapping')
    op.drop_index('ix_person_merged_into_id', table_name='person')
    with op.batch_alter_table('access_log_entry', schema=None) as batch_op:
        batch_op.drop_column('reference')
    # Unknown indicators cannot be told afterwards; the referrals that have them keep 'nee'.
    for column in INDICATORS:
        op.execute(f'UPDATE referral SET {column} = false WHERE {column} IS NULL')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        for column in INDICATORS:
            batch_op.alter_column(column, existing_type=sa.Boolean(), nullable=False)
