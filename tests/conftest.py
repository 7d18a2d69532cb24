"""Fixtures: a fresh app and database per test, on SQLite by default or on PostgreSQL when
``MPTF_TEST_DATABASE_URL`` is set (each test then gets a schema of its own)."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import threading

import pytest
from sqlalchemy import event, text

from mptf import create_app
from mptf.config import normalise_database_url
from mptf.extensions import db

TEST_DATABASE_URL = os.environ.get("MPTF_TEST_DATABASE_URL")
_schemas = itertools.count()


def on_postgres() -> bool:
    return bool(TEST_DATABASE_URL) and TEST_DATABASE_URL.startswith("postgres")


def make_test_config(tmp_path) -> tuple[dict, str | None]:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "LOGIN_MAX_FAILURES": 3,
        "LOGIN_LOCK_SECONDS": 600,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    if on_postgres():
        schema = f"t_{os.getpid()}_{next(_schemas)}"
        config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(TEST_DATABASE_URL)
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": f"-csearch_path={schema}"},
            "pool_pre_ping": True,
        }
        return config, schema
    config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'test.sqlite'}"
    return config, None


@pytest.fixture
def test_config(tmp_path):
    return make_test_config(tmp_path)


@pytest.fixture
def empty_app(test_config):
    """An app whose database exists but has no tables (for the migration tests). The test
    body runs inside its app context, so tests query with ``db.session`` directly."""
    config, schema = test_config
    app = create_app(config)
    with app.app_context():
        if schema:
            with db.engine.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield app
        db.session.remove()
        if schema:
            with db.engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        db.engine.dispose()


@pytest.fixture
def app(empty_app):
    db.create_all()
    return empty_app


@pytest.fixture
def seeded(app):
    from mptf.reference.seed import seed_reference_data

    seed_reference_data()
    db.session.commit()
    return app


@pytest.fixture
def served_app(app, test_config):
    """A second app on the same database, serving the test client's requests. Each request
    then runs in an app context and session of its own, as in production, instead of sharing
    the test body's (Flask would reuse an active context of the same app object)."""
    served = create_app(test_config[0])
    yield served
    with served.app_context():
        db.engine.dispose()


@pytest.fixture
def client(served_app):
    return served_app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a page's form as a browser would."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = "correct-horse-battery"):
        token = csrf_token(self.client, "/login")
        return self.client.post("/login", data={"email": email, "password": password,
                                                "csrf_token": token})

    def logout(self):
        token = csrf_token(self.client, "/home")
        return self.client.post("/logout", data={"csrf_token": token})

    def post(self, path: str, data: dict | None = None, token_from: str = "/home", **kwargs):
        """POST a form with the session's CSRF token, as the browser would."""
        data = dict(data or {})
        data.setdefault("csrf_token", csrf_token(self.client, token_from))
        return self.client.post(path, data=data, **kwargs)


@pytest.fixture
def auth(client):
    return Auth(client)


def pytest_collection_modifyitems(config, items):
    """Tests of real concurrency need PostgreSQL's row locks; .ci/run runs them there."""
    if on_postgres():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set MPTF_TEST_DATABASE_URL "
                                   "(.ci/run does)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@contextlib.contextmanager
def counting_queries(engine):
    """Count the SQL statements sent through ``engine`` inside the block: ``with
    counting_queries(engine) as statements: ...`` then ``len(statements)``."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def run_at_once(jobs) -> list:
    """Start every job at the same instant (a barrier), wait for all, return their results in
    order; an exception in any job fails the test."""
    barrier, results, errors = threading.Barrier(len(jobs)), [None] * len(jobs), []

    def run(i, job):
        barrier.wait()
        try:
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - re-raised in the test's thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
