"""Rotation: three rotations in a row on a hand-worked example, partial rotations, the
secretariat's edits, the page and the command line."""

from datetime import date
from html import unescape

import pytest

from mptf.cli import main
from mptf.committee import services
from mptf.extensions import db
from mptf.models import AuditEvent, Membership, RotationOrder
from mptf.services.errors import ServiceError
from mptf.services.policy import SYSTEM
from tests import factories

ORDERS = {
    "chair": ["IOM"],
    "un_network": ["IOM", "ILO", "UNDP", "UNICEF", "OHCHR"],
    "contributing_state": ["DEU", "NLD", "GBR", "MEX"],
    "cotd_state": ["MEX", "MAR", "BGD", "PHL"],
    "stakeholder": ["ICMC", "MFA", "PICUM"],
    "ex_officio": ["MPTF Office"],
}

# Worked by hand from docs/committee.md, "Rotation", on the seeded seats (chair 1,
# un_network 3, contributing_state 3, cotd_state 3, stakeholder 2, ex_officio 1), 24-month
# terms, an empty committee before 2027-01-01. Constituencies are filled in the order below,
# seats in position order; the pointer continues after the party appointed last.
#
# 2027-01-01, from position 1 of each list:
#   chair IOM. un_network: IOM is taken (chair) -> ILO, UNDP, UNICEF. contributing: DEU, NLD,
#   GBR. cotd: MEX, MAR, BGD. stakeholders: ICMC, MFA. ex officio: MPTF Office.
# 2029-01-01, every term ends:
#   chair: IOM just left the seat and no one else is listed -> renewed.
#   un_network after UNICEF: OHCHR (seat 1); IOM taken; ILO (seat 2: it left seat 1, not 2);
#     UNDP (seat 3: it left seat 2).
#   contributing after GBR: MEX (seat 1); DEU (seat 2); NLD (seat 3).
#   cotd after BGD: PHL (seat 1); seat 2: MEX taken (contributing), MAR just left seat 2,
#     BGD; seat 3: PHL, MEX taken, MAR (it left seat 2).
#   stakeholders after MFA: PICUM (seat 1); ICMC (seat 2). Ex officio renewed.
# 2031-01-01:
#   un_network after UNDP (appointed last, seat 3): UNICEF, OHCHR, then IOM taken -> ILO.
#   contributing after NLD: GBR, MEX, DEU.
#   cotd after MAR: BGD, PHL; seat 3: MEX taken, MAR just left seat 3, BGD and PHL taken:
#     no one else -> MAR renewed.
#   stakeholders after ICMC: MFA, PICUM.
EXPECTED = {
    date(2027, 1, 1): {
        "chair": [("IOM", "rotation")],
        "un_network": [("ILO", "rotation"), ("UNDP", "rotation"), ("UNICEF", "rotation")],
        "contributing_state": [("DEU", "rotation"), ("NLD", "rotation"), ("GBR", "rotation")],
        "cotd_state": [("MEX", "rotation"), ("MAR", "rotation"), ("BGD", "rotation")],
        "stakeholder": [("ICMC", "rotation"), ("MFA", "rotation")],
        "ex_officio": [("MPTF Office", "rotation")],
    },
    date(2029, 1, 1): {
        "chair": [("IOM", "renewal")],
        "un_network": [("OHCHR", "rotation"), ("ILO", "rotation"), ("UNDP", "rotation")],
        "contributing_state": [("MEX", "rotation"), ("DEU", "rotation"), ("NLD", "rotation")],
        "cotd_state": [("PHL", "rotation"), ("BGD", "rotation"), ("MAR", "rotation")],
        "stakeholder": [("PICUM", "rotation"), ("ICMC", "rotation")],
        "ex_officio": [("MPTF Office", "renewal")],
    },
    date(2031, 1, 1): {
        "chair": [("IOM", "renewal")],
        "un_network": [("UNICEF", "rotation"), ("OHCHR", "rotation"), ("ILO", "rotation")],
        "contributing_state": [("GBR", "rotation"), ("MEX", "rotation"), ("DEU", "rotation")],
        "cotd_state": [("BGD", "rotation"), ("PHL", "rotation"), ("MAR", "renewal")],
        "stakeholder": [("MFA", "rotation"), ("PICUM", "rotation")],
        "ex_officio": [("MPTF Office", "renewal")],
    },
}


@pytest.fixture
def orders(seeded):
    factories.mptf_office()
    for constituency, codes in ORDERS.items():
        services.set_rotation_order(SYSTEM, constituency, codes)
    db.session.commit()


def _as_table(proposal) -> dict[str, list[tuple[str, str]]]:
    table: dict[str, list[tuple[str, str]]] = {}
    for change in proposal.changes:
        table.setdefault(change.seat.constituency, []).append(
            (change.incoming.acronym if change.incoming else None, change.how))
    return table


def _sitting(on: date) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for item in services.composition(on).seats:
        table.setdefault(item.seat.constituency, []).append(
            item.membership.organisation.acronym if item.membership else None)
    return table


def test_three_rotations_in_a_row_match_the_hand_worked_table(orders):
    for on, expected in EXPECTED.items():
        proposal = services.propose_rotation(on)
        assert proposal.end == services.add_months(on, 24)
        assert _as_table(proposal) == expected, on
        made = services.confirm_rotation(SYSTEM, on)
        assert len(made) == 13
        db.session.commit()
        assert _sitting(on) == {c: [p for p, _ in seats] for c, seats in expected.items()}
    # The terms before are kept: the composition on any past date is still derived.
    assert _sitting(date(2028, 6, 1))["un_network"] == ["ILO", "UNDP", "UNICEF"]
    assert services.propose_rotation(date(2032, 1, 1)).empty  # every seat is filled


def test_a_renewal_keeps_the_representatives(orders):
    chair = factories.user("chair")
    services.confirm_rotation(SYSTEM, date(2027, 1, 1))
    first = services.composition(date(2027, 1, 1)).seats[0].membership
    services.add_representative(SYSTEM, first, chair)
    services.confirm_rotation(SYSTEM, date(2029, 1, 1))
    renewed = services.composition(date(2029, 1, 1)).seats[0].membership
    assert renewed.id != first.id and renewed.organisation.acronym == "IOM"
    assert [r.user for r in renewed.representatives] == [chair]


def test_only_open_seats_rotate_and_the_pointer_continues(orders):
    services.confirm_rotation(SYSTEM, date(2027, 1, 1))
    ilo = services.composition(date(2027, 1, 1)).seats[1].membership
    services.end_membership(SYSTEM, ilo, date(2027, 7, 1))  # ILO leaves early
    proposal = services.propose_rotation(date(2027, 7, 1))
    # Only seat UN Network 1 is open; after UNICEF (appointed last) comes OHCHR.
    assert [(c.seat.label, c.outgoing.organisation.acronym, c.incoming.acronym)
            for c in proposal.changes] == [("UN Network on Migration 1", "ILO", "OHCHR")]
    assert len(proposal.continuing) == 12
    services.confirm_rotation(SYSTEM, date(2027, 7, 1))
    assert _sitting(date(2027, 7, 1))["un_network"] == ["OHCHR", "UNDP", "UNICEF"]
    # The new term runs 24 months from its own start.
    assert services.composition(date(2027, 7, 1)).seats[1].membership.end_date == \
        date(2029, 7, 1)


def test_a_seat_with_a_term_to_come_is_not_rotated(orders):
    factories.membership("stakeholder", 1, "WIMN", date(2027, 6, 1), date(2029, 6, 1))
    proposal = services.propose_rotation(date(2027, 1, 1))
    assert [m.organisation.acronym for m in proposal.scheduled] == ["WIMN"]
    assert "Stakeholders 1" not in [c.seat.label for c in proposal.changes]


def test_an_empty_rotation_order_leaves_seats_vacant(orders):
    services.set_rotation_order(SYSTEM, "stakeholder", [])
    proposal = services.propose_rotation(date(2027, 1, 1))
    assert _as_table(proposal)["stakeholder"] == [(None, "vacant"), (None, "vacant")]
    assert len(services.confirm_rotation(SYSTEM, date(2027, 1, 1))) == 11


def test_the_secretariat_swaps_a_party_and_the_rules_still_hold(orders):
    services.confirm_rotation(SYSTEM, date(2027, 1, 1))
    db.session.commit()
    seat = {c.seat.label: c.seat.id for c in services.propose_rotation(date(2029, 1, 1)).changes}
    un1, un2 = seat["UN Network on Migration 1"], seat["UN Network on Migration 2"]
    # ILO has just left UN Network 1: the rotation does not re-appoint it there.
    with pytest.raises(ServiceError, match="ILO has just left UN Network on Migration 1"):
        services.confirm_rotation(SYSTEM, date(2029, 1, 1), {un1: factories.entity("ILO").id})
    # A state cannot take a UN seat; a party cannot take two seats.
    with pytest.raises(ServiceError, match="Germany cannot sit for UN Network"):
        services.confirm_rotation(SYSTEM, date(2029, 1, 1), {un1: factories.state("DEU").id})
    with pytest.raises(ServiceError, match="OHCHR is already proposed for UN Network on "
                                           "Migration 1"):
        services.confirm_rotation(SYSTEM, date(2029, 1, 1), {un2: factories.entity("OHCHR").id})
    assert db.session.scalar(db.select(db.func.count(Membership.id))) == 13
    # WHO, not in the rotation order, instead of OHCHR; UN Network 2 left vacant.
    made = services.confirm_rotation(SYSTEM, date(2029, 1, 1),
                                     {un1: factories.entity("WHO").id, un2: None})
    assert len(made) == 12
    assert _sitting(date(2029, 1, 1))["un_network"] == ["WHO", None, "UNDP"]
    event = db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == "rotation_confirmed").order_by(AuditEvent.id.desc()))
    assert event.after["incoming"]["UN Network on Migration 1"] == "WHO"
    assert event.after["outgoing"]["UN Network on Migration 1"] == "ILO"


def test_rotation_order_refuses_unknown_and_repeated_parties(orders):
    with pytest.raises(ServiceError, match="Unknown party 'XYZ'.*DEU is listed twice"):
        services.set_rotation_order(SYSTEM, "contributing_state", ["DEU", "XYZ", "deu"])
    with pytest.raises(ServiceError, match="ILO cannot sit for Contributing states"):
        services.set_rotation_order(SYSTEM, "contributing_state", ["ILO"])
    codes = [r.organisation.acronym for r in db.session.scalars(
        db.select(RotationOrder).where(RotationOrder.constituency == "contributing_state")
        .order_by(RotationOrder.position))]
    assert codes == ORDERS["contributing_state"]


# --- the pages -------------------------------------------------------------------------------

def test_the_rotation_page_proposes_checks_and_confirms(client, auth, orders, secretariat):
    auth.login("sec@example.org")
    page = client.get("/committee/rotation?on=2027-01-01")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Rotation on 1 January 2027" in html and "next in the rotation order" in html
    assert '="None"' not in html  # no aria-invalid="None" on the seats' choices
    un1 = factories.seat("un_network", 1).id
    who = factories.entity("WHO").id
    data = {"on": "2027-01-01", f"seat_{un1}": str(who), "check": "1"}
    checked = auth.post("/committee/rotation", data, token_from="/committee/rotation")
    assert checked.status_code == 200
    assert "Your changes are valid" in checked.get_data(as_text=True)
    assert db.session.scalars(db.select(Membership)).all() == []
    del data["check"]
    data["confirm"] = "1"
    done = auth.post("/committee/rotation", data, token_from="/committee/rotation")
    assert done.status_code == 302
    assert "/committee/?on=2027-01-01" in done.headers["Location"]
    assert _sitting(date(2027, 1, 1))["un_network"] == ["WHO", "UNDP", "UNICEF"]
    assert len(db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "membership_added")).all()) == 13


def test_the_rotation_page_refuses_an_ineligible_choice(client, auth, orders, secretariat):
    services.confirm_rotation(SYSTEM, date(2027, 1, 1))
    db.session.commit()
    auth.login("sec@example.org")
    un1 = factories.seat("un_network", 1).id
    response = auth.post("/committee/rotation", {
        "on": "2029-01-01", f"seat_{un1}": str(factories.entity("ILO").id), "confirm": "1"},
        token_from="/committee/rotation")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    # ILO is not even offered for the seat it has just left.
    assert "Not a valid choice" in html
    assert f'aria-describedby="seat_{un1}-help" aria-invalid="true" id="seat_{un1}"' in html
    assert '="None"' not in html
    assert db.session.scalar(db.select(db.func.count(Membership.id))) == 13


def test_the_rotation_order_page(client, auth, orders, secretariat):
    auth.login("sec@example.org")
    html = client.get("/committee/rotation-order").get_data(as_text=True)
    assert "PICUM" in html
    bad = auth.post("/committee/rotation-order/stakeholder",
                    {"stakeholder-parties": "ICMC\nNOPE"}, token_from="/committee/rotation-order")
    assert bad.status_code == 400
    assert "Unknown party 'NOPE'" in unescape(bad.get_data(as_text=True))
    good = auth.post("/committee/rotation-order/stakeholder",
                     {"stakeholder-parties": "ITUC\nICMC\n"},
                     token_from="/committee/rotation-order")
    assert good.status_code == 302
    assert [p.acronym for p in services.rotation_orders()["stakeholder"]] == ["ITUC", "ICMC"]


# --- the command line ------------------------------------------------------------------------

def invoke(runner, *args):
    return runner.invoke(main, list(args), catch_exceptions=False)


def test_cli_prints_the_proposal_then_writes_it(runner, orders):
    shown = invoke(runner, "committee", "rotate", "--on", "2027-01-01")
    assert shown.exit_code == 0, shown.output
    assert "Rotation on 2027-01-01: new terms from 2027-01-01 to 2029-01-01." in shown.output
    assert "UN Network on Migration 1" in shown.output and "-> ILO" in shown.output
    assert "Nothing written" in shown.output
    assert db.session.scalars(db.select(Membership)).all() == []
    written = invoke(runner, "committee", "rotate", "--on", "2027-01-01", "--confirm")
    assert written.exit_code == 0, written.output
    assert "Confirmed: 13 new term(s) written." in written.output
    db.session.expire_all()
    assert len(db.session.scalars(db.select(Membership)).all()) == 13
    again = invoke(runner, "committee", "rotate", "--on", "2027-01-01")
    assert "No seat is open on that date" in again.output
    shown = invoke(runner, "committee", "show", "--on", "2027-01-01")
    assert "UN Network on Migration 1" in shown.output and "ILO (until 2029-01-01)" in shown.output


def test_cli_refuses_a_bad_date_with_exit_2(runner, orders):
    for bad in ("2027-13-01", "next year", ""):
        result = invoke(runner, "committee", "rotate", "--on", bad, "--confirm")
        assert result.exit_code == 2, bad
        assert f"Error: '{bad}' is not a date; give it as YYYY-MM-DD" in result.output
    assert db.session.scalars(db.select(Membership)).all() == []
