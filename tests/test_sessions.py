"""Sessions that end: logout, revocation, idle timeout, lifetime, passwords, second factor."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from selectolax.parser import HTMLParser
from sqlalchemy import select

from portal import clock, recovery
from portal.auth.passwords import password_problem
from portal.extensions import db
from portal.models import AdminLogEntry, Referral, User
from portal.settings import set_int

from .conftest import NOW, Browserless
from .factories import PASSWORD, add_referral

POLL = {"HX-Request": "true", "X-Portal-Poll": "queue-list", "HX-Trigger": "queue-list"}


def _at(monkeypatch, minutes: float) -> None:
    moment = NOW + timedelta(minutes=minutes)
    monkeypatch.setattr(clock, "now", lambda: moment)


def _logged_in(client: Browserless, path: str = "/desk/") -> bool:
    return client.get(path).status_code == 200


def _asked_to_log_in(client: Browserless, path: str = "/desk/") -> bool:
    response = client.get(path)
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def _cookie(client: Browserless) -> str:
    return client.client.get_cookie("session").value


def _put_cookie(client: Browserless, value: str) -> None:
    client.client.set_cookie("session", value)


def _entries(action: str) -> list[AdminLogEntry]:
    return list(db.session.scalars(select(AdminLogEntry).where(AdminLogEntry.action == action)))


def _admin(app, world) -> Browserless:
    admin = Browserless(app)
    admin.login(world.admin.email)
    return admin


# Revocation ---------------------------------------------------------------------------


def test_a_copied_cookie_no_longer_works_after_logout(client, world):
    client.login(world.desk.email)
    copied = _cookie(client)
    client.post("/logout", {})
    _put_cookie(client, copied)
    assert not _logged_in(client)


def test_an_admin_password_reset_ends_the_users_open_sessions(app, client, world):
    client.login(world.desk.email)
    assert _logged_in(client)
    admin = _admin(app, world)
    admin.post(f"/admin/users/{world.desk.id}/password", {"password": "tijdelijk-wachtwoord-7"})
    assert _asked_to_log_in(client)
    [entry] = _entries("user.password")
    assert entry.target_id == str(world.desk.id)


def test_deactivating_and_reactivating_does_not_bring_an_old_session_back(app, client, world):
    client.login(world.desk.email)
    copied = _cookie(client)
    admin = _admin(app, world)
    for _ in range(2):
        db.session.refresh(world.desk)
        admin.post(f"/admin/users/{world.desk.id}/active", {"version": str(world.desk.version)})
    db.session.refresh(world.desk)
    assert world.desk.active
    _put_cookie(client, copied)
    assert _asked_to_log_in(client)
    assert client.login(world.desk.email).status_code == 303  # a new login works


def test_log_out_everywhere_ends_the_other_devices_too(app, client, world):
    client.login(world.desk.email)
    other_pc = Browserless(app)
    other_pc.login(world.desk.email)
    page = client.get("/account").get_data(as_text=True)
    assert "U bent op 2 toestellen aangemeld." in page
    response = client.post("/account/logout-everywhere", {})
    assert response.headers["Location"] == "/login"
    assert not _logged_in(client)
    assert not _logged_in(other_pc)
    assert _entries("account.sessions_revoked")


def test_an_admin_logs_a_user_out_everywhere_and_it_is_logged(app, client, world):
    client.login(world.desk.email)
    admin = _admin(app, world)
    page = admin.get(f"/admin/users/{world.desk.id}").get_data(as_text=True)
    assert "Afmelden op alle toestellen" in page
    admin.post(f"/admin/users/{world.desk.id}/sessions", {})
    assert not _logged_in(client)
    assert _logged_in(admin, "/admin/")
    [entry] = _entries("user.sessions_revoked")
    assert entry.actor_id == world.admin.id and entry.target_id == str(world.desk.id)


# Idle timeout and lifetime ------------------------------------------------------------


def test_an_idle_login_ends_after_the_configured_minutes(client, world, monkeypatch):
    client.login(world.desk.email)
    _at(monkeypatch, 59)
    assert _logged_in(client)  # activity: the hour starts again
    _at(monkeypatch, 59 + 59)
    assert _logged_in(client)
    _at(monkeypatch, 59 + 59 + 61)
    response = client.get("/desk/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_idle_timeout_is_a_setting(client, world, monkeypatch):
    set_int(db.session, "session_idle_minutes", 10)
    db.session.commit()
    client.login(world.desk.email)
    _at(monkeypatch, 11)
    assert not _logged_in(client)


def test_polling_does_not_keep_an_unattended_desk_logged_in(client, world, monkeypatch):
    client.login(world.toeleider.email)
    for minutes in (20, 40, 58):
        _at(monkeypatch, minutes)
        assert client.get("/queue/", headers={**POLL, "HX-Target": "queue-list"}).status_code == 200
    _at(monkeypatch, 61)
    poll = client.get("/queue/", headers={**POLL, "HX-Target": "queue-list"})
    # The poll sends the whole page to the login instead of showing the list again.
    assert poll.headers["HX-Redirect"].startswith("/login")
    assert "queue-list" not in poll.get_data(as_text=True)
    assert not _logged_in(client, "/queue/")


@pytest.mark.parametrize(
    ("who", "path", "element"),
    [
        ("toeleider", "/queue/", "queue-list"),
        ("lead", "/lead/", "today-panel"),
        ("toeleider", "/today/", "notification-count"),
    ],
)
def test_the_polling_elements_name_themselves_in_the_poll_header(client, world, who, path, element):
    client.login(getattr(world, who).email)
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    polling = HTMLParser(html).css_first(f"#{element}")
    # Polled by htmx itself, or by the page's poller that a user can pause (data-poll-seconds).
    assert "every" in polling.attributes["hx-trigger"] or polling.attributes["data-poll-seconds"]
    assert json.loads(polling.attributes["hx-headers"]) == {"X-Portal-Poll": element}


def test_a_click_inside_a_polling_list_still_counts_as_activity(client, world, monkeypatch):
    client.login(world.toeleider.email)
    _at(monkeypatch, 40)
    # htmx sends the polling element's header for its children too, with their own trigger.
    headers = {**POLL, "HX-Trigger": "page-2", "HX-Target": "queue-list"}
    assert client.get("/queue/?page=1", headers=headers).status_code == 200
    _at(monkeypatch, 90)
    assert _logged_in(client, "/queue/")


def test_a_login_ends_after_twelve_hours_however_active(client, world, monkeypatch):
    client.login(world.desk.email)
    for minutes in range(50, 12 * 60, 50):
        _at(monkeypatch, minutes)
        assert _logged_in(client)
    _at(monkeypatch, 12 * 60 + 1)
    assert not _logged_in(client)


def test_after_an_idle_timeout_the_form_goes_back_only_to_the_user_who_typed_it(
    app, client, world, monkeypatch
):
    client.login(world.desk.email)
    page = client.get("/desk/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    _at(monkeypatch, 61)
    typed = {
        "csrf_token": token,
        "full_name": "Rania Haddad",
        "phone": "0470 12 34 56",
        "note": "Komt met zus als tolk.",
    }
    html = client.client.post("/desk/", data=typed).get_data(as_text=True)
    resume = re.search(r'name="resume" type="hidden" value="([^"]+)"', html).group(1)
    assert resume.startswith("gAAAAA")  # encrypted (Fernet), not only signed
    assert recovery.unpack(resume, world.other_desk.id) is None
    login_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    colleague = client.client.post(
        "/login",
        data={
            "email": world.other_desk.email,
            "password": PASSWORD,
            "resume": resume,
            "csrf_token": login_token,
        },
    )
    assert colleague.status_code == 303  # logged in, without the other person's form
    assert "Rania" not in colleague.get_data(as_text=True)
    assert recovery.unpack(resume, world.desk.id)[1]["full_name"] == "Rania Haddad"


# Passwords ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("kort-genoeg", "minstens 12 tekens"),
        ("qwerty123456", "te bekend"),
        ("1q2w3e4r5t6y", "te bekend"),
        ("Lotte.Loket@lindeveld.be!", "e-mailadres"),
        ("mijn-lotte.loket-2026", "e-mailadres"),
        ("paard-batterij-nietje-juist", None),
    ],
)
def test_password_rules(password, problem):
    found = password_problem(password, "lotte.loket@lindeveld.be")
    assert (found is None) if problem is None else (problem in found)


def _change_password(client, current, new, confirm=None):
    return client.post(
        "/account/password",
        {"current_password": current, "new_password": new, "confirm": confirm or new},
    )


def _error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    return match.group(1) if match else ""


def test_users_change_their_own_password_and_other_devices_are_logged_out(app, client, world):
    client.login(world.desk.email)
    other_pc = Browserless(app)
    other_pc.login(world.desk.email)
    refused = _change_password(client, PASSWORD, "desk@lindeveld.be-2026")
    assert refused.status_code == 422
    assert "e-mailadres" in _error(refused.get_data(as_text=True), "new_password")
    wrong = _change_password(client, "niet-mijn-wachtwoord", "paard-batterij-nietje")
    assert "niet uw huidige" in _error(wrong.get_data(as_text=True), "current_password")
    done = _change_password(client, PASSWORD, "paard-batterij-nietje")
    assert done.status_code == 303
    assert _logged_in(client)
    assert not _logged_in(other_pc)
    client.post("/logout", {})
    assert client.login(world.desk.email).status_code == 422
    assert client.login(world.desk.email, "paard-batterij-nietje").status_code == 303
    [entry] = _entries("account.password")
    assert entry.actor_id == world.desk.id and entry.changes is None


def test_a_password_an_admin_set_works_once_and_must_be_changed(app, client, world):
    admin = _admin(app, world)
    admin.post(f"/admin/users/{world.desk.id}/password", {"password": "van-de-beheerder-1"})
    response = client.login(world.desk.email, "van-de-beheerder-1")
    assert response.headers["Location"] == "/account/password"
    blocked = client.get("/desk/")
    assert blocked.status_code == 303 and blocked.headers["Location"] == "/account/password"
    page = client.get("/account/password").get_data(as_text=True)
    assert "De beheerder koos uw wachtwoord" in page
    done = _change_password(client, "van-de-beheerder-1", "eigen-gekozen-zin-42")
    assert done.headers["Location"] == "/desk/"
    assert _logged_in(client)
    db.session.refresh(world.desk)
    assert not world.desk.must_change_password


def test_the_start_password_of_a_new_account_must_be_changed_too(app, client, world):
    admin = _admin(app, world)
    admin.post(
        "/admin/users/new",
        [
            ("email", "nieuw@lindeveld.be"),
            ("full_name", "Nieuwe Collega"),
            ("password", "start-wachtwoord-55"),
            ("roles", "desk"),
            ("municipalities", str(world.municipality.id)),
            ("service", "0"),
        ],
    )
    response = client.login("nieuw@lindeveld.be", "start-wachtwoord-55")
    assert response.headers["Location"] == "/account/password"


# Login throttling ---------------------------------------------------------------------


def _login_from(client, address, email, password=PASSWORD):
    return client.post(
        "/login",
        {"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_guessing_one_account_from_many_addresses_is_slowed_down(client, world):
    for n in range(10):
        assert _login_from(client, f"10.0.0.{n + 1}", world.desk.email, "gok").status_code == 422
    assert _login_from(client, "10.0.1.1", world.desk.email).status_code == 429
    assert _login_from(client, "10.0.1.1", world.other_desk.email).status_code == 303


def test_guessing_many_accounts_from_one_address_is_slowed_down(client, world):
    for n in range(30):
        response = _login_from(client, "10.0.0.9", f"iemand{n}@lindeveld.be", "gok")
        assert response.status_code == 422
    assert _login_from(client, "10.0.0.9", world.desk.email).status_code == 429
    assert _login_from(client, "10.0.0.10", world.desk.email).status_code == 303


def test_unknown_active_and_deactivated_accounts_cost_one_hash_each(client, world, monkeypatch):
    """The same work, so the same answer time, whatever the account (no timing here)."""
    verified = []
    original = PasswordHasher.verify

    def counting(self, hash, password):
        verified.append(hash)
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    world.other_desk.active = False
    db.session.commit()
    for email in ("niemand@lindeveld.be", world.desk.email, world.other_desk.email):
        verified.clear()
        assert client.login(email, "fout-wachtwoord").status_code == 422
        assert len(verified) == 1, email
    verified.clear()
    assert client.login(world.other_desk.email).status_code == 422  # right password, inactive
    assert len(verified) == 1


# Second factor ------------------------------------------------------------------------


def _enrol(client) -> tuple[str, list[str]]:
    page = client.get("/account").get_data(as_text=True)
    assert "<svg" in page  # the QR code
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    wrong = client.post("/account/second-factor", {"code": "000000"})
    assert wrong.status_code == 422
    done = client.post("/account/second-factor", {"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", done.get_data(True))
    assert len(codes) == 10
    return secret, codes


def test_a_lead_enrols_a_second_factor_and_logs_in_with_it(client, world):
    client.login(world.lead.email)
    secret, _codes = _enrol(client)
    assert _entries("account.totp_enable")
    client.post("/logout", {})
    first_step = client.login(world.lead.email)
    assert first_step.status_code == 200
    assert 'name="code"' in first_step.get_data(as_text=True)
    assert not _logged_in(client, "/lead/")  # the password alone opens nothing
    wrong = client.post("/login/code", {"code": "123456"})
    assert wrong.status_code == 422
    assert "Deze code klopt niet" in wrong.get_data(as_text=True)
    code = pyotp.TOTP(secret).now()
    right = client.post("/login/code", {"code": code})
    assert right.status_code == 303
    assert _logged_in(client, "/lead/")
    # Someone who watched the code being typed cannot log in with it on another PC.
    client.post("/logout", {})
    client.login(world.lead.email)
    assert client.post("/login/code", {"code": code}).status_code == 422
    assert not _logged_in(client, "/lead/")


def test_a_recovery_code_works_once(client, world):
    client.login(world.lead.email)
    _secret, codes = _enrol(client)
    client.post("/logout", {})
    client.login(world.lead.email)
    assert client.post("/login/code", {"code": codes[0].upper()}).status_code == 303
    assert "Nog 9 herstelcodes ongebruikt." in client.get("/account").get_data(as_text=True)
    client.post("/logout", {})
    client.login(world.lead.email)
    assert client.post("/login/code", {"code": codes[0]}).status_code == 422
    assert not _logged_in(client, "/lead/")


def test_desk_workers_are_not_offered_a_second_factor(client, world):
    client.login(world.desk.email)
    assert "Tweede stap" not in client.get("/account").get_data(as_text=True)
    client.post("/account/second-factor", {"code": "123456"})
    db.session.refresh(world.desk)
    assert world.desk.totp_secret is None


def test_an_admin_resets_a_lost_second_factor_and_it_is_logged(app, client, world):
    client.login(world.lead.email)
    _enrol(client)
    admin = _admin(app, world)
    admin.post(f"/admin/users/{world.lead.id}/second-factor", {})
    db.session.refresh(world.lead)
    assert world.lead.totp_secret is None
    assert not _logged_in(client, "/lead/")
    assert _entries("user.totp_reset")
    client.login(world.lead.email)
    assert _logged_in(client, "/lead/")


def test_the_second_factor_secret_is_stored_encrypted(client, world):
    client.login(world.lead.email)
    secret, _codes = _enrol(client)
    stored = db.session.scalar(select(User.totp_secret).where(User.id == world.lead.id))
    assert stored and secret not in stored


# No personal data in the cookie -------------------------------------------------------


def test_flash_messages_in_the_cookie_carry_the_reference_not_the_name(app, client, world):
    referral = add_referral(db.session, world)
    client.login(world.toeleider.email)
    client.post(f"/queue/{referral.id}/claim", {})
    serializer = app.session_interface.get_signing_serializer(app)
    stored = serializer.loads(_cookie(client))
    text = repr(stored)
    reference = db.session.get(Referral, referral.id).reference
    assert reference in text
    assert "Rania" not in text and "Haddad" not in text


def test_a_burst_of_guesses_at_the_end_of_a_window_is_still_counted(client, world, monkeypatch):
    import time

    # One guess, nine more 59 s later, one at 61 s: all eleven fall within some minute, so
    # the right password must wait. A fixed window opened by the first guess would have
    # expired at 60 s and forgotten the burst.
    start = float(int(time.time()))
    moment = [start]
    monkeypatch.setattr(time, "time", lambda: moment[0])
    for n, offset in enumerate([0] + [59] * 9 + [61]):
        moment[0] = start + offset
        assert _login_from(client, f"10.0.2.{n + 1}", world.desk.email, "gok").status_code == 422
    assert _login_from(client, "10.0.3.1", world.desk.email).status_code == 429
