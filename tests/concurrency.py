"""Calls that really happen at once: threads released together, each with its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

from portal.extensions import db


def at_once(app: Flask, calls: list[Callable[[], Any]], timeout: float = 60) -> list[Any]:
    """Run every call in a thread of its own, all released by one barrier.

    Each thread has an app context of its own, so its own session and database connection,
    as two requests in two processes would. Returns what each call returned, or the exception
    it raised, in the order of `calls`.
    """
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(n: int, call: Callable[[], Any]) -> None:
        # Wait before taking a connection, so that no thread holds one from the pool idle.
        barrier.wait()
        with app.app_context():
            try:
                outcomes[n] = call()
            except Exception as error:  # noqa: BLE001 - returned to the test, which asserts on it
                outcomes[n] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a call hung"
    return outcomes
