"""Accessibility: axe-core on the main pages finds no serious or critical violation, and the
main forms work with the keyboard alone."""

from pathlib import Path

import pytest

from mptf.extensions import db
from tests import factories

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def people(live_app):
    with live_app.app_context():
        team = factories.user("country_team", country="KEN", email="kenya@example.org")
        factories.user("secretariat", email="sec@example.org")
        factories.user("fund_office", email="office@example.org")
        note = factories.note(team, "submitted")
        db.session.commit()
        return {"note": note.id}


def violations(page) -> list[str]:
    """Serious and critical axe-core violations on the page, one line each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_no_serious_accessibility_violations(browser, live_server, people):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make test` (it installs tests/browser's npm "
                    "packages) or `npm ci` in tests/browser")
    context = browser.new_context(bypass_csp=True)  # axe is injected as a script
    page = context.new_page()
    found = {}
    page.goto(live_server + "/login")
    found["/login"] = violations(page)
    for email, paths in (
            ("kenya@example.org", ["/home", "/pipeline/", "/pipeline/new",
                                   f"/pipeline/{people['note']}",
                                   f"/pipeline/{people['note']}/withdraw"]),  # confirmation
            ("sec@example.org", ["/home", "/pipeline/", f"/pipeline/{people['note']}/screen",
                                 "/review/", "/review/new", "/fund/cycles/", "/reports/",
                                 "/committee/", "/admin/audit"]),
            ("office@example.org", ["/fund/", "/fund/contributions", "/fund/contributions/new"])):
        page.goto(live_server + "/login")
        page.fill("#email", email)
        page.fill("#password", factories.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/home")
        for path in paths:
            response = page.goto(live_server + path)
            assert response.status < 400, path
            found[f"{email} {path}"] = violations(page)
        page.goto(live_server + "/home")
        page.get_by_role("button", name="Sign out").click()
    context.close()
    problems = {k: v for k, v in found.items() if v}
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_sign_in_and_draft_with_the_keyboard_alone(journey, people):
    page = journey.page
    journey.go("/login")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to content"
    page.focus("#email")
    page.keyboard.type("kenya@example.org")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/home")
    journey.go("/pipeline/new")
    page.focus("#title")
    page.keyboard.type("Typed with the keyboard")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "thematic_area_id"
    page.keyboard.press("ArrowDown")
    # Every field of the form can be reached with Tab, and the focus is always visible.
    seen = set()
    for _ in range(200):
        page.keyboard.press("Tab")
        element = page.evaluate("""() => { const e = document.activeElement;
            const s = getComputedStyle(e);
            return [e.id || e.name || e.textContent.trim(), s.outlineStyle, s.outlineWidth]; }""")
        seen.add(element[0])
        assert element[1] != "none" or element[0] == "", element
        if element[0] == "save":
            break
    assert {"summary", "punos-0-organisation", "national_partners-0-name", "save"} <= seen
    page.keyboard.press("Enter")
    page.wait_for_url("**/edit")
    journey.shot("saved-by-keyboard")
    assert "Typed with the keyboard" in page.content()
