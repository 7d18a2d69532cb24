"""The committee's configuration: seats per constituency, term length, quorum rule."""

from datetime import date
from html import unescape

import pytest

from mptf.committee import services
from mptf.extensions import db
from mptf.models import AuditEvent, Seat
from mptf.services.errors import ServiceError
from mptf.services.policy import SYSTEM
from tests import factories


def _active() -> dict[str, int]:
    return services.current_settings().seats


def test_seeded_defaults(seeded):
    settings = services.current_settings()
    assert settings.seats == {"chair": 1, "un_network": 3, "contributing_state": 3,
                              "cotd_state": 3, "stakeholder": 2, "ex_officio": 1}
    assert settings.term_months == 24 and settings.quorum_majority is True
    assert settings.quorum_constituencies == ["un_network", "contributing_state", "cotd_state"]


def test_more_seats_fewer_seats_and_the_rules(seeded):
    settings = services.current_settings()
    settings.seats["stakeholder"] = 4
    settings.seats["un_network"] = 2
    settings.term_months = 36
    settings.quorum_constituencies = ["un_network"]
    services.configure(SYSTEM, settings, on=date(2026, 1, 1))
    assert _active()["stakeholder"] == 4 and _active()["un_network"] == 2
    removed = db.session.scalar(db.select(Seat).where(Seat.constituency == "un_network",
                                                      Seat.position == 3))
    assert removed.active is False  # kept for the history of its terms
    config = services.fund_config()
    assert (config.committee_term_months, config.quorum_constituencies) == (36, "un_network")
    assert factories.membership("stakeholder", 4, "ITUC", date(2026, 1, 1)).end_date == \
        date(2029, 1, 1)
    assert db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == "committee_configured")).after["term_months"] == 36


def test_a_seat_count_below_the_seats_filled_today_is_refused(seeded):
    for position, code in ((1, "ILO"), (2, "UNDP")):
        factories.membership("un_network", position, code, date(2025, 1, 1), date(2027, 1, 1))
    settings = services.current_settings()
    settings.seats["un_network"] = 1
    with pytest.raises(ServiceError, match="UN Network on Migration: 2 seats are filled on "
                                           "2026-01-01; the count cannot go below 2."):
        services.configure(SYSTEM, settings, on=date(2026, 1, 1))
    # Two filled (1 and 2) of three: removing seat 3 is fine, removing seat 2 is not.
    factories.membership("un_network", 3, "WHO", date(2028, 1, 1), date(2030, 1, 1))
    settings.seats["un_network"] = 2
    with pytest.raises(ServiceError, match="removing UN Network on Migration 3 would unseat "
                                           "WHO"):
        services.configure(SYSTEM, settings, on=date(2026, 1, 1))
    assert _active()["un_network"] == 3
    services.configure(SYSTEM, settings, on=date(2030, 1, 1))  # every term over by then
    assert _active()["un_network"] == 2


def test_bad_settings_are_refused(seeded):
    settings = services.current_settings()
    settings.term_months = 0
    settings.seats["cotd_state"] = 0
    with pytest.raises(ServiceError) as refused:
        services.configure(SYSTEM, settings)
    assert "A term lasts between 1 and 120 months." in refused.value.message
    assert "The quorum requires Countries of origin, transit and destination, which would " \
           "have no seats." in refused.value.message
    assert set(refused.value.fields) == {"term_months", "quorum_constituencies"}
    assert services.current_settings().term_months == 24 and _active()["cotd_state"] == 3


def test_the_configuration_page(client, auth, secretariat):
    factories.membership("contributing_state", 1, "DEU", date(2025, 1, 1),
                         date(2099, 1, 1))
    factories.membership("contributing_state", 2, "NLD", date(2025, 1, 1),
                         date(2099, 1, 1))
    db.session.commit()
    auth.login("sec@example.org")
    page = client.get("/committee/config")
    assert page.status_code == 200 and "2 filled on" in page.get_data(as_text=True)
    data = {"seats_chair": "1", "seats_un_network": "3", "seats_contributing_state": "1",
            "seats_cotd_state": "3", "seats_stakeholder": "2", "seats_ex_officio": "1",
            "term_months": "24", "quorum_majority": "y",
            "quorum_constituencies": ["un_network", "cotd_state"]}
    refused = auth.post("/committee/config", data, token_from="/committee/config")
    assert refused.status_code == 400
    html = unescape(refused.get_data(as_text=True))
    assert "Contributing states: 2 seats are filled on" in html
    assert "the count cannot go below 2." in html
    db.session.expire_all()
    assert _active()["contributing_state"] == 3
    assert services.fund_config().quorum_constituencies == \
        "un_network,contributing_state,cotd_state"
    bad = auth.post("/committee/config", {**data, "seats_contributing_state": "-1"},
                    token_from="/committee/config")
    assert bad.status_code == 400
    saved = auth.post("/committee/config", {**data, "seats_contributing_state": "2",
                                            "term_months": "30"},
                      token_from="/committee/config")
    assert saved.status_code == 302
    db.session.expire_all()
    assert _active()["contributing_state"] == 2
    assert services.fund_config().committee_term_months == 30
    assert services.fund_config().quorum_constituencies == "un_network,cotd_state"
