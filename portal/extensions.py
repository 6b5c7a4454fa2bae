"""Flask extensions, created unbound and bound in create_app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# The models' base: db.Model at run time (it binds them to the app's engine), which type
# checkers cannot see through; to them it is the typed declarative base it derives from.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
# What the domain functions take: a session, or Flask-SQLAlchemy's db.session that hands out
# the current request's one.
DbSession: TypeAlias = Session | scoped_session[Any]

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def _address_key() -> str:
    # Each limited route names its own keys (portal.auth.views): per account, per address.
    return str(request.remote_addr)


limiter = Limiter(_address_key, default_limits=[])
