"""One way to cut a query into pages, counted in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from .extensions import DbSession

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def _bounds(session: DbSession, stmt: Select[Any], number: int, size: int) -> tuple[int, int]:
    """How many rows the statement gives, and the page number kept within the pages."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return total, min(max(1, number), max(1, -(-total // size)))


def paginate(session: DbSession, stmt: Select[Any], number: int, size: int) -> Page[Any]:
    """Run one COUNT and one LIMIT/OFFSET query; an out-of-range page gives the last one."""
    total, number = _bounds(session, stmt, number, size)
    items = list(session.scalars(stmt.limit(size).offset((number - 1) * size)).unique())
    return Page(items=items, total=total, number=number, size=size)


def paginate_rows(
    session: DbSession, stmt: Select[*tuple[Any, ...]], number: int, size: int
) -> Page[Any]:
    """The same for a statement of columns: a page of rows, no ORM objects."""
    total, number = _bounds(session, stmt, number, size)
    items = list(session.execute(stmt.limit(size).offset((number - 1) * size)).all())
    return Page(items=items, total=total, number=number, size=size)
