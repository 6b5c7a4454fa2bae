"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import uuid
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.command import upgrade
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from portal import create_app
from portal.extensions import db

from .conftest import app_config, backend

MIGRATIONS = Path(__file__).resolve().parent.parent / "portal" / "migrations"


def test_migrations_match_the_models(database_url, tmp_path):
    if backend() == "postgresql":
        schema = f"migration_check_{uuid.uuid4().hex[:8]}"
        admin_engine = create_engine(database_url)
        with admin_engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = (
            database_url
            + ("&" if "?" in database_url else "?")
            + f"options=-csearch_path%3D{schema}"
        )
    else:
        url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    app = create_app(app_config(url))
    try:
        with app.app_context():
            config = Config(str(MIGRATIONS / "alembic.ini"))
            config.set_main_option("script_location", str(MIGRATIONS))
            config.config_file_name = str(MIGRATIONS / "alembic.ini")
            upgrade(config, "head")
            with db.engine.connect() as connection:
                diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
            assert diff == []
            db.engine.dispose()
    finally:
        if backend() == "postgresql":
            with admin_engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin_engine.dispose()
