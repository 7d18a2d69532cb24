"""API tokens: made on the account page (shown once, stored hashed), required for the
signed-in operations, refused at once when revoked; the session cookie never authenticates
the API; rate limits counted in the database."""

import hashlib
import re

from mptf.extensions import db
from mptf.models import ApiRateLimit, ApiToken, AuditEvent
from mptf.services.unit_of_work import commit
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
