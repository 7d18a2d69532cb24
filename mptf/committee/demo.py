"""The demo's Steering Committee: rotation orders for every constituency, two past terms and
the current one, each produced by the rotation service itself, and a representative for
every current voting seat (so that review rounds have reviewers)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlalchemy import func, select

from mptf.auth.services import create_user
from mptf.committee import services
from mptf.extensions import db
from mptf.models import ConceptNote, Membership, Organisation, User
from mptf.reference.seed import read_csv
from mptf.services.policy import Role

DEMO_PASSWORD = "orange-harbour-lantern"
DEMO_DOMAIN = "demo.mptf.example"
MPTF_OFFICE = ("MPTF Office", "Multi-Partner Trust Fund Office (Administrative Agent)")

ROTATION = {
    "chair": ["IOM"],  # the Network Coordinator: renewed at every rotation
    "un_network": ["IOM", "ILO", "UNDP", "UNICEF", "OHCHR", "UNHCR", "UNODC", "WHO",
                   "UN Women", "UNFPA"],
    "contributing_state": ["DEU", "NLD", "GBR", "CHE", "NOR", "SWE", "ESP", "PRT", "BEL",
                           "IRL"],
    "cotd_state": ["MEX", "MAR", "BGD", "PHL", "NGA", "SLV", "KEN", "ECU", "TUN", "NPL"],
    "stakeholder": [row["acronym"] for row in read_csv("stakeholders.csv")],
    "ex_officio": [MPTF_OFFICE[0]],
}
# The current term started this many months ago, so it ends within the next two months and
# the composition page shows terms ending soon and a rotation to prepare.
CURRENT_TERM_AGE_MONTHS = 22


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _mptf_office() -> Organisation:
    office = db.session.scalar(select(Organisation).where(
        Organisation.kind == "other", Organisation.acronym == MPTF_OFFICE[0]))
    if office is None:
        office = Organisation(kind="other", acronym=MPTF_OFFICE[0], name=MPTF_OFFICE[1])
        db.session.add(office)
        db.session.flush()
    return office


def build() -> Iterator[str]:
    if db.session.scalar(select(Membership.id).limit(1)) is not None:
        yield "Committee: memberships exist already; left as they are."
        return
    secretariat = _user(f"secretariat@{DEMO_DOMAIN}")
    _mptf_office()
    for constituency, codes in ROTATION.items():
        services.set_rotation_order(secretariat, constituency, codes)

    first_of_month = services.today().replace(day=1)
    current = services.add_months(first_of_month, -CURRENT_TERM_AGE_MONTHS)
    months = services.fund_config().committee_term_months
    starts = [services.add_months(current, -2 * months), services.add_months(current, -months),
              current]
    for start in starts:
        services.confirm_rotation(secretariat, start)
    yield (f"Committee: three terms by rotation, from {starts[0]}, {starts[1]} and "
           f"{starts[2]} (the current one, until {services.add_months(current, months)}).")

    members = services.composition(services.today()).members
    made = []
    for membership in members:
        constituency = membership.seat.constituency
        if constituency == "chair":
            user = _user(f"chair@{DEMO_DOMAIN}")
        elif constituency == "ex_officio":
            user = _user(f"fundoffice@{DEMO_DOMAIN}")
        elif constituency == "un_network" and membership.seat.position == 1:
            user = _user(f"reviewer@{DEMO_DOMAIN}")
        else:
            user = None
        if user is None:
            email = f"reviewer.{_slug(membership.organisation.acronym)}@{DEMO_DOMAIN}"
            user = _user(email) or create_user(
                email, DEMO_PASSWORD, Role.REVIEWER,
                name=f"Representative of {membership.organisation}")
            made.append(email)
        services.add_representative(secretariat, membership, user)
    first_un = next((m for m in members if m.seat.constituency == "un_network"), None)
    if first_un is not None:
        email = f"alternate.{_slug(first_un.organisation.acronym)}@{DEMO_DOMAIN}"
        alternate = _user(email) or create_user(
            email, DEMO_PASSWORD, Role.REVIEWER, name=f"Alternate of {first_un.organisation}")
        services.add_representative(secretariat, first_un, alternate, is_alternate=True)
        made.append(email + " (alternate)")
    yield (f"Committee: {len(members)} members sitting today; new reviewer accounts "
           f"(password {DEMO_PASSWORD}): {', '.join(made)}.")

    note = db.session.scalar(select(ConceptNote).where(ConceptNote.status == "pipeline")
                             .order_by(ConceptNote.reference).limit(1))
    reviewer = _user(f"reviewer@{DEMO_DOMAIN}")
    if note is not None and first_un is not None and reviewer is not None:
        services.declare_conflict(reviewer, first_un, note,
                                  "Our representative advised the country team on the draft "
                                  "of this concept note.")
        yield f"Committee: {first_un.organisation} declared a conflict on {note.reference}."
