"""API tokens: made on the account page (shown once, stored hashed), required for the
signed-in operations, refused at once when revoked; the session cookie never authenticates
the API; rate limits counted in the database."""

import hashlib
import re
from datetime import timedelta

import pytest

from mptf.extensions import db
from mptf.formatting import timestamp
from mptf.models import ApiRateLimit, ApiToken, AuditEvent
from mptf.models.base import utcnow
from mptf.services.unit_of_work import commit
from tests import factories
from tests.conftest import Auth, csrf_token
from tests.mptf.api.conftest import Api, make_token

TOKEN_RE = re.compile(r'<code id="new-token">(mptf_[A-Za-z0-9_-]+)</code>')


def test_a_token_is_made_on_the_account_page_shown_once_and_stored_hashed(world, client):
    auth = Auth(client)
    auth.login("kenya@example.org")
    assert "/account/tokens" in client.get("/profile").get_data(as_text=True)
    page = client.get("/account/tokens")
    assert page.status_code == 200 and "No tokens yet" in page.get_data(as_text=True)
    created = auth.post("/account/tokens", {"name": "reporting script"},
                        token_from="/account/tokens")
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    token = TOKEN_RE.search(created.get_data(as_text=True)).group(1)
    stored = db.session.scalar(db.select(ApiToken))
    assert stored.name == "reporting script" and stored.user_id == world.users["KEN"].id
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in client.get("/account/tokens").get_data(as_text=True)
    me = Api(client, token).get("/api/v1/me")
    assert me.status_code == 200
    assert me.get_json()["role"] == "country_team" and me.get_json()["country"]["iso3"] == "KEN"
    assert db.session.scalar(db.select(AuditEvent.action).where(
        AuditEvent.entity_type == "api_tokens")) == "api_token_created"


def test_the_token_form_needs_a_name_and_a_session(world, client):
    assert client.get("/account/tokens").status_code == 302  # to the sign-in page
    auth = Auth(client)
    auth.login("kenya@example.org")
    refused = auth.post("/account/tokens", {"name": ""}, token_from="/account/tokens")
    assert refused.status_code == 400
    no_csrf = client.post("/account/tokens", data={"name": "x"})
    assert no_csrf.status_code == 400
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0


def test_revoking_on_the_account_page_takes_effect_at_once(world, client):
    token = make_token(world.users["KEN"])
    api = Api(client, token)
    assert api.get("/api/v1/notes").status_code == 200
    auth = Auth(client)
    auth.login("kenya@example.org")
    row = db.session.scalar(db.select(ApiToken))
    revoked = client.post(f"/account/tokens/{row.id}/revoke",
                          data={"csrf_token": csrf_token(client, "/account/tokens")})
    assert revoked.status_code == 303
    db.session.expire_all()
    assert row.revoked_at is not None
    refused = api.get("/api/v1/notes")
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_nobody_revokes_another_users_token(world, client):
    bangladesh = make_token(world.users["BGD"])
    row = db.session.scalar(db.select(ApiToken))
    auth = Auth(client)
    auth.login("kenya@example.org")
    response = client.post(f"/account/tokens/{row.id}/revoke",
                           data={"csrf_token": csrf_token(client, "/account/tokens")})
    assert response.status_code == 404
    assert "There is no such token." in response.get_data(as_text=True)
    assert Api(client, bangladesh).get("/api/v1/me").status_code == 200


def test_signed_in_operations_need_a_valid_token(world, client, api_tokens):
    anonymous = Api(client)
    for path in ("/api/v1/me", "/api/v1/notes", "/api/v1/rounds", "/api/v1/cycles"):
        response = anonymous.get(path)
        assert response.status_code == 401, path
        assert set(response.get_json()["error"]) == {"code", "message", "fields"}
    for header in ("Bearer nope", "Basic a2VueWE6eA==", "Bearer", "mptf_x"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
    # A wrong token is refused even where no token is needed: the caller meant to use one.
    assert client.get("/api/v1/fund", headers={"Authorization": "Bearer x"}).status_code == 401


def test_the_session_cookie_does_not_authenticate_the_api(world, client):
    auth = Auth(client)
    auth.login("kenya@example.org")
    assert client.get("/home").status_code == 200
    assert client.get("/api/v1/me").status_code == 401
    assert client.post("/api/v1/notes", json={"title": "x"}).status_code == 401


def test_a_deactivated_users_token_stops_working(world, client):
    token = make_token(world.users["KEN"])
    world.users["KEN"].active = False
    commit()
    assert Api(client, token).get("/api/v1/me").status_code == 401


def test_rate_limit_per_token_with_retry_after(world, client, served_app):
    token = make_token(world.users["KEN"])
    served_app.config.update(API_RATE_LIMIT=3, API_RATE_WINDOW=3600)
    api = Api(client, token)
    statuses = [api.get("/api/v1/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api.get("/api/v1/me")
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    # Another token of another user has its own count.
    other = make_token(world.users["BGD"])
    assert Api(client, other).get("/api/v1/me").status_code == 200


def test_rate_limit_per_address_is_shared_by_every_app_process(world, served_app, test_config):
    """Two app processes (two apps on one database) count the same client together."""
    from mptf import create_app

    second = create_app(test_config[0])
    for app in (served_app, second):
        app.config.update(API_RATE_LIMIT_IP=4, API_RATE_WINDOW=3600)
    one, two = served_app.test_client(), second.test_client()
    statuses = [c.get("/api/v1/fund").status_code for c in (one, two, one, two, one, two)]
    assert statuses == [200, 200, 200, 200, 429, 429]
    row = db.session.scalar(db.select(ApiRateLimit).where(ApiRateLimit.key == "ip:127.0.0.1"))
    assert row.count == 6
    with second.app_context():
        db.engine.dispose()


def test_a_new_window_starts_the_count_again(world, client, served_app):
    from datetime import timedelta

    served_app.config.update(API_RATE_LIMIT_IP=1, API_RATE_WINDOW=60)
    assert client.get("/api/v1/fund").status_code == 200
    assert client.get("/api/v1/fund").status_code == 429
    row = db.session.scalar(db.select(ApiRateLimit))
    row.window_start -= timedelta(seconds=120)
    db.session.commit()
    assert client.get("/api/v1/fund").status_code == 200


# --- expiry, scope, and the end of every token with the password or the account -------------

@pytest.fixture
def kenya(seeded):
    user = factories.user("country_team", country="KEN", email="kenya@example.org")
    db.session.commit()
    return user


NOTE = {"title": "Skills partnerships"}


def test_a_token_lasts_90_days_unless_chosen_and_says_so(kenya, client):
    """Tokens never expired."""
    auth = Auth(client)
    auth.login("kenya@example.org")
    created = auth.post("/account/tokens", {"name": "reporting script"},
                        token_from="/account/tokens")
    assert created.status_code == 201
    token = TOKEN_RE.search(created.get_data(as_text=True)).group(1)
    stored = db.session.scalar(db.select(ApiToken))
    assert stored.expires_at - stored.created_at == timedelta(days=90)
    assert stored.scope == "read"  # the form's default: least privilege
    page = client.get("/account/tokens").get_data(as_text=True)
    assert timestamp(stored.expires_at) in page and "read only" in page
    me = Api(client, token).get("/api/v1/me").get_json()["token"]
    assert me["expires_at"] == stored.expires_at.replace(microsecond=0).isoformat() + "Z"
    assert me["scope"] == "read"


def test_the_token_form_makes_a_read_and_write_token_for_the_days_chosen(kenya, client):
    auth = Auth(client)
    auth.login("kenya@example.org")
    created = auth.post("/account/tokens", {"name": "sync", "scope": "read_write",
                                            "days": "30"}, token_from="/account/tokens")
    assert created.status_code == 201
    stored = db.session.scalar(db.select(ApiToken))
    assert (stored.scope, stored.expires_at - stored.created_at) == (
        "read_write", timedelta(days=30))
    for refused in ({"scope": "admin"}, {"days": "3650"}, {"days": "-1"}):
        answer = auth.post("/account/tokens", {"name": "x", **refused},
                           token_from="/account/tokens")
        assert answer.status_code == 400
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 1


def test_create_token_refuses_an_unknown_scope_or_duration(kenya):
    from mptf.api import tokens
    from mptf.services.errors import ServiceError

    with pytest.raises(ServiceError, match="reads only or reads and writes"):
        tokens.create_token(kenya, "x", scope="admin")
    with pytest.raises(ServiceError, match="choose one"):
        tokens.create_token(kenya, "x", days=10_000)
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0


def test_an_expired_token_is_refused(kenya, client):
    token = make_token(kenya)
    api = Api(client, token)
    assert api.get("/api/v1/me").status_code == 200
    row = db.session.scalar(db.select(ApiToken))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    refused = api.get("/api/v1/me")
    assert refused.status_code == 401
    assert "expired" in refused.get_json()["error"]["message"]
    auth = Auth(client)
    auth.login("kenya@example.org")
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "expired" in page and f"/account/tokens/{row.id}/revoke" not in page


def test_a_read_only_token_reads_and_is_refused_every_write(kenya, client):
    """Every token could do whatever its owner's role may."""
    from mptf.api import tokens
    from mptf.models import ConceptNote

    _row, text = tokens.create_token(kenya, "dashboard", scope="read")
    writer = make_token(kenya, "sync")
    reader = Api(client, text)
    assert reader.get("/api/v1/notes").status_code == 200
    assert reader.get("/api/v1/me").status_code == 200
    for answer in (reader.post("/api/v1/notes", json=NOTE),
                   reader.patch("/api/v1/notes/1", json=NOTE),
                   reader.post("/api/v1/notes/1/submit"),
                   reader.put("/api/v1/rounds/1/reviews/1", json={})):
        assert answer.status_code == 403
        assert answer.get_json()["error"]["code"] == "read_only_token"
        assert "read-only" in answer.get_json()["error"]["message"]
    assert db.session.scalar(db.select(db.func.count(ConceptNote.id))) == 0
    assert Api(client, writer).post("/api/v1/notes", json=NOTE).status_code == 201


def test_a_password_change_revokes_every_token(kenya, client):
    """A token made before the password changed (by whoever had the old one) kept working."""
    first, second = make_token(kenya, "one"), make_token(kenya, "two")
    auth = Auth(client)
    auth.login("kenya@example.org")
    changed = auth.post("/profile", {"current": factories.PASSWORD,
                                     "new": "a-new-long-passphrase",
                                     "confirm": "a-new-long-passphrase"}, token_from="/profile")
    assert changed.status_code == 302
    for token in (first, second):
        assert Api(client, token).get("/api/v1/me").status_code == 401
    assert set(db.session.scalars(db.select(ApiToken.revoked_because))) == {"password_changed"}
    assert "(password changed)" in client.get("/account/tokens").get_data(as_text=True)
    assert db.session.scalar(db.select(AuditEvent.after).where(
        AuditEvent.action == "api_tokens_ended")) == {"tokens": 2,
                                                      "because": "password_changed"}


def test_a_deactivation_ends_the_tokens_for_good(kenya, client):
    """A deactivated user's token worked again once the account was reactivated."""
    from mptf.auth.services import set_active

    token = make_token(kenya)
    admin = factories.user("admin", email="admin@example.org")
    set_active(admin, kenya, False)
    commit()
    assert Api(client, token).get("/api/v1/me").status_code == 401
    set_active(admin, kenya, True)
    commit()
    assert Api(client, token).get("/api/v1/me").status_code == 401
    row = db.session.scalar(db.select(ApiToken))
    assert row.revoked_because == "deactivated" and row.revoked_at is not None
    fresh = make_token(kenya, "after reactivation")
    assert Api(client, fresh).get("/api/v1/me").status_code == 200


def test_tokens_made_before_expiry_existed_get_one_and_keep_writing(empty_app):
    from flask_migrate import upgrade
    from sqlalchemy import text

    directory = empty_app.extensions["migrate"].directory
    upgrade(directory=directory, revision="0003")
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, email, name, password_hash, role, active, created_at, "
            "session_version) VALUES (1, 'a@example.org', 'A', 'x', 'chair', true, "
            "'2026-01-01 00:00:00', 0)"))
        connection.execute(text(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at, revoked_at) VALUES "
            "(1, 'old', 'h1', '2025-01-01 00:00:00', NULL), "
            "(1, 'gone', 'h2', '2025-01-01 00:00:00', '2025-06-01 00:00:00')"))
    upgrade(directory=directory)
    rows = {row.name: row for row in db.session.scalars(db.select(ApiToken))}
    assert {row.scope for row in rows.values()} == {"read_write"}
    assert rows["old"].active and rows["old"].expires_at - utcnow() > timedelta(days=89)
    assert (rows["old"].revoked_because, rows["gone"].revoked_because) == (None, "owner")
