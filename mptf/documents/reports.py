"""The reports: the pipeline report for donors (funded portfolio and unfunded demand) and a
closed round's scoring report, from the tables ``mptf.reports.documents`` gathers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from mptf.charts import bars
from mptf.documents.pdf import render_pdf


def pipeline_report_pdf(tables: dict[str, pd.DataFrame], created: datetime) -> bytes:
    """``tables``: by thematic area, by region and by country (``PIPELINE_TABLE_LABELS``),
    each a label column then the funded and unfunded counts and amounts in cents."""
    charts = {}
    for key in ("thematic_area", "region"):
        t = tables[key]
        first = t.columns[0]
        charts[key] = bars(t[first].tolist(), {"Funded": t["Funded"].tolist(),
                                               "Unfunded demand": t["Unfunded demand"].tolist()},
                           title=f"Funded and unfunded demand by {first.lower()}")
    return render_pdf("pdf/pipeline_report.html",
                      reference=f"MIG-PIPELINE-{created:%Y%m%d}",
                      title="The pipeline: funded portfolio and unfunded demand",
                      created=created, tables=tables, charts=charts)


def round_report_pdf(round_: Any, results: pd.DataFrame, means: pd.DataFrame,
                     created: datetime) -> bytes:
    """A closed round's ranking (``results``) and its criterion means (``means``)."""
    return render_pdf("pdf/round_report.html", reference=f"MIG-ROUND-{round_.id:03d}",
                      title=f"Scoring report: {round_.name}", created=created, round_=round_,
                      results=results, means=means)
