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
