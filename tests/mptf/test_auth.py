"""Signing in and out, the throttle, CSRF, role refusal, headers and accounts."""

import pytest

from mptf.auth.services import create_user
from mptf.extensions import db
from mptf.models import AuditEvent, LoginThrottle, User
from mptf.services.errors import ServiceError
from tests import factories
from tests.conftest import csrf_token


@pytest.fixture
def secretariat(seeded):
    u = factories.user("secretariat", email="sec@example.org")
    db.session.commit()
    return u


def test_login_and_logout(client, auth, secretariat):
    response = auth.login("sec@example.org")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/home")
    page = client.get("/home")
    assert page.status_code == 200
    assert "Network Secretariat" in page.get_data(as_text=True)
    assert auth.logout().status_code == 302
    assert client.get("/home").status_code == 302  # back to the login page


def test_email_is_case_insensitive(client, auth, secretariat):
    assert auth.login("SEC@Example.org").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, auth, secretariat):
    response = auth.login("sec@example.org", "wrong-password")
    assert response.status_code == 401
    assert "e-mail address or the password is wrong" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302


def test_unknown_email_gets_the_same_message(client, auth, secretariat):
    response = auth.login("nobody@example.org", "whatever-password")
    assert response.status_code == 401
    assert "e-mail address or the password is wrong" in response.get_data(as_text=True)


def test_throttle_locks_after_repeated_failures_even_for_the_right_password(
        client, auth, secretariat):
    for _ in range(3):  # LOGIN_MAX_FAILURES is 3 in the tests
        assert auth.login("sec@example.org", "wrong-password").status_code == 401
    response = auth.login("sec@example.org")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "login_locked"))


def test_a_success_clears_earlier_failures(client, auth, secretariat):
    auth.login("sec@example.org", "wrong-password")
    auth.login("sec@example.org", "wrong-password")
    assert auth.login("sec@example.org").status_code == 302
    assert db.session.scalars(db.select(LoginThrottle)).all() == []


def test_login_without_csrf_token_is_refused(client, secretariat):
    response = client.post("/login", data={"email": "sec@example.org",
                                           "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302


def test_logout_with_a_wrong_csrf_token_is_refused(client, auth, secretariat):
    auth.login("sec@example.org")
    response = client.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert client.get("/home").status_code == 200  # still signed in


def test_session_changes_on_login(client, auth, secretariat):
    """No session fixation: the session cookie before sign-in is not the one after."""
    client.get("/login")
    before = client.get_cookie("session").value
    auth.login("sec@example.org")
    assert client.get_cookie("session").value != before


def test_next_parameter_never_leaves_the_site(client, secretariat):
    token = csrf_token(client)
    response = client.post("/login?next=//evil.example/x", data={
        "email": "sec@example.org", "password": factories.PASSWORD, "csrf_token": token})
    assert response.headers["Location"].endswith("/home")


def test_role_refusal_is_403(client, auth, secretariat):
    auth.login("sec@example.org")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/audit").status_code == 200


def test_anonymous_is_sent_to_login(client, seeded):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_security_headers_and_cookie_flags(client, auth, secretariat):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    login = auth.login("sec@example.org")
    cookie = login.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("role", ["country_team", "secretariat", "reviewer", "chair",
                                  "fund_office", "admin"])
def test_every_role_sees_its_dashboard(client, auth, seeded, role):
    factories.user(role, country="KEN" if role == "country_team" else None,
                   email=f"{role}@example.org")
    db.session.commit()
    auth.login(f"{role}@example.org")
    page = client.get("/home")
    assert page.status_code == 200
    assert db.session.scalar(db.select(User).where(User.email == f"{role}@example.org")
                             ).role_label in page.get_data(as_text=True)


def test_create_user_refusals_leave_nothing(seeded):
    with pytest.raises(ServiceError, match="Unknown role 'boss'"):
        create_user("a@example.org", "long-enough-pw", "boss")
    with pytest.raises(ServiceError, match="needs --country"):
        create_user("a@example.org", "long-enough-pw", "country_team")
    with pytest.raises(ServiceError, match="Unknown country 'XXX'"):
        create_user("a@example.org", "long-enough-pw", "country_team", country_iso3="XXX")
    with pytest.raises(ServiceError, match="Only country team accounts"):
        create_user("a@example.org", "long-enough-pw", "chair", country_iso3="KEN")
    with pytest.raises(ServiceError, match="at least 10 characters"):
        create_user("a@example.org", "short", "chair")
    assert db.session.scalars(db.select(User)).all() == []
    create_user("a@example.org", "long-enough-pw", "chair")
    with pytest.raises(ServiceError, match="already exists"):
        create_user("A@example.org", "long-enough-pw", "admin")


def test_admin_creates_an_account_through_the_form(client, auth, seeded):
    factories.user("admin", email="admin@example.org")
    db.session.commit()
    auth.login("admin@example.org")
    response = auth.post("/admin/users", {"email": "kenya@example.org", "name": "UNCT Kenya",
                                          "role": "country_team", "country": "KEN",
                                          "password": "long-enough-pw"})
    assert response.status_code == 302
    made = db.session.scalar(db.select(User).where(User.email == "kenya@example.org"))
    assert made.country.iso3 == "KEN"
    again = auth.post("/admin/users", {"email": "kenya@example.org", "role": "chair",
                                       "password": "long-enough-pw"})
    assert "already exists" in again.get_data(as_text=True)


def test_changing_the_password_ends_every_other_session(client, served_app, auth, secretariat):
    """A session elsewhere (a copied cookie) ends with the old password; this one goes on."""
    from tests.conftest import Auth

    elsewhere = Auth(served_app.test_client())
    elsewhere.login("sec@example.org")
    auth.login("sec@example.org")
    changed = auth.post("/profile", {"current": "correct-horse-battery",
                                     "new": "a-new-long-passphrase",
                                     "confirm": "a-new-long-passphrase"}, token_from="/profile")
    assert changed.status_code == 302
    assert client.get("/home").status_code == 200
    assert elsewhere.client.get("/home").status_code == 302  # to the sign-in page


def test_the_dashboard_counts_only_the_notes_the_user_may_see(seeded):
    from mptf.main.services import dashboard
    from tests import factories

    team = factories.user("country_team", country="KEN")
    other_team = factories.user("country_team", country="BGD")
    chair = factories.user("chair")
    factories.note(team)  # a draft: not the chair's to see, nor to count
    factories.note(team, "submitted")
    db.session.commit()
    assert dashboard(chair)["notes"] == {"submitted": 1}
    assert dashboard(team)["notes"] == {"draft": 1, "submitted": 1}
    assert dashboard(other_team)["notes"] == {}


# --- the sign-in lock under concurrency, and the time an unknown address costs ------------------

def wrong_passwords_at_once(served_app, email: str, attempts: int = 40) -> list[int]:
    """``attempts`` wrong passwords for one account from one address, all at one instant:
    the statuses of the answers."""
    from tests.conftest import run_at_once

    posts = []
    for _ in range(attempts):
        client = served_app.test_client()
        posts.append((client, {"email": email, "password": "wrong-password",
                               "csrf_token": csrf_token(client)}))
    return run_at_once([lambda c=c, d=d: c.post("/login", data=d).status_code
                        for c, d in posts])


def test_wrong_passwords_at_once_check_no_more_than_the_limit(served_app, secretariat):
    """Each attempt was checked against a count read before the others wrote theirs: 40 at
    once had several more passwords checked than the limit, and the first insert of the
    throttle row collided with another's (a 500)."""
    statuses = wrong_passwords_at_once(served_app, "sec@example.org")
    most = served_app.config["LOGIN_MAX_FAILURES"]
    assert sorted(statuses) == [401] * most + [429] * (40 - most)
    throttle = db.session.scalar(db.select(LoginThrottle))
    assert throttle.failures == 40 and throttle.locked_until is not None
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
        AuditEvent.action == "login_locked")) == 1


def test_a_locked_attempt_checks_no_password(client, auth, secretariat, monkeypatch):
    for _ in range(3):
        auth.login("sec@example.org", "wrong-password")
    checked = []
    monkeypatch.setattr(User, "check_password", lambda self, p: checked.append(p) or True)
    assert auth.login("sec@example.org").status_code == 429
    assert checked == []


def test_the_lock_lapses_and_old_failures_are_forgotten(client, auth, secretariat):
    from datetime import timedelta

    for _ in range(3):
        auth.login("sec@example.org", "wrong-password")
    throttle = db.session.scalar(db.select(LoginThrottle))
    throttle.locked_until -= timedelta(seconds=601)
    db.session.commit()
    assert auth.login("sec@example.org", "wrong-password").status_code == 401  # counts anew
    db.session.refresh(throttle)
    assert (throttle.failures, throttle.locked_until) == (1, None)
    auth.login("sec@example.org", "wrong-password")
    throttle.last_failure_at -= timedelta(seconds=601)  # two failures, long ago
    db.session.commit()
    auth.login("sec@example.org", "wrong-password")
    db.session.refresh(throttle)
    assert throttle.failures == 1
    assert auth.login("sec@example.org").status_code == 302


def test_an_unknown_address_costs_a_password_hash_made_the_same_way(client, auth, secretariat,
                                                                    monkeypatch):
    """No hash was computed for an unknown address, so its refusal came several times faster
    than a real account's: the time told which addresses have accounts."""
    from mptf.auth import services

    checked = []

    def check(pwhash, password):
        checked.append(pwhash)
        return False

    monkeypatch.setattr(services, "check_password_hash", check)
    assert auth.login("nobody@example.org", "whatever-password").status_code == 401
    assert len(checked) == 1
    assert checked[0].startswith(client.application.config["PASSWORD_HASH_METHOD"] + "$")


# --- the remember-me cookie -------------------------------------------------------------------

def remembered_login(client, email: str = "sec@example.org") -> str:
    response = client.post("/login", data={"email": email, "password": factories.PASSWORD,
                                           "remember": "y", "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    return client.get_cookie("remember_token").value


def with_only(served_app, remembered: str):
    """A browser that holds nothing but the remember-me cookie."""
    browser = served_app.test_client()
    browser.set_cookie("remember_token", remembered)
    return browser


def test_the_remember_me_cookie_is_sent_as_the_session_cookie_and_lasts_30_days(test_config,
                                                                              secretariat):
    """It was never Secure, even behind HTTPS, and lasted 365 days."""
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    from mptf import create_app

    served = create_app(test_config[0] | {"SESSION_COOKIE_SECURE": True})
    client = served.test_client()
    response = client.post("/login", data={
        "email": "sec@example.org", "password": factories.PASSWORD, "remember": "y",
        "csrf_token": csrf_token(client)}, base_url="https://localhost",
        headers={"Referer": "https://localhost/login"})  # Flask-WTF checks it over HTTPS
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    remember = cookies["remember_token"]
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in remember and flag in cookies["session"]
    expires = parsedate_to_datetime(remember.split("Expires=")[1].split(";")[0])
    assert 29 <= (expires - datetime.now(UTC)).days <= 30
    with served.app_context():
        db.engine.dispose()


def test_the_remember_me_cookie_ends_with_a_password_change(client, served_app, auth,
                                                            secretariat):
    elsewhere = served_app.test_client()
    remembered = remembered_login(elsewhere)
    assert with_only(served_app, remembered).get("/home").status_code == 200  # on its own
    auth.login("sec@example.org")
    auth.post("/profile", {"current": factories.PASSWORD, "new": "a-new-long-passphrase",
                           "confirm": "a-new-long-passphrase"}, token_from="/profile")
    assert with_only(served_app, remembered).get("/home").status_code == 302


def test_the_remember_me_cookie_of_the_device_that_changed_the_password_goes_on(
        client, served_app, secretariat):
    old = remembered_login(client)
    changed = client.post("/profile", data={
        "current": factories.PASSWORD, "new": "a-new-long-passphrase",
        "confirm": "a-new-long-passphrase", "csrf_token": csrf_token(client, "/profile")})
    assert changed.status_code == 302
    new = client.get_cookie("remember_token").value
    assert new != old
    assert with_only(served_app, new).get("/home").status_code == 200
    assert with_only(served_app, old).get("/home").status_code == 302


def test_the_remember_me_cookie_ends_with_a_deactivation_for_good(served_app, secretariat):
    from mptf.auth.services import set_active

    remembered = remembered_login(served_app.test_client())
    admin = factories.user("admin", email="admin@example.org")
    set_active(admin, secretariat, False)
    db.session.commit()
    assert with_only(served_app, remembered).get("/home").status_code == 302
    set_active(admin, secretariat, True)
    db.session.commit()
    assert with_only(served_app, remembered).get("/home").status_code == 302


# --- the password policy ----------------------------------------------------------------------

@pytest.mark.parametrize(("password", "why"), [
    ("short", "at least 10 characters"),
    ("aaaaaaaaaa", "repeats one or a few characters"),
    ("abababababab", "repeats one or a few characters"),
    ("0123456789", "run of consecutive characters"),
    ("qwertyuiop", "most common passwords"),
    ("Password123!", "most common passwords"),
    ("P@ssw0rd2024", "most common passwords"),
    ("basketball-2026", "most common passwords"),
    ("demo-password", "words naming this service"),
    ("Migration-Fund-1", "words naming this service"),
    ("amina.hassan@example.org", "your e-mail address or your name"),
    ("amina.hassan.2026", "your e-mail address or your name"),
    ("AminaHassan!!", "your e-mail address or your name"),
    ("hassan-river-otter", "your e-mail address or your name"),
])
def test_the_password_policy_refuses_what_attackers_try_first(password, why):
    from mptf.auth.passwords import problem

    assert why in problem(password, email="amina.hassan@example.org", name="Amina Hassan")


@pytest.mark.parametrize("password", ["correct-horse-battery", "orange-harbour-lantern",
                                      "a-new-long-passphrase", "Tr0ub4dor&3xyz",
                                      "8264019375", "un-river-otter-ai"])
def test_the_password_policy_accepts_passphrases(password):
    from mptf.auth.passwords import problem

    assert problem(password, email="amina.hassan@example.org", name="Amina Hassan") is None


def test_the_common_passwords_ship_with_the_package():
    from mptf.auth.passwords import COMMON_PASSWORDS, common_passwords

    assert COMMON_PASSWORDS.parent.name == "auth" and len(common_passwords()) > 19_000
    assert {"123456", "password", "iloveyou", "aaaaaaaaaa"} <= common_passwords()
    assert (COMMON_PASSWORDS.parent / "SOURCES.md").read_text().count("common-passwords.txt")


def test_creating_an_account_refuses_a_weak_password_with_a_sentence(seeded):
    with pytest.raises(ServiceError, match="contains your e-mail address") as refused:
        create_user("amina.hassan@example.org", "amina.hassan-2026", "chair")
    assert "attackers try first" in refused.value.fields["password"][0]
    with pytest.raises(ServiceError, match="your e-mail address or your name"):
        create_user("a@example.org", "unct-kenya-2026", "chair", name="UNCT Kenya")
    with pytest.raises(ServiceError, match="most common passwords"):
        create_user("a@example.org", "iloveyou12345", "chair")
    assert db.session.scalars(db.select(User)).all() == []


def test_the_admin_form_refuses_a_common_password(client, auth, seeded):
    factories.user("admin", email="admin@example.org")
    db.session.commit()
    auth.login("admin@example.org")
    response = auth.post("/admin/users", {"email": "kenya@example.org", "name": "UNCT Kenya",
                                          "role": "chair", "password": "demo-password"})
    assert "words naming this service" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(User).where(User.email == "kenya@example.org")) is None


def test_the_command_line_refuses_a_weak_password_with_exit_2(runner, seeded):
    from mptf.cli import main

    result = runner.invoke(main, ["user", "create", "kenya@example.org", "--role", "chair",
                                  "--password", "kenya-2026-pass"])
    assert result.exit_code == 2
    assert "contains your e-mail address or your name" in result.output
    assert db.session.scalars(db.select(User)).all() == []


def test_the_profile_refuses_a_weak_new_password_and_keeps_the_old_one(client, auth,
                                                                        secretariat):
    auth.login("sec@example.org")
    refused = auth.post("/profile", {"current": factories.PASSWORD, "new": "password1234",
                                     "confirm": "password1234"}, token_from="/profile")
    assert refused.status_code == 200
    assert "most common passwords" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert secretariat.check_password(factories.PASSWORD)
    assert secretariat.session_version == 0


def test_a_database_too_busy_to_count_an_attempt_refuses_it_with_a_sentence(
        client, served_app, auth, secretariat):
    """The lock wait running out while counting an attempt is a refusal, not a 500."""
    from sqlalchemy import event

    with served_app.app_context():
        engine = db.engine

    def busy(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO LOGIN_THROTTLE"):
            raise engine.dialect.loaded_dbapi.OperationalError("database is locked")

    event.listen(engine, "before_cursor_execute", busy)
    try:
        response = auth.login("sec@example.org")
    finally:
        event.remove(engine, "before_cursor_execute", busy)
    assert response.status_code == 503
    assert "Try again in a few seconds" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302
    assert auth.login("sec@example.org").status_code == 302
