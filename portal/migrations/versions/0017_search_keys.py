"""search keys of persons

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-02 16:40:00.000000

"""
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0015'
branch_labels = None
depends_on = None

FOLDS = str.maketrans({"ı": "i", "ø": "o", "ł": "l", "đ": "d", "ß": "ss"})


def _name_tokens(name):
    # The folding of desk.rules.name_key as it stood when this migration was written.
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(FOLDS)
    words = letters.replace("-", " ").replace("'", "").replace("’", "").split()
    return list(dict.fromkeys(w[:160] for w in words))


def upgrade():
    value = sa.String(length=160).with_variant(sa.String(length=160, collation="C"), "postgresql")
    search_key = op.create_table('search_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('value', value, nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_search_key_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_key'))
    )
    with op.batch_alter_table('search_key', schema=None) as batch_op:
        batch_op.create_index('ix_search_key_kind_value', ['kind', 'value'], unique=False)
        batch_op.create_index('ix_search_key_person', ['person_id'], unique=False)

    # Persons registered before the search existed get their keys now.
    connection = op.get_bind()
    persons = connection.execute(
        sa.text("SELECT id, full_name, phone, email FROM person WHERE anonymised_at IS NULL")
    )
    rows = []
    for person_id, full_name, phone, email in persons:
        rows += [{"person_id": person_id, "kind": "name", "value": t} for t in _name_tokens(full_name or "")]
        if phone:
            rows.append({"person_id": person_id, "kind": "phone", "value": "".join(c for c in phone if c.isdigit())})
        if email:
            rows.append({"person_id": person_id, "kind": "email", "value": email.strip().lower()[:160]})
    if rows:
        op.bulk_insert(search_key, rows)


def downgrade():
    with op.batch_alter_table('search_key', schema=None) as batch_op:
        batch_op.drop_index('ix_search_key_person')
        batch_op.drop_index('ix_search_key_kind_value')

    op.drop_table('search_key')
