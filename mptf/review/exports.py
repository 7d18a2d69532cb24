"""A closed round's results as the CSV and XLSX exports (``mptf.spreadsheet``): the ranking as
the results page shows it, and the mean score per criterion by note reference and criterion
label."""

from __future__ import annotations

import pandas as pd

from mptf.extensions import db
from mptf.models import ReviewRound, ThematicArea
from mptf.review import services
from mptf.spreadsheet import Table

SCORE_DECIMALS = 1  # the results page's |score
MEAN_DECIMALS = 2  # the page's mean per criterion, |score(2)
SCORES = ("Mean", "Median", "Std", "Spread", "Calibrated", "Score")


def ranking(round_: ReviewRound) -> Table:
    """The ranking: the thematic area by its name, the calibrated score only when the round
    calibrates (as on the page)."""
    frame = services.results_frame(round_).copy()
    areas = {a.id: str(a) for a in db.session.scalars(db.select(ThematicArea))}
    frame["Area"] = [areas.get(a, "") if pd.notna(a) else "" for a in frame["Area"]]
    frame = frame.rename(columns={"Area": "Thematic area"})
    if not round_.calibrate:
        frame = frame.drop(columns="Calibrated")
    return Table(frame, decimals={c: SCORE_DECIMALS for c in SCORES if c in frame.columns})


def criterion_means(round_: ReviewRound) -> Table | None:
    """One row per note (its reference), one column per criterion (its label)."""
    means = services.criterion_means_frame(round_)
    if means.empty:
        return None
    references = {rn.note_id: rn.note.reference for rn in round_.round_notes}
    labels = {c.code: c.label for c in round_.criteria}
    frame = means.rename(columns=labels)
    frame.insert(0, "Reference", [references[n] for n in means.index])
    return Table(frame.reset_index(drop=True),
                 decimals={label: MEAN_DECIMALS for label in labels.values()})


def sheets(round_: ReviewRound) -> dict[str, Table]:
    out = {"Ranking": ranking(round_)}
    means = criterion_means(round_)
    if means is not None:
        out["Criterion means"] = means
    return out
