"""The dashboards use the reports' fund: a committee, eight scored pipeline notes, a cycle
with its run and a draft decision (tests/mptf/reports/conftest.py)."""

from tests.mptf.reports.conftest import (  # noqa: F401 (fixtures)
    chair,
    cycle,
    draft,
    meeting,
    scored,
)
from tests.mptf.review.conftest import committee, pipeline_notes, teams  # noqa: F401
