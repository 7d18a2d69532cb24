"""Behind reverse proxies (``MPTF_PROXY_HOPS``): the sign-in lock-out and the API's rate limit
count each client by the address the trusted proxy saw, and with no proxy trusted a forged
``X-Forwarded-For`` changes nothing. Before, every client behind a proxy had the proxy's
address: five wrong passwords locked an account out for everyone, and every anonymous API
client shared one rate limit."""

from __future__ import annotations

import pytest
from flask import request

from mptf import create_app
from mptf.config import proxy_hops
from mptf.extensions import db
from mptf.models import ApiRateLimit, LoginThrottle
from tests import factories
from tests.conftest import Auth

CLIENT, OTHER = "203.0.113.7", "198.51.100.9"


@pytest.fixture
def secretariat(seeded):
    user = factories.user("secretariat", email="sec@example.org")
    db.session.commit()
    return user


@pytest.fixture
def serve(app, test_config):
    """``serve(hops, **config)``: an app on the test's database behind ``hops`` trusted
    proxies; ``client(app, forwarded_for)`` a browser whose requests carry that header."""
    made = []

    def build(hops: int, **config):
        served = create_app({**test_config[0], "PROXY_HOPS": hops, **config})
        made.append(served)
        return served

    yield build
    for served in made:
        with served.app_context():
            db.engine.dispose()


def client(app, forwarded_for: str | None):
    browser = app.test_client()
    if forwarded_for is not None:
        browser.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return browser


def wrong_passwords(browser, times: int) -> list[int]:
    auth = Auth(browser)
    return [auth.login("sec@example.org", "wrong-password").status_code for _ in range(times)]


def test_behind_one_proxy_a_lock_out_is_the_clients_alone(serve, secretariat):
    served = serve(1)
    locked_out = client(served, CLIENT)
    assert wrong_passwords(locked_out, 3) == [401, 401, 401]  # LOGIN_MAX_FAILURES is 3
    assert Auth(locked_out).login("sec@example.org").status_code == 429
    assert Auth(client(served, OTHER)).login("sec@example.org").status_code == 302
    keys = db.session.scalars(db.select(LoginThrottle.key)).all()
    assert keys == [f"sec@example.org|{CLIENT}"]


def test_with_no_proxy_trusted_a_forged_address_is_ignored(serve, secretariat):
    served = serve(0)
    for forged in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        assert wrong_passwords(client(served, forged), 1) == [401]
    assert Auth(client(served, OTHER)).login("sec@example.org").status_code == 429
    keys = db.session.scalars(db.select(LoginThrottle.key)).all()
    assert keys == ["sec@example.org|127.0.0.1"]


def test_an_address_the_client_wrote_before_the_proxies_is_not_read(serve, secretariat):
    """Two proxies: the client's own X-Forwarded-For entries stand left of what the first
    proxy appended, and only the entry that proxy wrote is read."""
    served = serve(2)
    for forged in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        browser = client(served, f"{forged}, {CLIENT}, 10.0.0.2")
        assert wrong_passwords(browser, 1) == [401]
    assert Auth(client(served, f"{OTHER}, {CLIENT}, 10.0.0.2")).login(
        "sec@example.org").status_code == 429
    keys = db.session.scalars(db.select(LoginThrottle.key)).all()
    assert keys == [f"sec@example.org|{CLIENT}"]


LIMITS = {"API_RATE_LIMIT_IP": 2, "API_RATE_WINDOW": 3600}


def test_behind_a_proxy_each_api_client_has_its_own_rate_limit(serve, seeded):
    served = serve(1, **LIMITS)
    one, two = client(served, CLIENT), client(served, OTHER)
    statuses = [c.get("/api/v1/reference").status_code for c in (one, one, one, two)]
    assert statuses == [200, 200, 429, 200]
    counts = dict(db.session.execute(db.select(ApiRateLimit.key, ApiRateLimit.count)).all())
    assert counts == {f"ip:{CLIENT}": 3, f"ip:{OTHER}": 1}


def test_with_no_proxy_trusted_forged_addresses_share_one_rate_limit(serve, seeded):
    served = serve(0, **LIMITS)
    statuses = [client(served, f"192.0.2.{n}").get("/api/v1/reference").status_code
                for n in range(1, 4)]
    assert statuses == [200, 200, 429]
    counts = dict(db.session.execute(db.select(ApiRateLimit.key, ApiRateLimit.count)).all())
    assert counts == {"ip:127.0.0.1": 3}


def test_the_scheme_and_address_are_the_proxys_only_when_it_is_trusted(serve, seeded):
    """What a view sees (links built from the request, without MPTF_BASE_URL, take its
    scheme); the host stays the request's own, which TRUSTED_HOSTS checks."""
    for hops, seen in ((1, f"https {CLIENT} localhost"), (0, "http 127.0.0.1 localhost")):
        served = serve(hops)
        served.add_url_rule("/probe", "probe", lambda: " ".join(
            (request.scheme, request.remote_addr, request.host)))
        browser = client(served, CLIENT)
        browser.environ_base.update(HTTP_X_FORWARDED_PROTO="https",
                                    HTTP_X_FORWARDED_HOST="evil.example.org")
        assert browser.get("/probe").get_data(as_text=True) == seen


@pytest.mark.parametrize(("text", "hops"), [("", 0), ("0", 0), (" 2 ", 2), ("5", 5)])
def test_proxy_hops_reads_a_small_number(text, hops):
    assert proxy_hops(text) == hops


@pytest.mark.parametrize("text", ["6", "-1", "one", "1.0", "\u0663"])
def test_proxy_hops_refuses_anything_else_with_a_sentence(text):
    with pytest.raises(ValueError, match=r"MPTF_PROXY_HOPS .* is not a number of proxies "
                                         r"from 0 to 5"):
        proxy_hops(text)


def test_the_environment_sets_the_hops(monkeypatch, tmp_path):

    from mptf.config import from_environment

    monkeypatch.setenv("MPTF_PROXY_HOPS", "2")
    assert from_environment(str(tmp_path))["PROXY_HOPS"] == 2
    monkeypatch.setenv("MPTF_PROXY_HOPS", "two")
    with pytest.raises(ValueError, match="MPTF_PROXY_HOPS 'two' is not a number"):
        from_environment(str(tmp_path))
    monkeypatch.delenv("MPTF_PROXY_HOPS")
    assert from_environment(str(tmp_path))["PROXY_HOPS"] == 0


def test_only_trusted_hops_put_the_middleware_in_front(serve):
    from werkzeug.middleware.proxy_fix import ProxyFix

    behind = serve(2).wsgi_app
    assert isinstance(behind, ProxyFix) and (behind.x_for, behind.x_proto, behind.x_host) == (
        2, 2, 0)
    assert not isinstance(serve(0).wsgi_app, ProxyFix)
