"""first reach and call-back on the referral: reports and Vandaag read no histories

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable columns and an index: no table rebuild on SQLite.
    op.add_column('referral', sa.Column('reached_at', sa.DateTime(), nullable=True))
    op.add_column('referral', sa.Column('reached_via', sa.String(length=10), nullable=True))
    op.add_column('referral', sa.Column('reached_attempt_id', sa.Integer(), nullable=True))
    op.add_column('referral', sa.Column('call_back_since', sa.DateTime(), nullable=True))
    op.create_index(
        'ix_referral_reached', 'referral', ['reached_at', 'municipality_id'], unique=False
    )
    _backfill(op.get_bind())


def _backfill(connection):
    """Every referral reached so far gets its first reach from its attempts, by the rule of
    portal/referrals/reach.py (written out here so that later changes there do not change
    what this migration did)."""
    attempt = sa.table(
        'contact_attempt',
        sa.column('id', sa.Integer),
        sa.column('referral_id', sa.Integer),
        sa.column('at', sa.DateTime),
        sa.column('channel', sa.String),
        sa.column('outcome', sa.String),
        sa.column('struck_at', sa.DateTime),
    )
    referral = sa.table(
        'referral',
        sa.column('id', sa.Integer),
        sa.column('reached_at', sa.DateTime),
        sa.column('reached_via', sa.String),
        sa.column('reached_attempt_id', sa.Integer),
        sa.column('call_back_since', sa.DateTime),
    )
    order = (attempt.c.referral_id, attempt.c.at, attempt.c.id)
    first, letter = {}, {}
    live = attempt.c.struck_at.is_(None)
    for rid, aid, at, channel in connection.execute(
        sa.select(attempt.c.referral_id, attempt.c.id, attempt.c.at, attempt.c.channel)
        .where(live, attempt.c.outcome == 'reached')
        .order_by(*order)
    ):
        first.setdefault(rid, (at, aid, channel))
    for rid, aid, at in connection.execute(
        sa.select(attempt.c.referral_id, attempt.c.id, attempt.c.at)
        .where(live, attempt.c.channel == 'letter')
        .order_by(*order)
    ):
        letter.setdefault(rid, (at, aid))
    last = {}
    for rid, aid, at, channel, outcome in connection.execute(
        sa.select(
            attempt.c.referral_id, attempt.c.id, attempt.c.at, attempt.c.channel,
            attempt.c.outcome,
        )
        .where(live)
        .order_by(attempt.c.referral_id, attempt.c.id.desc())
    ):
        last.setdefault(rid, (at, channel, outcome))
    call_back = {
        rid: at
        for rid, (at, channel, outcome) in last.items()
        if outcome == 'call_back' and channel != 'letter'
    }
    rows = []
    for rid in set(first) | set(call_back):
        if rid not in first:
            rows.append({'rid': rid, 'at': None, 'via': None, 'aid': None,
                         'cb': call_back[rid]})
            continue
        at, aid, channel = first[rid]
        if channel == 'desk':
            via = 'desk'
        elif channel == 'letter' or (rid in letter and letter[rid] < (at, aid)):
            via = 'letter'
        else:
            via = 'other'
        rows.append({'rid': rid, 'at': at, 'via': via, 'aid': aid, 'cb': call_back.get(rid)})
    stmt = (
        referral.update()
        .where(referral.c.id == sa.bindparam('rid'))
        .values(
            reached_at=sa.bindparam('at'),
            reached_via=sa.bindparam('via'),
            reached_attempt_id=sa.bindparam('aid'),
            call_back_since=sa.bindparam('cb'),
        )
    )
    for start in range(0, len(rows), 1000):
        connection.execute(stmt, rows[start : start + 1000])


def downgrade():
    op.drop_index('ix_referral_reached', table_name='referral')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_column('call_back_since')
        batch_op.drop_column('reached_attempt_id')
        batch_op.drop_column('reached_via')
        batch_op.drop_column('reached_at')
