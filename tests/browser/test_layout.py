"""Layout at 1280 px, measured in the browser: every role's navigation keeps to one line with
the account beside it (the demo's long names included), a required field's * stays on its
label's line, and the dashboard's counts sit under their headers."""

from __future__ import annotations

import pytest

from mptf.extensions import db
from tests import factories

# The demo's names (mptf/demo.py), the longest a header has to hold.
ACCOUNTS = [
    ("secretariat", "sec@example.org", None, "Network Secretariat (FMU)"),
    ("chair", "chair@example.org", None, "Network Coordinator (Chair)"),
    ("country_team", "bangladesh@example.org", "BGD", "UN Country Team Bangladesh"),
    ("fund_office", "office@example.org", None, "MPTF Office"),
    ("reviewer", "reviewer@example.org", None, "SC reviewer"),
    ("admin", "admin@example.org", None, "Administrator"),
]


@pytest.fixture
def accounts(live_app):
    with live_app.app_context():
        for role, email, country, name in ACCOUNTS:
            factories.user(role, country=country, email=email).name = name
        db.session.commit()


@pytest.fixture
def page(browser, live_server, accounts):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    def sign_in(email: str) -> None:
        context.clear_cookies()
        page.goto(live_server + "/login")
        page.fill("#email", email)
        page.fill("#password", factories.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/home")

    page.sign_in = sign_in
    page.base = live_server
    yield page
    context.close()


def box(page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found, selector
    return found


@pytest.mark.parametrize(("role", "email"), [(a[0], a[1]) for a in ACCOUNTS])
def test_the_navigation_keeps_to_one_line_at_1280_px(page, role, email):
    page.sign_in(email)
    items = page.locator("header.site nav li")
    tops = {round(items.nth(i).bounding_box()["y"]) for i in range(items.count())}
    assert len(tops) == 1, (role, tops)  # the items do not wrap
    nav, who = box(page, "header.site nav ul"), box(page, "header.site .who")
    assert who["x"] >= nav["x"] + nav["width"], role  # the account is beside the items
    assert who["y"] < nav["y"] + nav["height"] and nav["y"] < who["y"] + who["height"], role
    assert box(page, "header.site")["height"] < 60, role  # one line high


def test_a_required_star_stays_on_its_labels_line(page):
    page.sign_in("office@example.org")
    page.goto(page.base + "/fund/contributions/new")
    stars = page.locator(".field .req")
    assert stars.count() >= 3
    for i in range(stars.count()):
        star = stars.nth(i)
        label = star.locator("xpath=preceding-sibling::label[1]")
        s, lab = star.bounding_box(), label.bounding_box()
        assert abs((s["y"] + s["height"] / 2) - (lab["y"] + lab["height"] / 2)) < 4, \
            label.inner_text()
        assert s["x"] >= lab["x"] + lab["width"], label.inner_text()


TEXT_RIGHT = """cell => { const r = document.createRange(); r.selectNodeContents(cell);
                          return r.getBoundingClientRect().right; }"""


def test_the_dashboard_counts_sit_under_their_headers(page):
    page.sign_in("sec@example.org")
    headers = page.locator("table.counts thead th")
    numbers = page.locator("table.counts tbody tr").first.locator("td")
    assert headers.count() == numbers.count() > 0
    for i in range(headers.count()):
        header_right = headers.nth(i).evaluate(TEXT_RIGHT)
        number_right = numbers.nth(i).evaluate(TEXT_RIGHT)
        assert abs(header_right - number_right) < 2, (headers.nth(i).inner_text(),
                                                      header_right, number_right)
