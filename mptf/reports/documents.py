"""The reports' data, gathered for ``mptf.documents.reports`` to render: the pipeline report's
tables (from the public portfolio's demand frame, in integer cents) and a closed round's
results (``mptf.review.services``)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import select

from mptf.documents import reports
from mptf.extensions import db
from mptf.models import ReviewRound, ThematicArea
from mptf.models.base import utcnow
from mptf.public.portfolio import demand_frame
from mptf.review import services as review
from scoring.summaries import demand


def pipeline_tables() -> dict[str, pd.DataFrame]:
    """Funded and unfunded demand by thematic area, region and country."""
    frame = demand_frame()
    names = {a.id: f"{a.id}. {a.short_name}" for a in db.session.scalars(select(ThematicArea))}
    out = {}
    for key, label in (("thematic_area", "Thematic area"), ("region", "Region"),
                       ("country", "Country")):
        table = demand(frame, key).reset_index()
        if key == "thematic_area":
            table[key] = table[key].map(lambda a: names.get(a, str(a)))
        out[key] = table.rename(columns={
            key: label, "funded_notes": "Funded notes", "funded": "Funded",
            "unfunded_notes": "Unfunded notes", "unfunded_demand": "Unfunded demand"})
    return out


def pipeline_report_pdf(created: datetime | None = None) -> bytes:
    return reports.pipeline_report_pdf(pipeline_tables(),
                                       created or utcnow().replace(microsecond=0))


def round_report_pdf(round_: ReviewRound, created: datetime | None = None) -> bytes:
    return reports.round_report_pdf(
        round_, review.results_frame(round_), review.criterion_means_frame(round_),
        created or round_.closed_at or utcnow().replace(microsecond=0))
