"""PDF documents: the cycle decision with 50 allocations and the pipeline report over 1,000
notes, each timed from the database to the PDF bytes, and compared with the floor: bare
WeasyPrint (``HTML(string=html).write_pdf()``, no URL fetcher, no stylesheet, no fonts)
rendering the very same HTML.

Built on SQLite in a temporary folder through the services, as the app does it: reference
data, a committee of five scoring members and the chair, 1,000 pipeline notes, a review round
over 80 of them (reviews written in bulk, the round closed by ``close_round``), contributions,
a funding cycle whose envelope funds exactly the 50 best notes, its saved run and a draft
decision.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.common import Result, against, time_median

N_NOTES = 1_000
N_REVIEWED = 80
N_FUNDED = 50
OPENING = date(2026, 3, 1)
MEETING = date(2026, 5, 4)
TERM = (date(2025, 1, 1), date(2027, 1, 1))
COMMITTEE = [("un_network", 1, "UNHCR"), ("un_network", 2, "UNDP"),
             ("contributing_state", 1, "DEU"), ("cotd_state", 1, "KEN"),
             ("stakeholder", 1, None)]
CREATED = datetime(2026, 5, 5, 9, 0)
RUNS = 5
PDF_TARGET_S = 5.0  # a document the chair or a donor waits for: a few seconds at most


def _notes(rng: random.Random) -> None:
    """N_NOTES pipeline notes with two or three PUNO lines each, written in bulk."""
    from mptf.extensions import db
    from mptf.models import ConceptNote, Country, Organisation, PunoBudgetLine

    countries = db.session.scalars(db.select(Country.id)).all()
    entities = db.session.scalars(db.select(Organisation.id).where(
        Organisation.kind == "un_entity", Organisation.network_member)).all()
    notes, lines = [], []
    start = datetime(2025, 1, 1)
    for i in range(1, N_NOTES + 1):
        punos = rng.sample(entities, rng.choice((2, 3)))
        direct = rng.randrange(93, 280) * 1_000_000
        parts = [direct // len(punos)] * len(punos)
        parts[0] += direct - sum(parts)
        indirect = [(p * 700 + 5000) // 10000 for p in parts]
        submitted = start + timedelta(hours=rng.randrange(0, 24 * 360))
        notes.append({
            "id": i, "reference": f"MIG-2025-{i:05d}", "status": "pipeline",
            "title": f"Joint programme {i} on safe, orderly and regular migration",
            "country_id": rng.choice(countries), "thematic_area_id": rng.randint(1, 5),
            "duration_months": 24, "gender_marker": rng.randint(1, 3),
            "summary": "A joint programme with the government and migrants' organisations.",
            "total_direct_cents": direct, "total_indirect_cents": sum(indirect),
            "total_cents": direct + sum(indirect), "current_version": 1,
            "submitted_at": submitted, "pipeline_at": submitted + timedelta(days=20),
            "expires_on": date(2030, 1, 1), "national_partners": [], "stakeholders": []})
        for position, (org, d, ind) in enumerate(zip(punos, parts, indirect, strict=True)):
            lines.append({"note_id": i, "organisation_id": org, "is_lead": position == 0,
                          "position": position, "direct_cents": d, "indirect_cents": ind})
    db.session.execute(db.insert(ConceptNote), notes)
    db.session.execute(db.insert(PunoBudgetLine), lines)


def build(app) -> int:
    """The database of the benchmark; returns the draft decision's id."""
    from mptf.allocation import cycles
    from mptf.auth.services import create_user
    from mptf.committee import services as committee
    from mptf.extensions import db
    from mptf.models import Contribution, Organisation, Review, Score, Seat
    from mptf.reference.seed import seed_reference_data
    from mptf.reports import decisions
    from mptf.review import services as review

    rng = random.Random(2026)
    db.create_all()
    seed_reference_data()
    secretariat = create_user("sec@bench.example.org", "bench-password", "secretariat")
    chair = create_user("chair@bench.example.org", "bench-password", "chair", name="Ms Chair")

    def seat(constituency: str, position: int) -> Seat:
        return db.session.scalar(db.select(Seat).where(Seat.constituency == constituency,
                                                       Seat.position == position))

    members = []
    for constituency, position, code in COMMITTEE:
        party = (committee.find_party(code, constituency) if code else db.session.scalar(
            db.select(Organisation).where(Organisation.kind == "stakeholder")
            .order_by(Organisation.id)))
        reviewer = create_user(f"{constituency}-{position}@bench.example.org", "bench-password",
                               "reviewer")
        members.append(committee.appoint(None, seat(constituency, position), party, *TERM,
                                         representatives=[(reviewer, False)]))
    members.append(committee.appoint(None, seat("chair", 1), committee.find_party("IOM", "chair"),
                                     *TERM, representatives=[(chair, False)]))
    _notes(rng)
    db.session.commit()

    # a round over the first 80 notes; every assigned member scores, in bulk
    round_ = review.create_round(secretariat, review.RoundInput(
        name="Round 2026-1", opens_on=OPENING, closes_on=None, quorum=3,
        note_ids=list(range(1, N_REVIEWED + 1))))
    review.open_round(secretariat, round_, OPENING)
    criteria = list(round_.criteria)
    submitted = datetime.combine(OPENING, datetime.min.time()) + timedelta(days=10)
    for a in round_.assignments:
        if a.status != "assigned":
            continue
        quality = 1 + 4 * (1 - a.note_id / (N_REVIEWED + 1))
        r = Review(round_id=round_.id, note_id=a.note_id, membership_id=a.membership_id,
                   author_id=a.membership.representatives[0].user_id, status="submitted",
                   submitted_at=submitted)
        r.scores = [Score(criterion_id=c.id,
                          value=min(5, max(1, round(quality + rng.uniform(-0.8, 0.8)))))
                    for c in criteria]
        db.session.add(r)
    db.session.flush()
    review.close_round(secretariat, round_)
    db.session.commit()

    # money enough, and a cycle whose envelope is exactly the 50 best notes' requests
    from mptf.models import ConceptNote  # noqa: F401 (the notes the run reads)

    for k, donor in enumerate(("DEU", "NLD", "SWE"), start=1):
        amount = 100_000_000_00
        fee = (amount * 100 + 5_000) // 10_000
        db.session.add(Contribution(
            reference=f"C-{k}", donor=committee.find_party(donor, "contributing_state"),
            deposited_on=date(2026, 1, 10 + k), amount_cents=amount, fee_cents=fee,
            net_cents=amount - fee))
    db.session.commit()
    cycle = cycles.create_cycle(secretariat, cycles.CycleInput(
        name="Cycle 2026-1", decision_date=MEETING, envelope_cents=None,
        policy={"max_per_country": None}, round_ids=[round_.id]))
    everything = cycles.compute(cycle).table.sort_values("order")
    eligible = everything[everything["status"] == "funded"]
    cycle.envelope_cents = int(eligible["requested"].head(N_FUNDED).sum())
    run = cycles.save_run(secretariat, cycle)
    funded = sum(1 for line in run.lines if line.status == "funded")
    if funded != N_FUNDED:
        raise RuntimeError(f"the run funds {funded} notes, not {N_FUNDED}")
    decision = decisions.save_draft(secretariat, cycle, decisions.DraftInput(
        meeting_date=MEETING, place="Geneva", virtual=False,
        present_ids=[m.id for m in members], outcome_mode="consensus", escalation_step=None,
        text="The Steering Committee approves the allocations below.", other_decisions="",
        conditions={}))
    db.session.commit()
    return decision.id


def _bare(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def _paired(document, floor) -> tuple[float, float]:
    """Median times of ``document()`` and ``floor()``, run in turn (after one unmeasured
    run of the floor), so that whatever else the machine does weighs on both alike."""
    floor()
    ours, bare = [], []
    for _ in range(RUNS):
        ours.append(time_median(document, runs=1, warmup=0))
        bare.append(time_median(floor, runs=1, warmup=0))
    return statistics.median(ours), statistics.median(bare)


def _pages(pdf: bytes) -> str:
    try:
        from io import BytesIO

        from pypdf import PdfReader

        return f"{len(PdfReader(BytesIO(pdf)).pages)} pages"
    except ImportError:
        return f"{len(pdf) / 1024:.0f} KiB"


VERIFY_URL = "http://localhost:5000/reports/verify"


def benchmarks() -> list[Result]:
    from mptf import create_app
    from mptf.allocation import decision_documents
    from mptf.charts import bars
    from mptf.documents import sealed
    from mptf.documents.pdf import render_html
    from mptf.extensions import db
    from mptf.models import Decision
    from mptf.reports import documents

    folder = Path(tempfile.mkdtemp(prefix="mptf-bench-pdf-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}",
                      "SECRET_KEY": "bench", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    started = time.perf_counter()
    with app.app_context():
        decision_id = build(app)
    built = time.perf_counter() - started

    results = []
    with app.test_request_context():
        decision = db.session.get(Decision, decision_id)

        def decision_html() -> str:
            context = decision_documents.decision_context(decision)
            tables, names = context["tables"], context["area_names"]
            return render_html("pdf/decision.html", reference=decision.reference,
                               title=f"Steering Committee decision {decision.reference}",
                               author="Migration Multi-Partner Trust Fund", created=CREATED,
                               sealed_at=decision.issued_at, verify_url=VERIFY_URL,
                               chart=sealed.decision_chart(tables["by_area"], names),
                               total_allocated=int(tables["approved"]["Amount"].sum()),
                               **context)

        def report_html() -> str:
            tables = documents.pipeline_tables()
            charts = {}
            for key in ("thematic_area", "region"):
                t = tables[key]
                first = t.columns[0]
                charts[key] = bars(t[first].tolist(),
                                   {"Funded": t["Funded"].tolist(),
                                    "Unfunded demand": t["Unfunded demand"].tolist()},
                                   title=f"Funded and unfunded demand by {first.lower()}")
            return render_html("pdf/pipeline_report.html",
                               reference=f"MIG-PIPELINE-{CREATED:%Y%m%d}",
                               title="The pipeline: funded portfolio and unfunded demand",
                               author="Migration Multi-Partner Trust Fund", created=CREATED,
                               tables=tables, charts=charts)

        for name, document, make_html, extra in (
                (f"cycle decision, {N_FUNDED} allocations of {N_REVIEWED} notes (SQLite)",
                 lambda: decision_documents.decision_pdf(decision, VERIFY_URL), decision_html, ""),
                (f"pipeline report, {N_NOTES:,} notes (SQLite)",
                 lambda: documents.pipeline_report_pdf(CREATED), report_html,
                 f"; database built in {built:.1f} s")):
            pdf = document()  # the warm-up run
            html = make_html()
            bare = _bare(html)
            median, floor = _paired(document, lambda html=html: _bare(html))
            html_s = time_median(make_html, runs=RUNS, warmup=0)
            results.append(against(
                "pdf", name, median, RUNS, PDF_TARGET_S,
                note=f"{median / floor:.2f}× the floor (bare WeasyPrint of the same HTML: "
                     f"{floor * 1000:.0f} ms, {_pages(bare)}); data and HTML "
                     f"{html_s * 1000:.0f} ms; {_pages(pdf)}, {len(pdf) / 1024:.0f} KiB{extra}"))
    return results

if __name__ == "__main__":
    for r in benchmarks():
        print(f"{r.name}: {r.median_s * 1000:.0f} ms (median of {r.runs}) — {r.note}")
