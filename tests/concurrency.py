"""Calls that really happen at once: threads released together, each with its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
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


class Window:
    """The moment between a request's reads and its writes, held open for a test.

    The first call of `owner.name` waits until `interleave` has run the other request to its
    end: the race that threads hit only now and then, made to happen every time.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: object, name: str):
        self.reached = threading.Event()
        self.closed = threading.Event()
        original = getattr(owner, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            if not self.reached.is_set():
                self.reached.set()
                assert self.closed.wait(30), "the window was never closed"
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, held)

    def interleave(
        self, app: Flask, first: Callable[[], Any], meanwhile: Callable[[], Any]
    ) -> tuple[Any, Any]:
        """Run `first` up to the window, all of `meanwhile`, then the rest of `first`."""
        outcome: list[Any] = []

        def run() -> None:
            with app.app_context():
                try:
                    outcome.append(first())
                except Exception as error:  # noqa: BLE001 - returned to the test
                    outcome.append(error)
                finally:
                    db.session.remove()

        thread = threading.Thread(target=run)
        thread.start()
        try:
            assert self.reached.wait(30), "the first request never reached the window"
            other = meanwhile()
        finally:
            self.closed.set()
            thread.join(60)
        assert not thread.is_alive(), "the first request hung"
        return outcome[0], other
