"""The search keys of a person: what the header search matches, kept beside the person.

A key is normalised once, when the person is written, so that a search is a few index
ranges: name parts folded like `desk.rules.name_key`, the phone's E.164 digits, the
e-mail in lower case. An anonymised person has no keys: nobody finds them any more.
"""

from __future__ import annotations

from sqlalchemy import delete, insert
from sqlalchemy.orm import object_session

from ..desk.rules import name_key
from ..extensions import DbSession
from ..models import Person, SearchKey, SearchKeyKind

KEY_LENGTH = 160


def name_tokens(text: str) -> list[str]:
    """The folded parts of a name, each once, in the order written."""
    return list(dict.fromkeys(part[:KEY_LENGTH] for part in name_key(text).split()))


def phone_digits(e164: str) -> str:
    return "".join(ch for ch in e164 if ch.isdigit())


def keys_for(person: Person) -> list[tuple[str, str]]:
    """The (kind, value) keys of a person; none once the person is anonymised."""
    if person.anonymised_at is not None:
        return []
    keys = [(SearchKeyKind.NAME.value, token) for token in name_tokens(person.full_name or "")]
    if person.phone:
        keys.append((SearchKeyKind.PHONE.value, phone_digits(person.phone)))
    if person.email:
        keys.append((SearchKeyKind.EMAIL.value, person.email.strip().lower()[:KEY_LENGTH]))
    return keys


def refresh_search_keys(person: Person, session: DbSession | None = None) -> None:
    """Write the person's keys again from their current fields; the caller commits.

    Call it after every change of a person's name, phone or e-mail, and after anonymising.
    """
    session = session or object_session(person)
    if session is None:
        raise ValueError("the person is not in a session")
    if person.id is None:
        session.flush()
    session.execute(
        delete(SearchKey)
        .where(SearchKey.person_id == person.id)
        .execution_options(synchronize_session=False)
    )
    rows = [{"person_id": person.id, "kind": k, "value": v} for k, v in keys_for(person)]
    if rows:
        session.execute(insert(SearchKey), rows)
