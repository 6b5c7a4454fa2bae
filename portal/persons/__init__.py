"""The resident as a person: their record across referrals, corrections and joins."""

from __future__ import annotations

from ..extensions import DbSession
from ..models import Person


def person_changed(session: DbSession, person: Person) -> None:
    """The one hook called after a person's details were corrected, joined or unjoined.

    Whatever keeps derived data about a person (a search index of name and phone keys, for
    one) refreshes it here, inside the same transaction.
    """
    from ..search.keys import refresh_search_keys

    refresh_search_keys(person, session)
