"""The first command is a promise: ``mptf demo --reset`` (what ``make demo`` runs) builds on a
fresh database on any day, and every demo account, and the public, can walk its pages.

The demo is built through the CLI on this test's own database (SQLite, or PostgreSQL in CI),
then each account signs in and follows the links of its pages from the dashboard, a few
levels deep: no answer is a 5xx, no linked page is an error, every page has its heading, and
each role reaches the pages of its journey. The same build runs with the whole process's
clock moved 400 and 800 days ahead (terms, pipeline validity and cycles follow the calendar).
"""

from __future__ import annotations

import re
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
import time_machine
from lxml import etree
from sqlalchemy import select

from mptf import create_app
from mptf.cli import main
from mptf.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from mptf.extensions import db
from mptf.models import Decision, User
from tests.conftest import Auth

IATI_SCHEMA = Path(__file__).resolve().parents[1] / "data" / "iati" / "iati-activities-schema.xsd"
HREF = re.compile(r'<a\b[^>]*\bhref="([^"]+)"')
H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S)
DOWNLOADS = (".pdf", ".csv", ".xlsx", ".svg", ".xml", ".json", ".png")

# Per role, address patterns its journey must reach from its dashboard (DESIGN §1).
JOURNEYS = {
    "country_team": [r"^/pipeline/$", r"^/pipeline/new$", r"^/pipeline/\d+$",
                     r"^/pipeline/\d+/edit$"],
    "secretariat": [r"^/pipeline/$", r"^/pipeline/\d+/screen$", r"^/committee/$",
                    r"^/committee/rotation$", r"^/review/\d+$", r"^/fund/cycles/\d+$",
                    r"^/reports/cycles/\d+/decision$", r"^/admin/audit"],
    "reviewer": [r"^/review/$", r"^/review/\d+$"],
    "chair": [r"^/fund/cycles/\d+$", r"^/reports/cycles/\d+/decision$",
              r"^/reports/decisions/\d+$"],
    "fund_office": [r"^/fund/$", r"^/fund/contributions$", r"^/fund/contributions/new$"],
    "admin": [r"^/admin/users"],
    None: [r"^/portfolio/$", r"^/portfolio/programmes/\d+$"],
}


def _pattern(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _internal_links(html: str) -> list[str]:
    links = []
    for href in HREF.findall(html):
        href = urldefrag(href.replace("&amp;", "&"))[0]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not href.startswith("/"):
            continue
        links.append(href)
    return links


def crawl(client, start: str, depth: int, fetched: set[str], per_pattern: int = 2,
          limit: int = 120) -> tuple[list[str], list[str]]:
    """Breadth-first from ``start``: the paths visited and the problems found. Two addresses
    of each shape (digits aside) are followed; a download (PDF, CSV, chart) of a shape once
    in all, ``fetched`` holding the shapes of those fetched already (they are the slow
    ones, and every role is served the same renderer)."""
    seen, visited, problems = {start}, [], []
    taken: Counter[str] = Counter()
    queue = deque([(start, 0)])
    while queue and len(visited) < limit:
        path, level = queue.popleft()
        response = client.get(path, follow_redirects=True)
        visited.append(path)
        if response.status_code >= 500:
            problems.append(f"{path}: {response.status_code}")
            continue
        if response.status_code != 200:
            problems.append(f"{path}: {response.status_code} behind a link")
            continue
        if path.split("?")[0].endswith(DOWNLOADS) or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        heading = H1.search(html)
        if not heading or not re.sub(r"<[^>]+>", "", heading.group(1)).strip():
            problems.append(f"{path}: no heading")
        if level >= depth:
            continue
        for link in _internal_links(html):
            key = _pattern(link)
            if link in seen or taken[key] >= per_pattern or link.startswith("/static/"):
                continue
            if link.split("?")[0].endswith(DOWNLOADS):
                if key.split("?")[0] in fetched:
                    continue
                fetched.add(key.split("?")[0])
            seen.add(link)
            taken[key] += 1
            queue.append((link, level + 1))
    return visited, problems


@pytest.fixture
def demo_database(test_config):
    """An empty database (a schema of its own on PostgreSQL) that the CLI builds the demo in."""
    config, schema = test_config
    app = create_app(config)
    with app.app_context():
        if schema:
            with db.engine.begin() as connection:
                connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield app
        db.session.remove()
        if schema:
            with db.engine.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        db.engine.dispose()


def build_through_cli(app) -> str:
    result = app.test_cli_runner().invoke(main, ["demo", "--reset"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def walk_as_everyone(app, depth: int) -> dict:
    served = create_app(dict(app.config))
    reached: dict = {}
    fetched: set[str] = set()
    try:
        for email, role, *_ in [*DEMO_ACCOUNTS, (None, None)]:
            client = served.test_client()
            if email:
                answer = Auth(client).login(email, DEMO_PASSWORD)
                assert answer.status_code == 302, (email, answer.status_code)
                start = "/home"
            else:
                start = "/portfolio/"
            visited, problems = crawl(client, start, depth, fetched)
            assert not problems, (role, problems)
            for wanted in JOURNEYS[role]:
                assert any(re.search(wanted, path) for path in visited), (role, wanted, visited)
            reached.setdefault(role, []).extend(visited)
    finally:
        with served.app_context():
            db.engine.dispose()
    return reached


def test_the_demo_builds_through_the_cli_and_every_role_walks_it(demo_database, tmp_path):
    output = build_through_cli(demo_database)
    assert "issued: SHA-256" in output
    issued = db.session.scalar(select(Decision).where(Decision.status == "issued"))
    assert issued is not None and issued.pdf.startswith(b"%PDF")
    reached = walk_as_everyone(demo_database, depth=3)
    assert set(reached) == {role for _, role, *_ in DEMO_ACCOUNTS} | {None}

    # Every account the demo made signs in, reviewers' representatives included.
    served = create_app(dict(demo_database.config))
    try:
        emails = db.session.scalars(select(User.email).where(
            User.email.like("%@demo.mptf.example"))).all()
        assert len(emails) > len(DEMO_ACCOUNTS)
        for email in emails:
            answer = Auth(served.test_client()).login(email, DEMO_PASSWORD)
            assert answer.status_code == 302, email
    finally:
        with served.app_context():
            db.engine.dispose()

    # The sealed decision is accepted by the public verify page.
    anonymous = Auth(demo_database.test_client())
    page = anonymous.post("/reports/verify", {"sha256": issued.pdf_sha256},
                          token_from="/reports/verify")
    assert page.status_code == 200 and issued.reference in page.get_data(as_text=True)

    # The public IATI file of the demo's funded programmes passes the IATI 2.03 schema.
    out = tmp_path / "iati.xml"
    result = demo_database.test_cli_runner().invoke(main, ["export", "iati", "-o", str(out)])
    assert result.exit_code == 0 and "Wrote " in result.output, result.output
    schema = etree.XMLSchema(etree.parse(str(IATI_SCHEMA)))
    schema.assertValid(etree.parse(str(out), etree.XMLParser(no_network=True)))


@pytest.mark.parametrize("days_ahead", [400, 800])
def test_the_demo_builds_and_walks_on_a_later_day(demo_database, days_ahead):
    later = datetime.now(UTC) + timedelta(days=days_ahead)
    with time_machine.travel(later, tick=True):
        assert datetime.now(UTC).date() == later.date()
        output = build_through_cli(demo_database)
        assert "issued: SHA-256" in output
        assert f"Funding cycle {later.year}" in output or f"{later.year - 1}" in output
        walk_as_everyone(demo_database, depth=2)
