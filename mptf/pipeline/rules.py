"""The concept-note state machine and its money arithmetic (DESIGN.md §3), with no database
query: which moves there are (``TRANSITIONS``) and who makes each (``TRANSITION_ROLES``), both
enforced by ``mptf.pipeline.services.move_note``, the one way a note changes state. Amounts
are read and written by ``mptf.money``."""

from __future__ import annotations

from mptf.models.accounts import SYSTEM_ROLE, Role
from mptf.models.pipeline import NoteStatus
from mptf.services.dates import add_months

__all__ = ["STATUS_LABELS", "TRANSITIONS", "TRANSITION_ROLES", "add_months", "indirect_cents",
           "refusal", "role_refusal"]

S = NoteStatus

# state -> states it may move to
TRANSITIONS: dict[str, frozenset[NoteStatus]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.PIPELINE, S.RETURNED, S.WITHDRAWN}),
    S.RETURNED: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.PIPELINE: frozenset({S.SELECTED, S.WITHDRAWN, S.EXPIRED}),
    S.SELECTED: frozenset({S.FUNDED}),
    S.FUNDED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.EXPIRED: frozenset(),
}

# Who moves a note into each state (``SYSTEM_ROLE``: the fund's own processes). The
# secretariat moves notes into ``submitted`` only by importing the ones sent to it on paper
# (``mptf.pipeline.importer``); ``services.submit`` is the country team's alone.
TRANSITION_ROLES: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({Role.COUNTRY_TEAM, Role.SECRETARIAT}),
    S.WITHDRAWN: frozenset({Role.COUNTRY_TEAM}),
    S.PIPELINE: frozenset({Role.SECRETARIAT}),
    S.RETURNED: frozenset({Role.SECRETARIAT}),
    S.EXPIRED: frozenset({Role.SECRETARIAT, SYSTEM_ROLE}),
    S.SELECTED: frozenset({Role.CHAIR}),
    S.FUNDED: frozenset({Role.FUND_OFFICE, Role.CHAIR}),
}

STATUS_LABELS = {
    S.DRAFT: "Draft",
    S.SUBMITTED: "Submitted, awaiting screening",
    S.RETURNED: "Returned for revision",
    S.PIPELINE: "In the pipeline",
    S.SELECTED: "Selected for funding",
    S.FUNDED: "Funded",
    S.WITHDRAWN: "Withdrawn",
    S.EXPIRED: "Expired",
}

MOVERS = {Role.COUNTRY_TEAM: "the country team", Role.SECRETARIAT: "the Network Secretariat",
          Role.CHAIR: "the Steering Committee Chair", Role.FUND_OFFICE: "the MPTF Office",
          SYSTEM_ROLE: "the fund's daily maintenance"}
MOVES = {S.SUBMITTED: "submit a note", S.WITHDRAWN: "withdraw a note",
         S.PIPELINE: "screen a note into the pipeline", S.RETURNED: "return a note for revision",
         S.EXPIRED: "expire a note", S.SELECTED: "select a note for funding",
         S.FUNDED: "record a note as funded"}


def refusal(current: str, target: str) -> str | None:
    """None when ``current -> target`` is allowed, else the sentence saying why not."""
    if target in TRANSITIONS.get(current, frozenset()):
        return None
    allowed = sorted(TRANSITIONS.get(current, frozenset()))
    then = ("it cannot change any more" if not allowed
            else "it can only become " + " or ".join(STATUS_LABELS[a].lower() for a in allowed))
    return (f"A note that is {STATUS_LABELS[current].lower()} cannot become "
            f"{STATUS_LABELS[target].lower()}; {then}.")


def role_refusal(role: str, target: str) -> str | None:
    """None when ``role`` may move a note into ``target``, else the sentence saying who may."""
    movers = TRANSITION_ROLES.get(target, frozenset())
    if role in movers:
        return None
    who = " or ".join(MOVERS[m] for m in sorted(movers)) or "no one"
    return f"Only {who} can {MOVES.get(target, 'move a note there')}."


def indirect_cents(direct_cents: int, rate_bp: int) -> int:
    """Indirect support costs on a direct-cost budget, rounded half up to the cent
    (7 % = 700 basis points; USD 100,000.00 direct -> USD 7,000.00)."""
    return (direct_cents * rate_bp + 5_000) // 10_000
