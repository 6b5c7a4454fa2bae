"""enum columns checked by the database: each stored value must be one the portal knows

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 08:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

# table: [(column, constraint name, values)], as the models declare them at this revision.
CHECKS = {   'activity': [   (   'kind',
                        'activitykind',
                        ('conversation_table', 'practice_group', 'sport', 'culture', 'other'))],
    'appointment': [   ('kind', 'appointmentkind', ('welcome', 'integration')),
                       (   'status',
                           'appointmentstatus',
                           ('planned', 'held', 'no_show', 'cancelled', 'rescheduled'))],
    'availability_slot': [('kind', 'availabilitykind', ('conversations', 'desk_duty'))],
    'contact_attempt': [   (   'channel',
                               'contactchannel',
                               ('phone', 'sms', 'email', 'letter', 'desk')),
                           (   'outcome',
                               'contactoutcome',
                               (   'reached',
                                   'no_answer',
                                   'wrong_number',
                                   'declined',
                                   'call_back'))],
    'kpi': [   ('unit', 'kpiunit', ('people', 'households', 'children', 'practice')),
               (   'rule',
                   'kpirule',
                   (   'reached',
                       'conversation_held',
                       'led_to_partner',
                       'arrived_at_partner',
                       'activity')),
               (   'activity_kind',
                   'activitykind',
                   ('conversation_table', 'practice_group', 'sport', 'culture', 'other'))],
    'milestone': [('status', 'milestonestatus', ('open', 'achieved', 'stopped'))],
    'partner_referral': [   (   'status',
                                'partnerreferralstatus',
                                ('proposed', 'contacted_partner', 'arrived', 'not_arrived'))],
    'programme_place': [('status', 'placestatus', ('waiting', 'enrolled', 'left'))],
    'referral': [   (   'state',
                        'referralstate',
                        (   'new',
                            'claimed',
                            'contacted',
                            'scheduled',
                            'held',
                            'following_up',
                            'closed')),
                    (   'outcome',
                        'closingoutcome',
                        (   'completed',
                            'declined',
                            'unreachable',
                            'moved_away',
                            'plan_stopped'))],
    'signal': [('status', 'signalstatus', ('new', 'brought_to_board', 'answered'))],
    'timeline_event': [   (   'from_state',
                              'from_state',
                              (   'new',
                                  'claimed',
                                  'contacted',
                                  'scheduled',
                                  'held',
                                  'following_up',
                                  'closed')),
                          (   'to_state',
                              'to_state',
                              (   'new',
                                  'claimed',
                                  'contacted',
                                  'scheduled',
                                  'held',
                                  'following_up',
                                  'closed'))]}


def _condition(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    # Migration 0002 wrote the 'registered' events of existing referrals with an empty
    # from_state: no state, which the column says with NULL.
    op.execute("UPDATE timeline_event SET from_state = NULL WHERE from_state = ''")
    op.execute("UPDATE timeline_event SET to_state = NULL WHERE to_state = ''")
    # On SQLite a constraint is added by rebuilding the table (batch mode); rows whose value
    # is unknown make the migration fail instead of being kept unchecked.
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, name, values in columns:
                batch_op.create_check_constraint(
                    op.f(f'ck_{table}_{name}'), _condition(column, values)
                )


def downgrade():
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _column, name, _values in columns:
                batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
