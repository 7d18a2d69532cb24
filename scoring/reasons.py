"""Why each note of an allocation was not funded, in a sentence with the numbers.

The sentences are read against the final allocation: what is allocated per area, region and
country, and the money left, earmarked and not. Every check that keeps a note out is named,
its status's check first, so the optimal method (whose choice has no priority order to point
to) gets reasons as exact as greedy's. For greedy the status's check held when the note was
tried and still holds at the end, since allocated totals only grow and money only shrinks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.allocate import AllocationPolicy, Funds, share_amount

REASON_COLUMNS = ("status", "amount", "from_earmarked", "from_unearmarked", "country", "region",
                  "thematic_area", "requested", "score")
_FUNDING_CHECKS = ("country_limit", "thematic_cap", "region_cap", "insufficient_funds")


def usd(cents: int) -> str:
    """12345678 -> 'USD 123,456.78' (as the app prints money)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"USD {sign}{whole:,}.{part:02d}"


@dataclass(frozen=True)
class MoneyLeft:
    """What an allocation leaves of its funds, in cents."""

    unearmarked: int
    earmarked: dict[int, int]

    @property
    def total(self) -> int:
        return self.unearmarked + sum(self.earmarked.values())


def _check(table: pd.DataFrame) -> None:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in REASON_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"table is missing columns: {', '.join(missing)}")


def money_left(table: pd.DataFrame, funds: Funds) -> MoneyLeft:
    """The unearmarked money left and, per area with an earmark, the earmarked money left."""
    _check(table)
    earmarked = table.groupby("thematic_area")["from_earmarked"].sum()
    return MoneyLeft(
        unearmarked=int(funds.unearmarked - table["from_unearmarked"].sum()),
        earmarked={int(a): int(c - earmarked.get(a, 0)) for a, c in funds.earmarked.items()})


class _Final:
    """The final allocation's totals and the clause of each check a further note fails."""

    def __init__(self, table: pd.DataFrame, funds: Funds, policy: AllocationPolicy) -> None:
        self.policy = policy
        envelope = funds.total
        funded = table[table["status"] == "funded"]
        self.area_total = Counter({int(a): int(c) for a, c in
                                   funded.groupby("thematic_area")["amount"].sum().items()})
        self.region_total = Counter(funded.groupby("region")["amount"].sum().to_dict())
        self.country_count = Counter(funded["country"].tolist())
        self.area_cap = {a: share_amount(s, envelope) for a, s in policy.thematic_cap.items()}
        self.region_cap = {r: share_amount(s, envelope) for r, s in policy.region_cap.items()}
        self.left = money_left(table, funds)

    def clause(self, check: str, note) -> str | None:
        """The clause saying how ``check`` keeps ``note`` out, or None when it does not."""
        requested = int(note.requested)
        if check == "country_limit":
            k, count = self.policy.max_per_country, self.country_count[note.country]
            if k is None or count < k:
                return None
            return (f"{note.country} has {count} funded note{'s' if count != 1 else ''}, the "
                    f"most the policy allows per country")
        if check == "thematic_cap":
            area = int(note.thematic_area)
            cap, total = self.area_cap.get(area), self.area_total[area]
            if cap is None or total + requested <= cap:
                return None
            return (f"thematic area {area}'s cap is {usd(cap)}, {usd(total)} is allocated to "
                    f"the area and the note asks {usd(requested)}")
        if check == "region_cap":
            cap, total = self.region_cap.get(note.region), self.region_total[note.region]
            if cap is None or total + requested <= cap:
                return None
            return (f"the cap of {note.region} is {usd(cap)}, {usd(total)} is allocated to the "
                    f"region and the note asks {usd(requested)}")
        area = int(note.thematic_area)
        own, free = self.left.earmarked.get(area, 0), self.left.unearmarked
        if own + free >= requested:
            return None
        if own:
            text = (f"not enough money left for the {usd(requested)} the note asks "
                    f"({usd(free)} unearmarked and {usd(own)} earmarked to its area {area})")
        else:
            text = f"not enough unearmarked money left ({usd(free)}) for the {usd(requested)} " \
                   f"the note asks"
        others = [(a, c) for a, c in sorted(self.left.earmarked.items()) if a != area and c > 0]
        if others:
            first, *rest = [f"{usd(c)} to area {a}" for a, c in others]
            first = first.replace(" to area", " is earmarked to area", 1)
            listed = ", ".join([first, *rest[:-1]]) + (f" and {rest[-1]}" if rest else "")
            whose = "that area's notes" if not rest else "notes of those areas"
            text += f"; {listed}, which only {whose} may use"
        return text


def _sentence(clauses: list[str]) -> str:
    text = "; also ".join(clauses)
    return text[:1].upper() + text[1:] + "."


def explain(table: pd.DataFrame, funds: Funds, policy: AllocationPolicy) -> pd.Series:
    """One sentence per row of ``table`` (an allocation's table, or a saved run's lines with
    the same columns): empty for a funded note and for a status this module does not know.

    ``table`` needs the columns of :data:`REASON_COLUMNS`; ``funds`` and ``policy`` are the
    ones the allocation ran with.
    """
    _check(table)
    final = _Final(table, funds, policy)
    out = []
    for note in table.itertuples(index=False):
        status = note.status
        if status in _FUNDING_CHECKS:
            first = final.clause(status, note)
            clauses = [first] if first is not None else []
            clauses += [c for check in _FUNDING_CHECKS if check != status
                        and (c := final.clause(check, note)) is not None]
            out.append(_sentence(clauses) if clauses else "")
        elif status == "no_quorum":
            out.append("Its review did not reach quorum, and the policy funds only notes whose "
                       "review did.")
        elif status == "below_min_score":
            score = float(note.score) if note.score is not None else np.nan
            shown = "—" if np.isnan(score) else f"{score:.1f}"
            out.append(f"Its score ({shown}) is below the policy's minimum of "
                       f"{policy.min_score:g}.")
        elif status == "marker":
            out.append(f"Its gender equality marker is below the policy's minimum of "
                       f"{policy.min_gender_marker}.")
        elif status == "expired":
            out.append("Its time in the pipeline ends before the decision date.")
        else:
            out.append("")
    return pd.Series(out, index=table.index, dtype=object, name="reason")
