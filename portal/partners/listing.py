"""A partner's own referrals: what they registered, its plain status and the feedback."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from ..extensions import DbSession
from ..models import PartnerFeedback, Referral
from ..pagination import Page, paginate
from .feedback import feedback_for
from .status import plain_status_label

PAGE_SIZE = 25


@dataclass
class PartnerRow:
    """One line of the partner's list; nothing a toeleider added but the feedback."""

    referral: Referral
    status: str
    feedback: list[PartnerFeedback] = field(default_factory=list)


def referrals_of_service(service_id: int) -> Select[Any]:
    """The referrals this organisation made, newest first; anonymised ones are gone."""
    return (
        select(Referral)
        .options(joinedload(Referral.person))
        .where(Referral.source_service_id == service_id, Referral.anonymised_at.is_(None))
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    )


def partner_page(session: DbSession, service_id: int, number: int) -> Page[PartnerRow]:
    """One page of the organisation's referrals with their feedback, in three queries."""
    page = paginate(session, referrals_of_service(service_id), number, PAGE_SIZE)
    feedback = feedback_for(session, [r.id for r in page.items])
    rows = [PartnerRow(r, plain_status_label(r.state), feedback[r.id]) for r in page.items]
    return Page(items=rows, total=page.total, number=page.number, size=page.size)
