"""The HTTP headers that tell browsers what this portal's pages may do."""

from __future__ import annotations

from flask import Flask, Response, request, session

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
# The portal uses none of these browser features; no page (nor anything injected) may.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "hid=(), midi=(), magnetometer=(), gyroscope=(), accelerometer=(), display-capture=(), "
    "browsing-topics=()"
)
# A year; only sent over HTTPS (over plain HTTP a browser ignores it anyway, and a test
# server on http://127.0.0.1 must stay reachable).
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def register(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        # Partials and full pages share URLs; caches must keep them apart.
        response.vary.add("HX-Request")
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        # A window this portal opens (or that opens it) gets no handle on the other.
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
        if request.endpoint and request.endpoint != "static" and session.get("_user_id"):
            # Pages with personal data must not stay in shared desk PCs' caches. The session
            # says whether someone is logged in without asking the database, which an error
            # page may not reach.
            headers.setdefault("Cache-Control", "no-store")
        return response
