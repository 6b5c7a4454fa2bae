"""Logging in and out, and who the current user is."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from flask_login import LoginManager
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..inputs import ascii_int
from ..models import User


def configure_login(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = None
    manager.session_protection = "strong"

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        # Every page asks the access policy about municipalities and languages: load them now.
        number = ascii_int(user_id)
        user = (
            db.session.get(
                User,
                number,
                options=[selectinload(User.municipalities), selectinload(User.languages)],
            )
            if number is not None
            else None
        )
        return user if user is not None and user.active else None

    @manager.unauthorized_handler
    def unauthorized() -> Any:
        from .views import expired_session_response

        if request.method == "POST" or request.headers.get("HX-Request"):
            return expired_session_response()
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
