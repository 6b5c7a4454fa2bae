"""The database under real use: SQLite in WAL mode, many desks saving at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

from sqlalchemy import func, select, text

from portal import create_app
from portal.desk.intake import languages_by_use, register_referral
from portal.extensions import db
from portal.models import Referral, User

from .conftest import Browserless, app_config, backend
from .factories import add_referral, build_world, intake_data


def test_database_runs_with_the_settings_the_portal_relies_on(app):
    with db.engine.connect() as connection:
        if backend() == "sqlite":
            # WAL lets desks save while others read; foreign keys are off in SQLite by default.
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        else:
            version = connection.execute(text("SHOW server_version_num")).scalar()
            assert int(version) >= 130000
            isolation = connection.execute(text("SHOW transaction_isolation")).scalar()
            assert isolation == "read committed"
            # JIT compiling the report queries costs more than it saves.
            assert connection.execute(text("SHOW jit")).scalar() == "off"


def test_sqlite_gathers_planner_statistics_while_pages_are_served(tmp_path, frozen_now):
    app = create_app(app_config(f"sqlite:///{tmp_path / 'fresh.sqlite3'}"))
    with app.app_context():
        db.create_all()
        world = build_world(db.session)
        add_referral(db.session, world)
        db.session.commit()
        lead_email = world.lead.email
        db.session.remove()
        client = Browserless(app)
        client.login(lead_email)
        assert client.get("/lead/").status_code == 200
        with db.engine.connect() as connection:
            analysed = set(connection.execute(text("SELECT tbl FROM sqlite_stat1")).scalars())
        db.engine.dispose()
    assert "referral" in analysed


def test_twenty_desks_saving_at_once_get_twenty_distinct_references(app, world):
    desk_id = world.desk.id
    data = intake_data(world)

    def save(n: int) -> str:
        with app.app_context():
            actor = db.session.get(User, desk_id)
            referral = register_referral(db.session, data, actor, datetime(2026, 11, 26, 10, n))
            db.session.commit()
            return referral.reference or ""

    with ThreadPoolExecutor(max_workers=20) as pool:
        references = list(pool.map(save, range(20)))
    assert len(set(references)) == 20
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 20


def test_languages_most_registered_in_the_municipality_come_first(app, world):
    for _ in range(3):
        add_referral(db.session, world, contact_language_code="ti")
    add_referral(db.session, world, contact_language_code="uk")
    for _ in range(5):  # another municipality's habits do not count here
        add_referral(
            db.session,
            world,
            by=world.outsider,
            contact_language_code="fr",
            municipality_id=world.other_municipality.id,
            source_service_id=world.other_service.id,
        )
    codes = [lang.code for lang in languages_by_use(db.session, [world.municipality.id])]
    assert codes[:2] == ["ti", "uk"]
    assert codes[2:] == ["ar", "en", "fr", "nl"]  # the rest by Dutch name: Arabisch, Engels, ...


def test_the_language_order_follows_the_latest_registrations(app, world, monkeypatch):
    monkeypatch.setattr("portal.desk.intake.RECENT_USES", 3)
    early = {"registered_on": date(2024, 6, 1)}
    ti, uk = {"contact_language_code": "ti"}, {"contact_language_code": "uk"}
    for day in range(1, 5):  # Tigrinya four times long ago...
        add_referral(db.session, world, at=datetime(2025, 1, day, 9), **ti, **early)
    for day in range(1, 3):  # ...Ukrainian in the latest three, with one Tigrinya
        add_referral(db.session, world, at=datetime(2026, 11, day, 9), **uk, **early)
    add_referral(db.session, world, at=datetime(2026, 11, 3, 9), **ti, **early)
    codes = [lang.code for lang in languages_by_use(db.session, [world.municipality.id])]
    assert codes[:2] == ["uk", "ti"]
