"""The verifiable lottery for the grey zone (docs/allocation.md, "The lottery").

1. When drafting, the secretariat draws a seed (``new_seed``: 64 hexadecimal digits, 256 random
   bits) and publishes only its commitment, ``commitment(seed)``: the SHA-256 of the seed's
   64 characters, in hexadecimal. The seed stays sealed.
2. When issuing, the chair reveals the seed; ``check_seed`` refuses one whose SHA-256 is not the
   commitment.
3. The draw is a function of the seed and the grey zone's references alone (``draw_order``):
   each reference gets the ticket SHA-256(seed, a line feed, the reference), in UTF-8 and
   hexadecimal, and the references are put in the order of their tickets, smallest first
   (the reference itself breaks a tie, which SHA-256 makes as good as impossible). Anyone can
   re-run it with any SHA-256 tool; ``verify_draw`` is what ``mptf verify-draw`` calls.
4. The allocation (``lottery_allocation``) keeps every rule of the cycle's policy: the
   allocator's greedy rule tries the notes above the grey zone first (in priority order),
   then the grey zone's in the drawn order, then the rest (in priority order), floors first
   as always. A note drawn early is funded only when the rules let it be.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.allocate import TABLE_COLUMNS, AllocationPolicy, Funds, allocate
from scoring.uncertainty import _INELIGIBLE, TRY_STATUSES, _greedy, _Rules

SEED_DIGITS = 64
_SEED = re.compile(r"[0-9a-f]{64}")


def new_seed() -> str:
    """A fresh seed: 64 lowercase hexadecimal digits from the operating system's randomness."""
    return secrets.token_hex(SEED_DIGITS // 2)


def normalise_seed(seed: object) -> str:
    """The seed as committed: surrounding spaces dropped, letters in lower case. Anything but
    64 hexadecimal digits is refused (a short seed could be guessed from its commitment)."""
    if not isinstance(seed, str):
        raise ValueError(f"A seed is a text of {SEED_DIGITS} hexadecimal digits, "
                         f"not {type(seed).__name__}.")
    text = seed.strip().lower()
    if not _SEED.fullmatch(text):
        found = (f"is {len(text)} characters long" if len(text) != SEED_DIGITS
                 else "has other characters")
        raise ValueError(f"A seed is {SEED_DIGITS} hexadecimal digits (0-9, a-f); this one "
                         f"{found}.")
    return text


def commitment(seed: str) -> str:
    """The SHA-256 of the seed (its 64 characters in ASCII), in lowercase hexadecimal."""
    return hashlib.sha256(normalise_seed(seed).encode("ascii")).hexdigest()


def check_seed(seed: str, committed: str) -> str:
    """The normalised seed when its SHA-256 is ``committed``; otherwise a ValueError saying so."""
    text = normalise_seed(seed)
    if not isinstance(committed, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", committed.strip()):
        raise ValueError("A commitment is a SHA-256 in hexadecimal (64 digits).")
    actual = commitment(text)
    if actual != committed.strip().lower():
        raise ValueError(f"The seed revealed does not match the commitment: its SHA-256 is "
                         f"{actual}, the commitment printed in the draft is "
                         f"{committed.strip().lower()}.")
    return text


def _references(references: Iterable[str]) -> list[str]:
    refs = list(references)
    bad = [r for r in refs if not isinstance(r, str) or not r.strip() or r != r.strip()]
    if bad:
        raise ValueError(f"references must be non-empty texts without surrounding spaces, "
                         f"got {bad[0]!r}")
    twice = sorted({r for r in refs if refs.count(r) > 1})
    if twice:
        raise ValueError(f"a reference appears more than once in the draw: {', '.join(twice)}")
    return sorted(refs)


def ticket(seed: str, reference: str) -> str:
    """A reference's ticket: SHA-256 of the seed, a line feed and the reference (UTF-8)."""
    return hashlib.sha256(f"{normalise_seed(seed)}\n{reference}".encode()).hexdigest()


def draw_order(seed: str, references: Iterable[str]) -> list[str]:
    """The references in drawn order: by ticket, smallest first (then by reference)."""
    text = normalise_seed(seed)
    return sorted(_references(references), key=lambda r: (ticket(text, r), r))


def verify_draw(seed: str, committed: str, references: Iterable[str],
                order: Sequence[str]) -> list[str]:
    """Check a published draw: the seed matches the commitment and the drawn order is the one
    the seed gives for these references. Returns the order; raises ValueError with a sentence
    naming the first difference otherwise."""
    text = check_seed(seed, committed)
    expected = draw_order(text, references)
    claimed = list(order)
    if sorted(claimed) != sorted(expected):
        raise ValueError("The drawn order does not list the same references as the grey "
                         "zone.")
    for place, (mine, theirs) in enumerate(zip(expected, claimed, strict=True), start=1):
        if mine != theirs:
            raise ValueError(f"The drawn order differs from the seed's at place {place}: the "
                             f"seed puts {mine} there, the document {theirs}.")
    return expected


@dataclass(frozen=True, eq=False)
class LotteryAllocation:
    """The result of :func:`lottery_allocation`.

    ``table`` has the columns of ``Allocation.table`` (``order`` is the order the notes were
    tried in: above the grey zone, the grey zone as drawn, the rest; then the notes no rule
    lets in) and ``zone`` and ``drawn`` (the place in the draw, <NA> outside the grey zone).
    ``drawn`` lists the grey zone's references in drawn order, ``funded_by_lot`` the grey-zone
    notes funded.
    """

    table: pd.DataFrame
    seed: str
    commitment: str
    drawn: list[str]
    funded_by_lot: list


def lottery_allocation(notes: pd.DataFrame, funds: Funds, policy: AllocationPolicy, *,
                       above: Iterable, grey: Iterable, references: Mapping,
                       seed: str) -> LotteryAllocation:
    """Allocate by the greedy rule with the grey zone in the order ``seed`` draws.

    ``notes``, ``funds`` and ``policy`` are ``allocate``'s; ``above`` and ``grey`` are note ids
    (``FundingChances.above`` and ``grey_zone``), ``references`` maps each grey-zone note to
    its reference (what the draw orders).
    """
    text = normalise_seed(seed)
    point = allocate(notes, funds, policy)
    rules = _Rules.of(notes, funds, policy, point)
    table = rules.table
    ids = table["note_id"].tolist()
    row_of = {n: k for k, n in enumerate(ids)}
    above, grey = list(above), list(grey)
    unknown = [n for n in above + grey if n not in row_of]
    if unknown:
        raise ValueError(f"notes not among the candidates: {', '.join(map(str, unknown[:10]))}")
    both = sorted(set(above) & set(grey), key=lambda n: row_of[n])
    if both:
        raise ValueError(f"notes both above and in the grey zone: {', '.join(map(str, both))}")
    lacking = [n for n in grey if n not in references]
    if lacking:
        raise ValueError(f"grey-zone notes without a reference: {', '.join(map(str, lacking))}")
    by_reference = {references[n]: n for n in grey}
    if len(by_reference) < len(grey):
        twice = sorted({str(references[n]) for n in grey
                        if [references[m] for m in grey].count(references[n]) > 1})
        raise ValueError(f"grey-zone notes share a reference: {', '.join(twice)}")
    drawn = draw_order(text, by_reference)
    eligible = ~table["status"].isin(_INELIGIBLE).to_numpy()
    first = sorted(row_of[n] for n in above)
    middle = [row_of[by_reference[r]] for r in drawn]
    placed = set(first) | set(middle)
    tried_rows = first + middle + [k for k in range(len(ids)) if k not in placed]
    tried_rows = [k for k in tried_rows if eligible[k]]
    candidate_of_row = np.empty(len(ids), dtype=np.int64)
    candidate_of_row[rules.position] = np.arange(len(ids))
    funded, status, from_earmarked = _greedy(
        rules, rules.explicit_orders([int(candidate_of_row[k]) for k in tried_rows]),
        detail=True)

    rows = tried_rows + [k for k in range(len(ids)) if not eligible[k]]
    candidate = candidate_of_row[rows]
    result = table.iloc[rows].reset_index(drop=True)
    tried_status = np.array(TRY_STATUSES, dtype=object)[status[0, candidate]]
    result["status"] = np.where(eligible[rows], tried_status, result["status"].to_numpy())
    amount = np.where(funded[0, candidate], rules.requested[candidate], 0)
    earmarked = from_earmarked[0, candidate]
    result["order"] = np.arange(1, len(rows) + 1, dtype=np.int64)
    result["amount"] = amount.astype(np.int64)
    result["from_earmarked"] = earmarked.astype(np.int64)
    result["from_unearmarked"] = (amount - earmarked).astype(np.int64)
    zone_of = {**{n: "above" for n in above}, **{n: "grey" for n in grey}}
    result["zone"] = [zone_of.get(n, "below") for n in result["note_id"]]
    place = {by_reference[r]: k for k, r in enumerate(drawn, start=1)}
    result["drawn"] = pd.array([place.get(n) for n in result["note_id"]], dtype="Int64")
    funded_by_lot = [n for n, s in zip(result["note_id"], result["status"], strict=True)
                     if n in place and s == "funded"]
    return LotteryAllocation(
        table=result[[*TABLE_COLUMNS, "zone", "drawn"]],
        seed=text,
        commitment=commitment(text),
        drawn=drawn,
        funded_by_lot=sorted(funded_by_lot, key=lambda n: place[n]),
    )
