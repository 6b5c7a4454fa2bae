"""Logging in and out."""

from __future__ import annotations

import logging

from portal.extensions import db

from .factories import PASSWORD


def test_login_sends_a_desk_worker_to_the_intake(client, world):
    response = client.login(world.desk.email)
    assert response.status_code == 303
    assert response.headers["Location"] == "/desk/"


def test_login_ignores_case_and_spaces_in_the_email(client, world):
    assert client.login("  DESK@Lindeveld.be ").status_code == 303


def test_wrong_password_gets_one_dutch_message_without_saying_which_part(client, world):
    for email in (world.desk.email, "nobody@lindeveld.be"):
        response = client.login(email, "wrong-password")
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "E-mailadres of wachtwoord klopt niet." in html
        assert f'value="{email}"' in html  # the e-mail stays typed in


def test_deactivated_user_cannot_log_in_and_loses_a_running_session(client, world):
    client.login(world.desk.email)
    world.desk.active = False
    db.session.commit()
    assert client.get("/desk/").status_code == 302
    assert client.login(world.desk.email).status_code == 422


def test_next_goes_only_to_paths_on_this_site(client, world):
    for target, expected in [
        ("/admin/", "/admin/"),
        ("//evil.example/x", "/desk/"),
        ("https://evil.example/", "/desk/"),
    ]:
        client.client.delete_cookie("session")
        response = client.post(
            "/login", {"email": world.desk.email, "password": PASSWORD, "next": target}
        )
        assert response.headers["Location"] == expected


def test_logout_needs_a_post_with_token(as_desk):
    assert as_desk.get("/logout").status_code == 405
    as_desk.post("/logout", {})
    assert as_desk.get("/desk/").status_code == 302


def test_passwords_are_stored_as_argon2id_and_never_logged(client, world, caplog):
    assert world.desk.password_hash.startswith("$argon2id$")
    with caplog.at_level(logging.DEBUG):
        client.login(world.desk.email, "some-typed-secret")
    assert "some-typed-secret" not in caplog.text


def test_unknown_page_has_a_dutch_404(as_desk):
    response = as_desk.get("/bestaat-niet")
    assert response.status_code == 404
    assert "Deze pagina bestaat niet" in response.get_data(as_text=True)


def test_guessing_passwords_is_slowed_down_per_account(client, world):
    for _ in range(10):
        assert client.login(world.desk.email, "guess").status_code == 422
    blocked = client.login(world.desk.email, PASSWORD)
    assert blocked.status_code == 429
    html = blocked.get_data(as_text=True)
    assert "Te veel aanmeldpogingen" in html
    assert f'value="{world.desk.email}"' in html
    # Another account from the same desk PC is not locked out.
    assert client.login(world.other_desk.email).status_code == 303
