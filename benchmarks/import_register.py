"""Time an import of 10,000 rows from the population register, as a lead does it.

Through the portal's own pages on a throwaway SQLite database (or --database-url): upload
and staging, choosing the columns (every row checked and matched against the persons
already known), the first page of the preview, and the confirmation that makes every
referral in one transaction; then undoing it. A few thousand persons are known beforehand,
so that matching has something to find.

    .venv/bin/python benchmarks/import_register.py [--rows 10000] [--known 5000]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import tempfile
import time
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from portal import clock, create_app
from portal.accounts import create_user
from portal.desk.intake import IntakeData, register_referral
from portal.extensions import db
from portal.models import Language, Municipality, Referral, Role, Service

NOW = datetime(2026, 11, 26, 10, 0)
GIVEN = ["Rania", "Olena", "Ahmed", "Selam", "Mariam", "Yusuf", "Anna", "Omar", "Lina", "Ivan"]
FAMILY = ["Haddad", "Kovalenko", "Tesfaye", "Yilmaz", "Nowak", "Popescu", "Diallo", "Khan"]
NATIONALITIES = ["Syrië", "Oekraïne", "Eritrea", "Turkije", "Polen", "Roemenië", "Marokko"]
PASSWORD = "benchmark-wachtwoord-123"  # noqa: S105  (a throwaway database)
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def _name(rng: random.Random, n: int) -> tuple[str, str]:
    # Family names made unique (a letter suffix per number), so that most rows are new
    # persons, as in a real list.
    suffix = "".join(chr(97 + int(d)) for d in f"{n:05d}")
    return GIVEN[n % len(GIVEN)], f"{FAMILY[n % len(FAMILY)]}-{suffix}"


def register_csv(rows: int, known: int, seed: int = 7) -> bytes:
    """A register export in Windows-1252 with ';', some rows of persons known before."""
    rng = random.Random(seed)
    lines = ["Naam;Voornaam;Geboortedatum;Datum inschrijving;Adres;Telefoon;Nationaliteit"]
    for n in range(rows):
        given, family = _name(rng, n % known if n % 5 == 0 else known + n)
        day = NOW.date() - timedelta(days=rng.randint(0, 60))
        lines.append(
            f"{family};{given};{rng.randint(1950, 2008)};{day:%d/%m/%Y};Kerkstraat {n};"
            f";{rng.choice(NATIONALITIES)}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def seed(known: int) -> None:
    rng = random.Random(7)
    home = Municipality(name="Lindeveld", nis_code="99991")
    desk = Service(name="Onthaal", municipality=home)
    db.session.add_all([home, desk])
    for code, name in (("nl", "Nederlands"), ("ar", "Arabisch"), ("uk", "Oekraïens")):
        db.session.add(Language(code=code, name=name))
    for code, name in (("ti", "Tigrinya"), ("tr", "Turks"), ("pl", "Pools"), ("ro", "Roemeens")):
        db.session.add(Language(code=code, name=name))
    db.session.flush()
    lead = create_user(
        db.session,
        email="lead@lindeveld.be",
        full_name="Lea Lead",
        password=PASSWORD,
        roles=[Role.LEAD],
        municipality_ids=[home.id],
    )
    create_user(
        db.session,
        email="toeleider@lindeveld.be",
        full_name="Toon Toeleider",
        password=PASSWORD,
        roles=[Role.TOELEIDER],
        municipality_ids=[home.id],
        language_codes=["ar", "uk"],
    )
    db.session.flush()
    for n in range(known):
        given, family = _name(rng, n)
        register_referral(
            db.session,
            IntakeData(
                municipality_id=home.id,
                dutch_difficult=True,
                has_work=False,
                has_children=False,
                contact_language_code="ar",
                home_language_code=None,
                full_name=f"{given} {family}",
                birth_year=1980,
                phone=None,
                email=None,
                address="Dorpstraat 1",
                adults=1,
                registered_on=date(2025, 1, 1),
                source_service_id=desk.id,
                consent_given=True,
            ),
            lead,
            NOW - timedelta(days=400),
        )
    db.session.commit()


def timed(label: str, figures: dict[str, float], call):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = call()
    figures[label] = time.perf_counter() - start
    print(f"{label:<40} {figures[label]:6.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--known", type=int, default=5_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    os.environ.setdefault("PORTAL_SECRET_KEY", "benchmark-secret-key")
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "PASSWORD_HASH_PROFILE": "cheapest",
                "PORTAL_ENV": "development",
                "RATELIMIT_ENABLED": False,
            }
        )
        clock.now = lambda: NOW  # type: ignore[assignment]
        clock.today = lambda: NOW.date()  # type: ignore[assignment]
        with app.app_context():
            db.drop_all()
            db.create_all()
            seed(args.known)
        data = register_csv(args.rows, args.known)
        print(f"{args.rows} rows ({len(data) / 1024 / 1024:.1f} MB), {args.known} persons known")
        client = app.test_client()

        def token(path: str) -> str:
            match = CSRF.search(client.get(path, follow_redirects=True).get_data(as_text=True))
            assert match, path
            return match.group(1) or match.group(2)

        client.post(
            "/login",
            data={"email": "lead@lindeveld.be", "password": PASSWORD, "csrf_token": token("/")},
        )
        with app.app_context():
            municipality_id = db.session.scalar(select(Municipality.id))
        figures: dict[str, float] = {}
        csrf = token("/register-import/")
        response = timed(
            "upload, read and stage",
            figures,
            lambda: client.post(
                "/register-import/",
                data={
                    "csrf_token": csrf,
                    "municipality": str(municipality_id),
                    "file": (io.BytesIO(data), "inschrijvingen.csv"),
                },
                content_type="multipart/form-data",
            ),
        )
        columns_path = response.headers["Location"]
        import_path = columns_path.rsplit("/", 1)[0]
        mapping = {
            "csrf_token": csrf,
            "last_name": "Naam",
            "first_name": "Voornaam",
            "birth": "Geboortedatum",
            "registered_on": "Datum inschrijving",
            "address": "Adres",
            "place": "",
            "phone": "Telefoon",
            "email": "",
            "language": "",
            "nationality": "Nationaliteit",
            "default_language": "nl",
        }
        response = timed(
            "choose columns: check and match every row",
            figures,
            lambda: client.post(columns_path, data=mapping),
        )
        assert response.status_code == 303, response.status_code
        timed("preview, first page", figures, lambda: client.get(import_path))
        response = timed(
            "confirm: make every referral",
            figures,
            lambda: client.post(f"{import_path}/confirm", data={"csrf_token": csrf}),
        )
        assert response.status_code == 303, response.get_data(as_text=True)[-500:]
        with app.app_context():
            made = db.session.scalar(
                select(func.count())
                .select_from(Referral)
                .where(Referral.legal_basis == "public_task")
            )
        total = sum(figures.values())
        print(f"{'total':<40} {total:6.2f} s   ({made} referrals made)")
        timed(
            "undo the import",
            figures,
            lambda: client.post(f"{import_path}/undo", data={"csrf_token": csrf}),
        )
        with app.app_context():
            db.drop_all()
            db.engine.dispose()


if __name__ == "__main__":
    main()
