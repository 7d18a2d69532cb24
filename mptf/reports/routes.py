"""Decisions and documents: drafting and issuing the cycle decision, sealed PDFs, letters,
reports, their CSV/XLSX twins, and the verify page."""

from __future__ import annotations

import hashlib
import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from mptf.allocation import decision_documents, decisions
from mptf.allocation.cycles import STATUS_LABELS, cycle_for, latest_run
from mptf.documents.tables import (
    DECISION_TABLE_LABELS,
    PIPELINE_TABLE_LABELS,
    export_sheets,
    export_table,
)
from mptf.extensions import db
from mptf.models import (
    Allocation,
    AllocationRunLine,
    ConceptNote,
    Decision,
    FundingCycle,
    ReviewRound,
)
from mptf.models.money import AllocationStatus, DecisionStatus
from mptf.models.review import RoundStatus
from mptf.navigation import NavItem, add
from mptf.pipeline.services import note_for
from mptf.reports import documents
from mptf.reports.forms import IssueForm, VerifyForm, decision_form
from mptf.review.services import round_for
from mptf.services.dates import parse_day, today
from mptf.services.errors import ServiceError
from mptf.services.policy import (
    DECISION_DRAFTERS,
    LETTER_READERS,
    MONEY_ROLES,
    Role,
    roles_required,
)
from mptf.services.unit_of_work import commit
from mptf.spreadsheet import csv_response, xlsx_response
from mptf.views import refusals

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")

add(NavItem("Reports", "reports.index", tuple(MONEY_ROLES), 60))

PDF = "application/pdf"


def _pdf(data: bytes, name: str, etag: str | None = None):
    response = send_file(io.BytesIO(data), mimetype=PDF, download_name=name,
                         as_attachment=False, etag=etag or hashlib.sha256(data).hexdigest())
    return response


@bp.route("/")
@roles_required(MONEY_ROLES)
def index():
    cycles = db.session.scalars(db.select(FundingCycle).order_by(FundingCycle.id.desc())).all()
    rounds = db.session.scalars(db.select(ReviewRound).where(ReviewRound.status == RoundStatus.CLOSED)
                                .order_by(ReviewRound.id.desc())).all()
    return render_template("reports/index.html", cycles=cycles, rounds=rounds,
                           decision_of={c.id: decisions.decision_for_cycle(c) for c in cycles})


@bp.route("/cycles/<int:cycle_id>/decision", methods=["GET", "POST"])
@roles_required(DECISION_DRAFTERS)
def decision(cycle_id: int):
    cycle = cycle_for(current_user, cycle_id)
    existing = decisions.decision_for_cycle(cycle)
    if existing is not None and existing.status == DecisionStatus.ISSUED:
        return redirect(url_for("reports.decision_view", decision_id=existing.id))
    run = latest_run(cycle)
    if run is None:
        flash("Run the cycle's allocation before drafting its decision.", "warning")
        return redirect(url_for("allocation.cycle", cycle_id=cycle.id))
    day_text = request.values.get("meeting_date") or (
        existing.meeting_date.isoformat() if existing and existing.meeting_date else None) or (
        cycle.decision_date.isoformat() if cycle.decision_date else None)
    try:
        day = parse_day(day_text) if day_text else today()
    except ServiceError:
        day = today()
    members = decisions.members_on(day)
    funded_ids = [line.note_id for line in run.lines if line.status == AllocationStatus.FUNDED]
    funded = db.session.scalars(db.select(ConceptNote).where(ConceptNote.id.in_(funded_ids))
                                .order_by(ConceptNote.reference)).all()
    form = decision_form(members, funded, existing if request.method == "GET" else None)
    if request.method == "GET" and existing is None:
        form.meeting_date.data = day
    status = 200
    if form.validate_on_submit():
        data = decisions.DraftInput(
            meeting_date=form.meeting_date.data, place=form.place.data or "",
            virtual=bool(form.virtual.data),
            present_ids=[m.id for m in members if form[f"present_{m.id}"].data],
            outcome_mode=form.outcome_mode.data or None,
            escalation_step=form.escalation_step.data or None,
            text=form.text.data or "", other_decisions=form.other_decisions.data or "",
            conditions={n.id: form[f"condition_{n.id}"].data or "" for n in funded})
        with refusals(form) as refused:
            saved = decisions.save_draft(current_user, cycle, data)
            commit()
        if refused:
            status = refused.status
        else:
            flash(f"Draft decision {saved.reference} saved.", "success")
            return redirect(url_for("reports.decision", cycle_id=cycle.id))
    elif request.method == "POST":
        status = 400
    quorum, lacking = None, {}
    if existing and existing.meeting_date:
        quorum, lacking = decisions.quorum(existing), decisions.items_without_quorum(existing)
    return render_template("reports/decision.html", cycle=cycle, run=run, form=form,
                           decision=existing, quorum=quorum, lacking=lacking,
                           blockers=decisions.issue_blockers(existing) if existing else [],
                           note_ids={n.reference: n.id for n in db.session.scalars(
                               db.select(ConceptNote).where(
                                   ConceptNote.reference.in_(list(lacking))))},
                           issue_form=IssueForm()), status


@bp.route("/cycles/<int:cycle_id>/decision/preview.pdf")
@roles_required(DECISION_DRAFTERS)
def decision_preview(cycle_id: int):
    cycle = cycle_for(current_user, cycle_id)
    existing = decisions.decision_for_cycle(cycle)
    if existing is None:
        abort(404)
    if existing.status == DecisionStatus.ISSUED:
        return redirect(url_for("reports.decision_pdf", decision_id=existing.id))
    return _pdf(decision_documents.decision_pdf(existing, decisions.verification_url()),
                f"{existing.reference}-DRAFT.pdf")


@bp.route("/decisions/<int:decision_id>/issue", methods=["GET", "POST"])
@roles_required(Role.CHAIR)
def issue(decision_id: int):
    """GET, or a POST without ``confirm``: what issuing does for good and what the draft
    still lacks; a POST with ``confirm`` issues the decision."""
    decision_ = db.get_or_404(Decision, decision_id)
    form = IssueForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if form.confirm.data:
            return _issue(decision_)
    if decision_.status == DecisionStatus.ISSUED:
        flash(f"{decision_.reference} is issued already; it cannot be issued again.", "warning")
        return redirect(url_for("reports.decision_view", decision_id=decision_id))
    back = url_for("reports.decision", cycle_id=decision_.cycle_id)
    return render_template(
        "confirm.html", heading=f"Issue {decision_.reference}?", form=form,
        consequences=decisions.issue_consequences(decision_),
        confirm_label=f"Issue and seal {decision_.reference}", back_url=back,
        back_label=f"Draft decision on {decision_.cycle.name}",
        action_url=url_for("reports.issue", decision_id=decision_id))


def _issue(decision_: Decision):
    cycle_id = decision_.cycle_id
    with refusals() as refused:
        decisions.issue(current_user, decision_)
        commit("Another issue of this decision happened at the same moment; nothing was "
               "changed by this one.")
    if refused:
        return redirect(url_for("reports.decision", cycle_id=cycle_id)), 303
    flash(f"Decision {decision_.reference} issued; the cycle is approved and the PDF sealed.",
          "success")
    return redirect(url_for("reports.decision_view", decision_id=decision_.id))


def _issued(decision_id: int) -> Decision:
    found = decisions.decision_for(current_user, decision_id)
    if found.status != DecisionStatus.ISSUED:
        abort(404)
    return found


@bp.route("/decisions/<int:decision_id>")
@roles_required(MONEY_ROLES)
def decision_view(decision_id: int):
    found = _issued(decision_id)
    allocations = db.session.scalars(db.select(Allocation).where(
        Allocation.cycle_id == found.cycle_id).order_by(Allocation.rank)).all()
    lines = db.session.scalars(
        db.select(AllocationRunLine).where(AllocationRunLine.run_id == found.run_id)
        .options(selectinload(AllocationRunLine.note).joinedload(ConceptNote.country))
        .order_by(AllocationRunLine.order)).all()
    return render_template("reports/decision_view.html", decision=found,
                           allocations=allocations, lines=lines, labels=STATUS_LABELS,
                           tables=DECISION_TABLE_LABELS)


@bp.route("/decisions/<int:decision_id>.pdf")
def decision_pdf(decision_id: int):
    """The stored bytes of an issued decision, exactly as sealed: public, like the fund's
    portfolio."""
    found = db.session.get(Decision, decision_id)
    if found is None or found.status != DecisionStatus.ISSUED:
        abort(404)
    return _pdf(found.pdf, f"{found.reference}.pdf", etag=found.pdf_sha256)


TABLES = tuple(DECISION_TABLE_LABELS)


@bp.route("/decisions/<int:decision_id>/<name>.csv")
@roles_required(MONEY_ROLES)
def decision_csv(decision_id: int, name: str):
    if name not in TABLES:
        abort(404)
    found = _issued(decision_id)
    frame = decision_documents.decision_tables(found)[name]
    return csv_response(export_table(frame, decision_documents.area_names()),
                        f"{found.reference}-{name}.csv")


@bp.route("/decisions/<int:decision_id>/tables.xlsx")
@roles_required(MONEY_ROLES)
def decision_xlsx(decision_id: int):
    found = _issued(decision_id)
    return xlsx_response(export_sheets(decision_documents.decision_tables(found),
                                       DECISION_TABLE_LABELS, decision_documents.area_names()),
                         f"{found.reference}.xlsx")


@bp.route("/decisions/<int:decision_id>/letters/<int:note_id>.pdf")
@roles_required(LETTER_READERS)
def letter(decision_id: int, note_id: int):
    """The decision letter on one note of an issued decision. A country team reaches only the
    letters on its own country's notes (note_for: any other is a 404), linked from the note's
    page; the secretariat, the chair and the fund office every letter. A letter is rendered
    once, at its first download, and kept sealed from then on."""
    found = _issued(decision_id)
    note = note_for(current_user, note_id)
    if not any(line.note_id == note.id for line in found.run.lines):
        abort(404)
    stored = decisions.letter(found, note)
    commit()
    return _pdf(stored.data, f"{stored.reference}.pdf", etag=stored.sha256)


@bp.route("/pipeline.pdf")
@roles_required(MONEY_ROLES)
def pipeline_pdf():
    return _pdf(documents.pipeline_report_pdf(), "pipeline-report.pdf")


@bp.route("/pipeline/<any(thematic_area, region, country):name>.csv")
@roles_required(MONEY_ROLES)
def pipeline_csv(name: str):
    frame = documents.pipeline_tables()[name]
    return csv_response(export_table(frame, {}), f"pipeline-by-{name}.csv")


@bp.route("/pipeline.xlsx")
@roles_required(MONEY_ROLES)
def pipeline_xlsx():
    return xlsx_response(export_sheets(documents.pipeline_tables(), PIPELINE_TABLE_LABELS, {}),
                         "pipeline-report.xlsx")


@bp.route("/rounds/<int:round_id>.pdf")
@roles_required(MONEY_ROLES, Role.REVIEWER)
def round_pdf(round_id: int):
    round_ = round_for(current_user, round_id)
    if round_.status != RoundStatus.CLOSED:
        abort(404)
    return _pdf(documents.round_report_pdf(round_), f"round-{round_.id}-scoring-report.pdf")


@bp.route("/verify", methods=["GET", "POST"])
def verify():
    """Anyone may check whether a PDF, or its SHA-256, is a document the fund issued."""
    form = VerifyForm()
    result, digest, status = None, None, 200
    if form.validate_on_submit():
        upload = form.file.data
        if upload and getattr(upload, "filename", ""):
            digest = hashlib.sha256(upload.read()).hexdigest()
        else:
            digest = (form.sha256.data or "").strip().lower()
        with refusals(form, sentence_on="sha256") as refused:
            result = decisions.verify(digest)
        if refused:
            status = refused.status
        elif result is None:
            status = 404
    elif request.method == "POST":
        status = 400
    return render_template("reports/verify.html", form=form, result=result, digest=digest,
                           checked=digest is not None and status != 400), status
