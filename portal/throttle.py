"""Counting attempts in the rate-limit store that every process shares, and in this process's
memory while that store cannot be reached.

The limits on routes (Flask-Limiter's decorators) fall back to memory by themselves
(RATELIMIT_IN_MEMORY_FALLBACK_ENABLED); these are the counts the views make themselves. A
store that is down then weakens a limit to one process's share instead of refusing logins.
"""

from __future__ import annotations

import logging

from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from .extensions import limiter

logger = logging.getLogger(__name__)

_local_storage = MemoryStorage()
_local_limiter = MovingWindowRateLimiter(_local_storage)


def _store_down() -> None:
    # Neither the key nor the identifiers: they can name an account.
    logger.warning("Rate-limit store unreachable: counting in this process's memory")


def hit(limit: RateLimitItem, *identifiers: str) -> bool:
    """Count one attempt; False when the limit is spent."""
    try:
        return bool(limiter.limiter.hit(limit, *identifiers))
    except Exception:  # noqa: BLE001 - whatever the store's client raises when it is down
        _store_down()
        return bool(_local_limiter.hit(limit, *identifiers))


def seen_before(key: str, expiry_seconds: int) -> bool:
    """Note `key` for `expiry_seconds`; True when it was noted before and has not expired."""
    try:
        return limiter.storage.incr(key, expiry_seconds) > 1
    except Exception:  # noqa: BLE001 - whatever the store's client raises when it is down
        _store_down()
        return _local_storage.incr(key, expiry_seconds) > 1
