"""The quorum of a Steering Committee meeting, as pure logic: no database, no Flask.

The inputs are plain lists of ``(constituency, votes)`` pairs, one per seat: the seats whose
members are present, and the seats filled on the meeting's date (the composition). The rule
is the fund's configuration (``FundConfig.quorum_majority`` and
``FundConfig.quorum_constituencies``):

- with ``majority``, more than half of the voting members seated on the date are present
  (12 voting members: 7; 11: 6). A vacant seat cannot attend and does not count;
- at least one present member of every constituency in ``required``.

A member recused from the item under decision is not passed in as present (see
``mptf.committee.services.quorum_met``): a recusal never counts towards the quorum.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from mptf.models.committee import CONSTITUENCIES, CONSTITUENCY_LABELS

SeatRef = tuple[str, bool]


def _checked(seats: Sequence[SeatRef], name: str) -> list[SeatRef]:
    if isinstance(seats, str | bytes) or not isinstance(seats, Sequence):
        raise ValueError(f"{name} must be a list of (constituency, votes) pairs.")
    bad = [i for i, pair in enumerate(seats)
           if not (isinstance(pair, tuple | list) and len(pair) == 2
                   and pair[0] in CONSTITUENCIES and isinstance(pair[1], bool))]
    if bad:
        raise ValueError(f"{name}: rows {bad} are not (constituency, votes) pairs with a known "
                         f"constituency ({', '.join(CONSTITUENCIES)}) and a True/False vote.")
    return [(c, v) for c, v in seats]


def assess_quorum(present: Sequence[SeatRef], seated: Sequence[SeatRef], *,
                  majority: bool = True, required: Iterable[str] = ()) -> tuple[bool, list[str]]:
    """Whether the members ``present`` make a quorum of the committee ``seated``; the reasons
    list one sentence per condition not met (empty when the quorum is met). Raises ValueError
    for malformed input, or more members of a constituency present than are seated."""
    present = _checked(present, "present")
    seated = _checked(seated, "seated")
    required = list(dict.fromkeys(required))
    unknown = [c for c in required if c not in CONSTITUENCIES]
    if unknown:
        raise ValueError(f"required: unknown constituencies {unknown}.")
    present_count = Counter(c for c, _ in present)
    seated_count = Counter(c for c, _ in seated)
    too_many = sorted(c for c in present_count if present_count[c] > seated_count[c])
    if too_many:
        raise ValueError("More members present than seated in: " + ", ".join(
            f"{c} ({present_count[c]} present, {seated_count[c]} seated)" for c in too_many))

    reasons: list[str] = []
    if majority:
        voting_seated = sum(1 for _, votes in seated if votes)
        voting_present = sum(1 for _, votes in present if votes)
        needed = voting_seated // 2 + 1
        if voting_seated == 0:
            reasons.append("No voting member sits on the committee on that date.")
        elif voting_present < needed:
            reasons.append(f"{voting_present} of {voting_seated} voting members are present; "
                           f"a majority is {needed}.")
    for constituency in required:
        if present_count[constituency] == 0:
            reasons.append(f"No member of {CONSTITUENCY_LABELS[constituency]} is present.")
    return not reasons, reasons
