"""The application's own logs, kept free of personal data.

Request lines carry search terms in query strings and the calendar feed's secret in its path;
database errors would carry the values of the statement. None of that reaches a log file:
query strings and feed tokens are cut from every record, and the engine is told to leave
bound parameters out of its error messages (see config.engine_options).
"""

from __future__ import annotations

import logging
import re

from flask import Flask

# A query string ends at a space or a quote in a request line ("GET /queue/?q=Haddad HTTP/1.1").
_QUERY = re.compile(r"\?[^\s\"']*")
_FEED_TOKEN = re.compile(r"(/agenda/feed/)[^\s\"'/?]+")
REDACTED = "?…"


def redact(text: str) -> str:
    """The text without query strings and calendar feed tokens."""
    return _FEED_TOKEN.sub(r"\1…", _QUERY.sub(REDACTED, text))


class PersonalDataFilter(logging.Filter):
    """Rewrites each record's message so that no search term or feed secret is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = PersonalDataFilter()
# The loggers that write request lines: the development server's and gunicorn's.
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def configure(app: Flask) -> None:
    """Set the level from PORTAL_LOG_LEVEL and put the filter on every logger that writes."""
    level = str(app.config.get("PORTAL_LOG_LEVEL", "INFO")).upper()
    app.logger.setLevel(level)
    for name in ("portal", *REQUEST_LOGGERS):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    # Handlers see records of child loggers too, which a logger's own filter does not.
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
