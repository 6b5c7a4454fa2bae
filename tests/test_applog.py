"""The application's logs hold no personal data: no search terms, feed secrets or values."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from portal.extensions import db


def test_request_lines_lose_their_query_string_and_feed_token(app, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    log = logging.getLogger("werkzeug")
    # The development server writes each request like this (werkzeug.serving.log_request).
    log.info('"%s" %s %s', "GET /queue/?q=Rania+Haddad&page=2 HTTP/1.1", "200", "-")
    log.info('"%s" %s %s', "GET /agenda/feed/s3cr3t-T0ken_value.ics HTTP/1.1", "200", "-")
    assert "Haddad" not in caplog.text
    assert "s3cr3t" not in caplog.text
    assert "GET /queue/" in caplog.text and "/agenda/feed/" in caplog.text


def test_gunicorn_access_lines_are_redacted_too(app, caplog):
    caplog.set_level(logging.INFO, logger="gunicorn.access")
    logging.getLogger("gunicorn.access").info(
        '127.0.0.1 - - "GET /search?q=0470123456 HTTP/1.1" 200 512'
    )
    assert "0470123456" not in caplog.text


def test_a_database_error_names_no_value(app, world):
    with pytest.raises(IntegrityError) as caught:
        db.session.execute(
            text("INSERT INTO municipality (id, name, nis_code, active) VALUES (:i, :n, :c, :a)"),
            {"i": world.municipality.id, "n": "Rania Haddad", "c": "12345", "a": True},
        )
    db.session.rollback()
    assert "Rania Haddad" not in str(caught.value)
