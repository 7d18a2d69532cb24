"""Committee fixtures. Notes are built directly from the models (status 'pipeline', with
their dates), so that these tests depend on no pipeline service."""

import itertools
from datetime import date, datetime

import pytest

from mptf.extensions import db
from mptf.models import ConceptNote, PunoBudgetLine
from tests import factories

_references = itertools.count(9001)


def make_note(country: str = "KEN", punos: tuple[str, ...] = ("IOM", "ILO"),
              regional: tuple[str, ...] = (), status: str = "pipeline") -> ConceptNote:
    """A concept note of ``country`` with ``punos`` (acronyms, the first leads); a regional
    note when ``regional`` lists the ISO codes of the countries it covers."""
    in_pipeline = status != "draft"
    note = ConceptNote(
        reference=f"MIG-2026-{next(_references):04d}", status=status,
        title=f"Joint programme in {country}", country=factories.country(country),
        is_regional=bool(regional),
        pipeline_at=datetime(2026, 3, 1) if in_pipeline else None,
        expires_on=date(2028, 3, 1) if in_pipeline else None)
    note.countries = [factories.country(c) for c in regional]
    for position, acronym in enumerate(punos):
        note.puno_lines.append(PunoBudgetLine(
            organisation=factories.entity(acronym), is_lead=position == 0, position=position,
            direct_cents=50_000_000, indirect_cents=3_500_000))
    db.session.add(note)
    db.session.flush()
    return note


@pytest.fixture
def secretariat(seeded):
    user = factories.user("secretariat", email="sec@example.org")
    db.session.commit()
    return user
