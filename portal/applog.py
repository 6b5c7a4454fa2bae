"""The application's own logs, kept free of personal data.

Request lines carry search terms in query strings and the calendar feed's secret in its path;
database errors would carry the values of the statement. None of that reaches a log file:
query strings and feed tokens are cut from every record, and the engine is told to leave
bound parameters out of its error messages (see config.engine_options).

The portal writes one line per request itself (RequestLog): request id, method, path without
query string, endpoint, status and duration; never a form value, a query or a name.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request
from werkzeug.wsgi import ClosingIterator

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


# An id the proxy gave (nginx's $request_id, a load balancer's trace id) is kept when it looks
# like one; anything else (spaces, line breaks that would forge log lines, a novel) is not.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_KEY = "portal.request_id"
_ENDPOINT_KEY = "portal.endpoint"
request_log = logging.getLogger("portal.request")
_PROBES = frozenset({"health.healthz", "health.readyz"})

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def request_id_of(environ: dict[str, Any]) -> str:
    """This request's id: the proxy's X-Request-ID if valid, otherwise a new one."""
    given = environ.get("HTTP_X_REQUEST_ID", "")
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


class RequestLog:
    """WSGI middleware: one log line per request, once its response has been sent.

    Outside Flask, so that it sees every answer (error pages included), and times the whole
    response, also one streamed to the end.
    """

    def __init__(self, wsgi_app: WSGIApp):
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = environ[REQUEST_ID_KEY] = request_id_of(environ)
        status: list[str] = []

        def start(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[:] = [code.split(" ", 1)[0]]
            headers = [(k, v) for k, v in headers if k.lower() != REQUEST_ID_HEADER.lower()]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(code, headers, exc_info)

        def write_line() -> None:
            endpoint = environ.get(_ENDPOINT_KEY) or "-"
            answered = status[0] if status else "500"
            # A load balancer asks every few seconds; its answered probes would bury the rest.
            probe = endpoint in _PROBES and answered == "200"
            request_log.log(
                logging.DEBUG if probe else logging.INFO,
                "request_id=%s method=%s path=%s endpoint=%s status=%s duration_ms=%.1f",
                request_id,
                environ.get("REQUEST_METHOD", "-"),
                redact(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/",
                endpoint,
                answered,
                (time.perf_counter() - started) * 1000,
            )

        try:
            body = self.wsgi_app(environ, start)
        except BaseException:
            write_line()
            raise
        return ClosingIterator(body, write_line)


def configure(app: Flask) -> None:
    """Set the level from PORTAL_LOG_LEVEL, put the filter on every logger that writes, and
    write one line per request."""
    level = str(app.config.get("PORTAL_LOG_LEVEL", "INFO")).upper()
    app.logger.setLevel(level)
    app.wsgi_app = RequestLog(app.wsgi_app)  # type: ignore[method-assign]

    @app.before_request
    def name_the_endpoint() -> None:
        request.environ[_ENDPOINT_KEY] = request.endpoint

    for name in ("portal", *REQUEST_LOGGERS, request_log.name):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    # Handlers see records of child loggers too, which a logger's own filter does not.
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
