"""Browser journeys: a live server on 127.0.0.1 (a real WSGI server in a thread, on a fresh
database) driven by Playwright with Debian's chromium. Screenshots go to artifacts/."""

from __future__ import annotations

import gc
import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from mptf import create_app
from mptf.extensions import db
from tests.conftest import make_test_config

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = os.environ.get("MPTF_CHROMIUM", "/usr/bin/chromium")


# The development server in its thread leaves a static file open when the browser abandons
# a response (a 304, a navigation away); the garbage collector then reports it at a random
# later moment. It is the test server's, not the app's: ignored for the browser tests only.
LIVE_SERVER_NOISE = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(LIVE_SERVER_NOISE)
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"no chromium at {CHROMIUM}: .ci/run installs Debian's "
                                   "chromium; set MPTF_CHROMIUM to use another")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture
def live_app(tmp_path):
    config, schema = make_test_config(tmp_path)
    config["LOGIN_MAX_FAILURES"] = 50
    app = create_app(config)
    with app.app_context():
        if schema:
            with db.engine.begin() as connection:
                connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        db.create_all()
        from mptf.reference.seed import seed_reference_data

        seed_reference_data()
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        if schema:
            with db.engine.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        db.engine.dispose()


@pytest.fixture
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    gc.collect()  # let the server's abandoned files be reported here, under the filter above


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage"])
        yield browser
        browser.close()


class Journey:
    """A browser session with the habits of a person: sign in, fill labelled fields, click
    named buttons, and a screenshot at each step."""

    def __init__(self, browser, base_url: str, name: str):
        self.base_url = base_url
        self.name = name
        self.context = browser.new_context(viewport={"width": 1280, "height": 900},
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.step = 0
        self.console_errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        ARTIFACTS.mkdir(exist_ok=True)

    def go(self, path: str):
        response = self.page.goto(self.base_url + path)
        return response

    def shot(self, label: str) -> None:
        self.step += 1
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{self.step:02d}-{label}.png"),
                             full_page=True)

    def login(self, email: str, password: str):
        self.go("/login")
        self.page.get_by_label("E-mail").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url("**/home")

    def logout(self):
        self.page.get_by_role("button", name="Sign out").click()
        self.page.wait_for_url("**/login")

    def close(self):
        self.context.close()


@pytest.fixture
def journey(browser, live_server, request):
    j = Journey(browser, live_server, request.node.name)
    yield j
    j.close()
