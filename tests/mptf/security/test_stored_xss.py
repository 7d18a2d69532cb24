"""Stored injection: script, markup, ``javascript:`` URLs, template syntax and fetchable URLs
saved in every text a person types (note texts, partners, stakeholders, principles,
screening reasons, round names, rubric labels and guidance, review comments, conflict
reasons, donors, contribution references, cycle names, reasons for excluding a note from a
cycle, decision texts, user and token names,
attachment names) are shown as literal text on every page that shows them and in the PDFs
(extracted with pypdf; the PDF fetcher is asked for no URL outside the package), and no cell
of a CSV or XLSX export starts with what a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import date

import lxml.html
import openpyxl
import pytest
from jinja2.utils import htmlsafe_json_dumps
from pypdf import PdfReader

from mptf.extensions import db
from mptf.models import (
    Allocation,
    Attachment,
    ConceptNote,
    Contribution,
    Review,
    ReviewRound,
    Screening,
)
from tests.mptf.security.bad_input import Session

PAYLOAD = ('<script>alert(1)</script>"><img src=x onerror=alert(1)>{{7*7}}{% if 1 %}'
           'TPL{% endif %}<link href=http://127.0.0.1:9/x.css rel=stylesheet>'
           '<img src=http://127.0.0.1:9/p.png>')
SHORT = '"><img src=x onerror=1>'  # for fields of at most 40 characters
FORMULAS = ['=HYPERLINK("http://x.example","y")', "+SUM(1,2)", "-2+3", "@cmd"]


class Marks:
    """A numbered marker per field, so a page shows which field it rendered."""

    def __init__(self):
        self.counter = itertools.count(1)
        self.fields: dict[str, str] = {}
        self.ids: dict[str, str] = {}

    def __call__(self, field: str, short: bool = False, javascript: bool = False) -> str:
        self.ids[mark := f"ZX{next(self.counter):02d}"] = field
        value = mark + (SHORT if short else PAYLOAD)
        if javascript:
            value = "javascript:alert(1)//" + value
        self.fields[field] = value
        return value


@pytest.fixture
def stored(form_ids, world):
    """Every user text of the world replaced by a payload; a draft decision of the draft
    cycle with payloads; formula-like texts in fields the exports carry."""
    from mptf.allocation import cycles, decisions
    from mptf.allocation import services as fund
    from mptf.committee import services as committee_services
    from mptf.models import ApiToken, Decision, FundingCycle, Membership, NotePrinciple, Seat

    mark = Marks()
    funded = world.funded[0]
    for name in ("title", "summary", "problem_statement", "theory_of_change",
                 "expected_results", "gender_justification", "human_rights_justification",
                 "child_justification"):
        setattr(funded, name, mark(f"note.{name}", javascript=name == "title"))
    funded.national_partners = [{"name": mark("note.partner"), "kind": "government"}]
    funded.stakeholders = [{"group": "migrants", "description": mark("note.stakeholder")}]
    for principle in db.session.scalars(db.select(NotePrinciple).where(
            NotePrinciple.note_id == funded.id)):
        principle.how = mark("note.principle")
    draft = db.session.get(ConceptNote, form_ids["draft"])
    draft.title = mark("draft.title")
    db.session.get(Attachment, form_ids["attachment"]).filename = mark("attachment") + ".pdf"
    screened = db.session.get(ConceptNote, form_ids["to_screen"])
    screening = db.session.scalar(db.select(Screening).where(
        Screening.note_id == world.unfunded.id))
    screening.reasons = mark("screening.reasons")
    screened.title = mark("to_screen.title")
    closed = db.session.get(ReviewRound, form_ids["closed_round"])
    closed.name = mark("round.name")
    closed.criteria[0].label = mark("criterion.label")
    closed.criteria[0].guidance = mark("criterion.guidance")
    comment = mark("review.comment")
    for review in db.session.scalars(db.select(Review).where(Review.round_id == closed.id)):
        review.comment = comment
    deu_review = db.session.scalar(db.select(Review).where(
        Review.round_id == closed.id, Review.note_id == funded.id,
        Review.membership_id == form_ids["membership"]))
    deu_review.scores[0].comment = mark("score.comment")
    membership = db.session.get(Membership, form_ids["membership"])
    stakeholder = db.session.scalar(db.select(Membership).join(Membership.seat).where(
        Seat.constituency == "stakeholder")).organisation
    stakeholder.name = mark("stakeholder.name")
    committee_services.declare_conflict(world.users["sec"], membership, world.unfunded,
                                        mark("conflict.reason"))
    donor = fund.add_partner(world.users["office"], mark("donor.name"), mark("donor.acronym",
                                                                             short=True))
    fund.record_contribution(world.users["office"], fund.ContributionInput(
        reference=mark("contribution.reference", short=True), donor_id=donor.id,
        deposited_on=date(2026, 3, 3), amount_cents=10_000_00, earmark_area_id=None))
    world.cycle.name = mark("cycle.name")
    cycle = db.session.get(FundingCycle, form_ids["cycle"])
    cycle.name = mark("draft_cycle.name")
    db.session.flush()
    cycles.exclude_note(world.users["sec"], cycle, world.unfunded.id, mark("exclusion.reason"))
    cycles.save_run(world.users["sec"], cycle)
    decisions.save_draft(world.users["sec"], cycle, decisions.DraftInput(
        meeting_date=date(2026, 12, 20), place=mark("draft_decision.place"), virtual=False,
        present_ids=[], outcome_mode="consensus", escalation_step=None,
        text=mark("draft_decision.text"), other_decisions=mark("draft_decision.other"),
        conditions={}))
    for key in ("KEN", "sec", "office", "reviewer"):
        world.users[key].name = mark(f"user.{key}")
    db.session.get(ApiToken, form_ids["token"]).name = mark("token.name", short=True)
    # formula-like texts where the exports carry them
    for note, formula in zip([*world.funded[1:], world.unfunded], FORMULAS, strict=False):
        note.title = formula
    fund.record_contribution(world.users["office"], fund.ContributionInput(
        reference=FORMULAS[3], donor_id=donor.id, deposited_on=date(2026, 3, 4),
        amount_cents=10_000_00, earmark_area_id=None))
    db.session.commit()
    draft_decision = db.session.scalar(db.select(Decision).where(Decision.cycle_id == cycle.id))
    allocation = db.session.scalar(db.select(Allocation).where(Allocation.note_id == funded.id))
    contribution = db.session.scalar(db.select(Contribution).where(
        Contribution.donor_id == donor.id))
    return {**form_ids, "marks": mark.fields, "ids": mark.ids, "funded": funded.id,
            "draft_decision": draft_decision.id, "allocation": allocation.id,
            "new_contribution": contribution.id, "run": world.cycle.runs[-1].id}


def pages(i: dict) -> dict[str | None, list[str]]:
    return {
        "KEN": ["/home", "/pipeline/", f"/pipeline/{i['funded']}", f"/pipeline/{i['draft']}",
                f"/pipeline/{i['draft']}/edit", "/account/tokens", "/profile",
                f"/pipeline/{i['funded']}/versions"],
        "sec": ["/home", "/pipeline/", "/pipeline/?q=ZX", f"/pipeline/{i['funded']}",
                f"/pipeline/{i['unfunded']}", f"/pipeline/{i['to_screen']}/screen",
                "/review/", f"/review/{i['closed_round']}",
                f"/review/{i['closed_round']}/results", "/committee/conflicts",
                "/committee/memberships", f"/committee/memberships/{i['membership']}",
                "/committee/", "/committee/timeline", "/committee/timeline.svg",
                "/fund/", "/fund/chart.svg", "/fund/contributions",
                f"/fund/contributions/{i['new_contribution']}", "/fund/cycles/",
                f"/fund/cycles/{i['approved_cycle']}", f"/fund/cycles/{i['cycle']}",
                f"/fund/cycles/{i['cycle']}/edit", f"/fund/cycles/{i['cycle']}/what-if",
                f"/fund/cycles/{i['cycle']}/exclusions",
                "/reports/", f"/reports/cycles/{i['cycle']}/decision",
                f"/reports/decisions/{i['decision']}", "/admin/audit"],
        "reviewer": ["/review/", f"/review/{i['closed_round']}", "/committee/conflicts",
                     f"/review/{i['open_round']}/notes/{i['unfunded']}",
                     f"/review/{i['closed_round']}/notes/{i['funded']}"],
        "office": ["/fund/contributions", f"/fund/contributions/{i['new_contribution']}",
                   f"/fund/contributions/{i['new_contribution']}/correct", "/fund/"],
        "admin": ["/admin/users", "/admin/audit"],
        None: ["/portfolio/", f"/portfolio/programmes/{i['allocation']}",
               "/portfolio/charts/donors.svg", "/portfolio/charts/area.svg",
               "/portfolio/charts/region.svg"],
    }


DANGEROUS_TAGS = {"script", "link", "img", "iframe", "object", "embed", "base", "meta"}


def unsafe_elements(html: str) -> list[str]:
    """Elements a payload would have made: an inline script, an event handler, a
    ``javascript:`` URL, an image, stylesheet or frame from outside the site."""
    found = []
    for element in lxml.html.document_fromstring(html).iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"<{element.tag} {name}=...>")
            if name.lower() in ("href", "src", "action", "formaction") and \
                    value.strip().lower().startswith(("javascript:", "http:", "https:", "//")):
                found.append(f"<{element.tag} {name}={value[:60]}>")
        if element.tag == "script" and "alert" in (element.text or ""):
            found.append("<script>alert")
        if element.tag in DANGEROUS_TAGS and element.get("src", element.get("href", "")) \
                in ("x",):
            found.append(f"<{element.tag} src=x>")
    return found


def test_every_page_shows_stored_payloads_as_text(stored, client):
    session = Session(client)
    shown: dict[str, list[str]] = {}
    for role, paths in pages(stored).items():
        session.as_(role)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (role, path, response.status_code)
            html = response.get_data(as_text=True)
            assert not unsafe_elements(html), (role, path, unsafe_elements(html))
            assert "TPL" not in html.replace("TPL{% endif %}", ""), (path, "template ran")
            text = lxml.html.document_fromstring(html).text_content()
            for field, value in stored["marks"].items():
                if value in text or value in html_values(html):
                    shown.setdefault(field, []).append(path)
            for found in re.findall(r"ZX\d\d", text):
                field = stored["ids"][found]
                value = stored["marks"][field]
                assert any(shown in text for shown in (  # as text, or as JSON on the audit log
                    value, htmlsafe_json_dumps(value)[1:-1])), (path, field, "altered")
    never = set(stored["marks"]) - set(shown) - {"attachment"}
    assert not never, f"fields shown on no page crawled: {sorted(never)}"


def html_values(html: str) -> str:
    """The values of the form inputs (a textarea's text is in text_content already)."""
    return "\n".join(el.get("value", "") for el in
                     lxml.html.document_fromstring(html).iter("input"))


def pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", "", "".join(page.extract_text() or ""
                                      for page in PdfReader(io.BytesIO(data)).pages))


def test_pdfs_print_payloads_as_text_and_fetch_nothing(stored, client, monkeypatch):
    from mptf.documents import pdf

    fetched = []
    original = pdf.PackageOnlyFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf.PackageOnlyFetcher, "fetch", spy)
    session = Session(client)
    marks = stored["marks"]
    documents = {
        ("sec", f"/reports/cycles/{stored['cycle']}/decision/preview.pdf"):
            ["draft_decision.text", "draft_decision.other", "draft_cycle.name",
             "exclusion.reason"],
        ("sec", f"/reports/decisions/{stored['decision']}/letters/{stored['funded']}.pdf"):
            ["note.title"],
        ("sec", "/reports/pipeline.pdf"): [],
        ("sec", f"/reports/rounds/{stored['closed_round']}.pdf"):
            ["round.name", "criterion.label"],
    }
    for (role, path), fields in documents.items():
        session.as_(role)
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert response.mimetype == "application/pdf"
        text = pdf_text(response.data)
        for field in fields:
            assert re.sub(r"\s+", "", marks[field]) in text, (path, field)
        for found in re.findall(r"ZX\d\d", text):  # any payload printed is printed whole
            field = stored["ids"][found]
            assert re.sub(r"\s+", "", marks[field])[:60] in text, (path, field)
    assert fetched, "the documents load their stylesheet and fonts through the fetcher"
    outside = [u for u in fetched if not u.startswith(("file://", "data:"))
               or "127.0.0.1" in u or u.startswith("file://127")]
    assert not outside, outside


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[-+]?[\d,]*\.?\d+")


def formula_cells(cells) -> list[str]:
    return [c for c in cells if isinstance(c, str) and c.startswith(FORMULA_START)
            and not PLAIN_NUMBER.fullmatch(c)]


def exports(i: dict) -> dict[str, list[str]]:
    return {
        "sec": ["/pipeline/export.csv", "/pipeline/export.xlsx",
                f"/review/{i['closed_round']}/results.csv",
                f"/review/{i['closed_round']}/results.xlsx", "/reports/pipeline.xlsx",
                *(f"/reports/pipeline/{n}.csv" for n in ("thematic_area", "region", "country")),
                *(f"/reports/decisions/{i['decision']}/{n}.csv" for n in (
                    "approved", "transfers", "puno_totals", "by_area", "by_region", "deferred")),
                f"/reports/decisions/{i['decision']}/tables.xlsx",
                f"/fund/cycles/{i['approved_cycle']}/runs/{i['run']}.csv",
                f"/fund/cycles/{i['approved_cycle']}/runs/{i['run']}.xlsx"],
        "office": ["/fund/contributions.csv", "/fund/contributions.xlsx", "/fund/balance.csv",
                   "/fund/balance.xlsx", "/fund/cycles.csv"],
    }


def test_exports_neutralise_formulas(stored, client):
    session = Session(client)
    seen = set()
    for role, paths in exports(stored).items():
        session.as_(role)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            if path.endswith(".csv"):
                cells = [c for row in csv.reader(io.StringIO(response.get_data(as_text=True)))
                         for c in row]
            else:
                book = openpyxl.load_workbook(io.BytesIO(response.data))
                cells = []
                for sheet in book.worksheets:
                    for row in sheet.iter_rows():
                        for cell in row:
                            assert cell.data_type != "f", (path, cell.coordinate, cell.value)
                            cells.append(cell.value)
            assert not formula_cells(cells), (path, formula_cells(cells))
            seen.update(c for c in cells if isinstance(c, str) and c[1:] in FORMULAS)
            seen.update(c for c in cells if isinstance(c, str) and "ZX" in c)
    assert {f"'{f}" for f in FORMULAS} <= seen, seen  # the texts are there, neutralised


def test_a_formula_cell_is_neutralised_and_a_number_is_not():
    import pandas as pd

    from mptf.spreadsheet import safe_frame

    frame = pd.DataFrame({"text": ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "plain",
                                   "-1,250.00"], "amount": [1, -2, 3, 4, 5, 6, 7]})
    out = safe_frame(frame)
    assert out["text"].tolist() == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\t=x", "plain",
                                    "-1,250.00"]
    assert out["amount"].tolist() == [1, -2, 3, 4, 5, 6, 7]
    assert frame["text"][0] == "=1+1"  # the input is not changed

