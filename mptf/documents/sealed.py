"""The sealed documents: the Steering Committee's decision on a funding cycle and its
decision letters, from the context ``mptf.allocation.decision_documents`` gathers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from mptf.charts import bars
from mptf.documents.pdf import render_pdf


def decision_chart(by_area: pd.DataFrame, area_names: dict[int, str]) -> str:
    """Requested and allocated by thematic area, the decision's one chart."""
    return bars([area_names.get(a, str(a)) for a in by_area["Thematic area"]],
                {"Requested": by_area["Requested"].tolist(),
                 "Allocated": by_area["Allocated"].tolist()},
                title="Requested and allocated by thematic area")


def decision_pdf(*, decision: Any, tables: dict[str, pd.DataFrame], area_names: dict[int, str],
                 created: datetime, verify_url: str, **context: Any) -> bytes:
    """The decision (``decision.issued_at`` seals it; a draft is a preview): its tables,
    chart, attendance, quorum and outcome as given in ``context``."""
    return render_pdf("pdf/decision.html", reference=decision.reference,
                      title=f"Steering Committee decision {decision.reference}",
                      created=created, sealed_at=decision.issued_at, verify_url=verify_url,
                      decision=decision, tables=tables, area_names=area_names,
                      chart=decision_chart(tables["by_area"], area_names),
                      total_allocated=int(tables["approved"]["Amount"].sum()), **context)


def letter_reference(decision_reference: str, note_reference: str) -> str:
    return f"{decision_reference}-L-{note_reference}"


def letter_pdf(*, decision: Any, note: Any, verify_url: str, **context: Any) -> bytes:
    """The decision letter on ``note`` to the Resident Coordinator of its country: its line
    of the run, its allocation and transfers, the reason and the conditions in ``context``."""
    return render_pdf(
        "pdf/letter.html", reference=letter_reference(decision.reference, note.reference),
        title=f"Decision letter {note.reference}", created=decision.issued_at,
        sealed_at=decision.issued_at, verify_url=verify_url, decision=decision, note=note,
        **context)
