"""Who sits on a date: terms include their start and exclude their end; vacant seats; terms
ending within 90 days; the composition and timeline pages."""

import re
from datetime import date
from html import unescape

from mptf.committee import services
from mptf.extensions import db
from tests import factories


def _sitting(on: date) -> dict[str, str | None]:
    return {s.seat.label: (s.membership.organisation.acronym if s.membership else None)
            for s in services.composition(on).seats}


def test_composition_before_on_and_after_term_boundaries(seeded):
    factories.membership("un_network", 1, "ILO", date(2025, 1, 1), date(2027, 1, 1))
    factories.membership("un_network", 1, "UNDP", date(2027, 1, 1), date(2029, 1, 1))
    seat = "UN Network on Migration 1"
    # (day, who sits in the seat): start inclusive, end exclusive.
    table = [
        (date(2024, 12, 31), None),
        (date(2025, 1, 1), "ILO"),
        (date(2026, 12, 31), "ILO"),
        (date(2027, 1, 1), "UNDP"),   # ILO's end date: its successor sits
        (date(2028, 12, 31), "UNDP"),
        (date(2029, 1, 1), None),
    ]
    for day, expected in table:
        assert _sitting(day)[seat] == expected, day


def test_vacant_seats_and_terms_ending_within_90_days(seeded):
    factories.membership("chair", 1, "IOM", date(2025, 1, 1), date(2027, 1, 1))
    factories.membership("un_network", 1, "ILO", date(2025, 1, 1), date(2026, 10, 3))
    comp = services.composition(date(2026, 7, 5))
    assert [m.organisation.acronym for m in comp.members] == ["IOM", "ILO"]
    assert len(comp.vacant) == 13 - 2
    # 2026-07-05 + 90 days = 2026-10-03: ILO's term (ending that day) ends soon, IOM's not.
    assert [m.organisation.acronym for m in comp.ending_soon] == ["ILO"]
    assert [m.organisation.acronym for m in services.composition(
        date(2026, 7, 4)).ending_soon] == []
    assert [c for c, _ in comp.by_constituency()] == [
        "chair", "un_network", "contributing_state", "cotd_state", "stakeholder", "ex_officio"]


def test_next_term_end(seeded):
    factories.membership("chair", 1, "IOM", date(2025, 1, 1), date(2027, 1, 1))
    factories.membership("un_network", 1, "ILO", date(2025, 1, 1), date(2026, 10, 3))
    assert services.next_term_end(date(2026, 1, 1)) == date(2026, 10, 3)
    assert services.next_term_end(date(2026, 10, 3)) == date(2027, 1, 1)
    assert services.next_term_end(date(2027, 1, 1)) is None


def test_add_months_keeps_the_day_or_takes_the_month_end():
    assert services.add_months(date(2025, 1, 1), 24) == date(2027, 1, 1)
    assert services.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert services.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert services.add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
    assert services.add_months(date(2026, 3, 1), -22) == date(2024, 5, 1)


def test_the_composition_page_shows_a_date(client, auth, seeded):
    factories.user("reviewer", email="rev@example.org")
    factories.membership("un_network", 2, "ILO", date(2025, 1, 1), date(2027, 1, 1))
    factories.membership("un_network", 2, "UNDP", date(2027, 1, 1), date(2029, 1, 1))
    db.session.commit()
    auth.login("rev@example.org")
    html = client.get("/committee/?on=2026-12-31").get_data(as_text=True)
    assert "Steering Committee on 31 December 2026" in html
    assert ">ILO<" in html and ">UNDP<" not in html
    html = client.get("/committee/?on=2027-01-01").get_data(as_text=True)
    assert ">UNDP<" in html and ">ILO<" not in html
    assert "vacant" in html
    bad = client.get("/committee/?on=2027-02-30")
    assert bad.status_code == 400
    assert "'2027-02-30' is not a date" in unescape(bad.get_data(as_text=True))
    assert client.get("/committee/").status_code == 200


def test_country_teams_do_not_see_the_committee(client, auth, seeded):
    factories.user("country_team", country="KEN", email="kenya@example.org")
    db.session.commit()
    auth.login("kenya@example.org")
    for path in ("/committee/", "/committee/timeline", "/committee/timeline.svg",
                 "/committee/memberships", "/committee/conflicts"):
        assert client.get(path).status_code == 403, path
    assert "/committee/" not in client.get("/home").get_data(as_text=True)


def test_anonymous_is_sent_to_login(client, seeded):
    response = client.get("/committee/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_other_role_sees_the_composition_and_the_navigation_entry(client, auth, seeded):
    for role in ("secretariat", "reviewer", "chair", "fund_office", "admin"):
        factories.user(role, email=f"{role}@example.org")
    db.session.commit()
    for role in ("secretariat", "reviewer", "chair", "fund_office", "admin"):
        auth.login(f"{role}@example.org")
        assert client.get("/committee/").status_code == 200, role
        assert 'href="/committee/"' in client.get("/home").get_data(as_text=True), role
        auth.logout()


def test_timeline_is_an_inline_svg_without_styles_or_scripts(client, auth, seeded):
    factories.user("fund_office", email="fo@example.org")
    factories.membership("un_network", 1, "ILO", date(2023, 1, 1), date(2025, 1, 1))
    factories.membership("un_network", 1, "UNDP", date(2025, 1, 1), date(2027, 1, 1))
    factories.membership("contributing_state", 1, "DEU", date(2025, 1, 1), date(2027, 1, 1))
    db.session.commit()
    auth.login("fo@example.org")
    page = client.get("/committee/timeline?on=2026-01-01")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert "<title" in svg and ">ILO<" in svg and ">DEU<" in svg
    assert "style=" not in svg and "<style" not in svg and "<script" not in html
    assert 'fill="#005a9c"' in svg  # the UN Network's colour, as an attribute
    download = client.get("/committee/timeline.svg?on=2026-01-01")
    assert download.mimetype == "image/svg+xml"
    again = client.get("/committee/timeline.svg?on=2026-01-01").get_data(as_text=True)
    assert again == download.get_data(as_text=True)  # stable output
    assert re.search(r"UN Network on Migration 1", again)


def test_timeline_without_terms(client, auth, seeded):
    factories.user("reviewer", email="rev@example.org")
    db.session.commit()
    auth.login("rev@example.org")
    assert "No terms yet" in client.get("/committee/timeline").get_data(as_text=True)
    assert client.get("/committee/timeline.svg").status_code == 404
