"""SQL metacharacters in every filter and search of the listings (pipeline index and its
export, audit log, fund pages, public portfolio, API lists): never a 5xx, and a search
finds exactly the notes whose text holds the literal characters (searching '%' does not
match everything, '_' is not a wildcard)."""

from __future__ import annotations

import csv
import io
import re

import lxml.html
import pytest

from mptf.extensions import db
from mptf.models import ConceptNote
from tests import factories
from tests.mptf.security.bad_input import Session

METACHARACTERS = ["'", '"', "%", "_", "\\", "--", ";", "' OR 1=1 --", "%%", "_%", "%_%",
                  "\\%", "' OR '1'='1", "1; DROP TABLE concept_notes; --", "[a]", "*", "/",
                  "//", "/%", "é%"]
TITLES = ["Fees cut by 100% in corridors", "Data_sets for planning", "O'Reilly returnees",
          'The "safe" corridor', "Back\\slash and -- dashes; semicolons", "Plain title",
          "Path a/b and [a] sets", "Star * rating"]
REFERENCE = re.compile(r"MIG-\d{4}-\d{4}")


@pytest.fixture
def notes(world):
    """Pipeline notes whose titles carry the metacharacters, beside the world's notes."""
    made = [factories.note(world.users["KEN"], "pipeline", title=title, summary="Plain.")
            for title in TITLES]
    db.session.commit()
    return made


def literal_matches(needle: str, references: set[str]) -> set[str]:
    """The notes among ``references`` whose title, summary or reference holds ``needle``."""
    needle = needle.strip().lower()
    found = set()
    for note in db.session.scalars(db.select(ConceptNote).where(
            ConceptNote.reference.in_(references))):
        if any(needle in (text or "").lower() for text in (note.title, note.summary,
                                                           note.reference)):
            found.add(note.reference)
    return found


def exported_references(client, query: dict) -> set[str]:
    response = client.get("/pipeline/export.csv", query_string=query)
    assert response.status_code == 200, (query, response.status_code)
    return {row["Reference"] for row in csv.DictReader(io.StringIO(response.get_data(
        as_text=True)))}


def test_pipeline_search_finds_exactly_the_literal_matches(notes, client):
    session = Session(client)
    session.as_("sec")
    everything = exported_references(client, {})
    assert len(everything) >= len(TITLES)
    for needle in METACHARACTERS:
        expected = literal_matches(needle, everything)
        assert exported_references(client, {"q": needle}) == expected, needle
        page = client.get("/pipeline/", query_string={"q": needle})
        assert page.status_code == 200, needle
        table = lxml.html.document_fromstring(page.get_data(as_text=True)).find(".//main")
        shown = set(REFERENCE.findall(table.text_content())) if table is not None else set()
        assert shown == expected, (needle, shown, expected)
    assert exported_references(client, {"q": "%"}) == {notes[0].reference}
    assert exported_references(client, {"q": "_"}) == {notes[1].reference}


PIPELINE_FILTERS = ["status", "area", "region", "country", "puno", "gender_marker",
                    "score_min", "submitted_from", "submitted_to", "sort", "page"]


def test_pipeline_filters_take_metacharacters_without_5xx(notes, client):
    session = Session(client)
    session.as_("sec")
    for name in PIPELINE_FILTERS:
        for value in METACHARACTERS:
            page = client.get("/pipeline/", query_string={name: value})
            assert page.status_code == 200, (name, value, page.status_code)
            found = exported_references(client, {name: value})
            if name == "region":  # a text compared for equality: no region is called that
                assert found == set(), (name, value)


def test_the_audit_log_filters_are_exact(notes, client):
    session = Session(client)
    session.as_("sec")
    for name in ("action", "entity_type", "entity_id", "actor", "date_from", "date_to"):
        for value in METACHARACTERS:
            page = client.get("/admin/audit", query_string={name: value})
            assert page.status_code == 200, (name, value, page.status_code)
            html = page.get_data(as_text=True)
            if name in ("action", "entity_type", "actor") and len(value) <= 60:
                assert "No events match." in html, (name, value)
            if name in ("entity_id", "date_from", "date_to"):
                assert 'class="error"' in html, (name, value)


def test_fund_and_committee_days_take_metacharacters(notes, form_ids, client):
    session = Session(client)
    for role, paths in {"sec": ["/fund/", "/fund/chart.svg", "/fund/balance.csv",
                                "/fund/cycles.csv", "/committee/", "/committee/timeline",
                                f"/reports/cycles/{form_ids['cycle']}/decision"],
                        "office": ["/fund/balance.xlsx"]}.items():
        session.as_(role)
        for path in paths:
            for value in METACHARACTERS:
                key = "meeting_date" if "decision" in path else "on"
                response = client.get(path, query_string={key: value})
                assert response.status_code in (200, 400), (path, value, response.status_code)


def test_the_public_portfolio_search_is_literal(world, client):
    world.funded[0].title = "Kenya 100% labour mobility"
    world.funded[1].title = "Kenya data_sets"
    world.funded[2].title = "Bangladesh O'Reilly \\ returnees"
    db.session.commit()
    expected = {"%": {0}, "_": {1}, "'": {2}, "\\": {2}, "' OR 1=1 --": set(), "--": set(),
                "%_%": set(), ";": set(), '"': set()}
    for needle, indexes in expected.items():
        response = client.get("/portfolio/", query_string={"q": needle})
        assert response.status_code == 200, (needle, response.status_code)
        text = lxml.html.document_fromstring(response.get_data(as_text=True)).text_content()
        shown = {i for i, note in enumerate(world.funded) if note.title in text}
        assert shown == indexes, (needle, shown)
    for name in ("area", "region", "country", "year", "page"):
        for value in METACHARACTERS:
            response = client.get("/portfolio/", query_string={name: value})
            assert response.status_code in (200, 400), (name, value, response.status_code)


def references_in(value) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(references_in(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(references_in(v) for v in value)) if value else set()
    return set(REFERENCE.findall(value)) if isinstance(value, str) else set()


def test_the_api_list_filters_are_literal(notes, api_tokens, client):
    headers = {"Authorization": f"Bearer {api_tokens['sec']}"}
    everything = references_in(client.get("/api/v1/notes", headers=headers,
                                           query_string={"limit": "100"}).get_json()["data"])
    assert len(everything) >= len(TITLES)
    for needle in METACHARACTERS:
        response = client.get("/api/v1/notes", headers=headers,
                              query_string={"q": needle, "limit": "100"})
        assert response.status_code == 200, (needle, response.get_json())
        assert references_in(response.get_json()["data"]) == literal_matches(
            needle, everything), needle
    for path in ("/api/v1/notes", "/api/v1/programmes", "/api/v1/contributions",
                 "/api/v1/cycles", "/api/v1/decisions", "/api/v1/rounds"):
        for name in ("status", "area", "region", "country", "year", "q", "page", "sort"):
            for value in ("'", "%", "' OR 1=1 --", "\\", "_"):
                response = client.get(path, headers=headers, query_string={name: value})
                assert response.status_code < 500, (path, name, value, response.status_code)
