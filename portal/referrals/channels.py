"""The channel an event counts under in the KPI breakdown, fixed when the event is recorded.

A person referred by a partner that has a channel counts under that partner; otherwise under
the team of whoever did the work. It is stored on the event so that moving someone to another
team later does not rewrite figures already reported.
"""

from __future__ import annotations

from ..extensions import DbSession
from ..models import Referral, Service, User


def channel_for(session: DbSession, referral: Referral, worker: User) -> int | None:
    source = session.get(Service, referral.source_service_id)
    if source is not None and source.is_partner and source.channel_id is not None:
        return source.channel_id
    return worker.channel_id


def channels_for(session: DbSession, referral: Referral, worker: User) -> dict[str, int | None]:
    """Both channels an event stores: the KPI channel above and the worker's team."""
    return {
        "kpi_channel_id": channel_for(session, referral, worker),
        "team_channel_id": worker.channel_id,
    }
