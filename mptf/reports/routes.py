"""Decisions and documents: drafting and issuing the cycle decision, sealed PDFs, letters,
reports, their CSV/XLSX twins, and the verify page."""

from __future__ import annotations

import hashlib
import io
import re

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import selectinload

from mptf.extensions import db
from mptf.models import (
    Allocation,
    AllocationRunLine,
    ConceptNote,
    Decision,
    IssuedDocument,
    ReviewRound,
)
from mptf.navigation import NavItem, add
from mptf.reports import decisions, documents
from mptf.reports.forms import IssueForm, VerifyForm, decision_form
from mptf.services.errors import NotFound, ServiceError
from mptf.services.policy import roles_required
from mptf.services.unit_of_work import commit

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")

add(NavItem("Reports", "reports.index", ("secretariat", "chair", "fund_office"), 60))

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _pdf(data: bytes, name: str, etag: str | None = None):
    response = send_file(io.BytesIO(data), mimetype=PDF, download_name=name,
                         as_attachment=False, etag=etag or hashlib.sha256(data).hexdigest())
    return response


@bp.route("/")
@roles_required("secretariat", "chair", "fund_office")
def index():
    from mptf.models import FundingCycle

    cycles = db.session.scalars(db.select(FundingCycle).order_by(FundingCycle.id.desc())).all()
    rounds = db.session.scalars(db.select(ReviewRound).where(ReviewRound.status == "closed")
                                .order_by(ReviewRound.id.desc())).all()
    return render_template("reports/index.html", cycles=cycles, rounds=rounds,
                           decision_of={c.id: decisions.decision_for_cycle(c) for c in cycles})


def _cycle(cycle_id: int):
    from mptf.allocation.cycles import cycle_for

    try:
        return cycle_for(current_user, cycle_id)
    except NotFound:
        abort(404)


@bp.route("/cycles/<int:cycle_id>/decision", methods=["GET", "POST"])
@roles_required("secretariat", "chair")
def decision(cycle_id: int):
    from mptf.allocation.cycles import latest_run

    cycle = _cycle(cycle_id)
    existing = decisions.decision_for_cycle(cycle)
    if existing is not None and existing.status == "issued":
        return redirect(url_for("reports.decision_view", decision_id=existing.id))
    run = latest_run(cycle)
    if run is None:
        flash("Run the cycle's allocation before drafting its decision.", "warning")
        return redirect(url_for("allocation.cycle", cycle_id=cycle.id))
    day_text = request.values.get("meeting_date") or (
        existing.meeting_date.isoformat() if existing and existing.meeting_date else None) or (
        cycle.decision_date.isoformat() if cycle.decision_date else None)
    from mptf.committee.services import parse_day, today

    try:
        day = parse_day(day_text) if day_text else today()
    except ServiceError:
        day = today()
    members = decisions.members_on(day)
    funded_ids = [line.note_id for line in run.lines if line.status == "funded"]
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
        try:
            saved = decisions.save_draft(current_user, cycle, data)
            commit()
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            for name, problems in exc.fields.items():
                if name in form:
                    form[name].errors = list(form[name].errors) + problems
            status = exc.status
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
@roles_required("secretariat", "chair")
def decision_preview(cycle_id: int):
    cycle = _cycle(cycle_id)
    existing = decisions.decision_for_cycle(cycle)
    if existing is None:
        abort(404)
    if existing.status == "issued":
        return redirect(url_for("reports.decision_pdf", decision_id=existing.id))
    return _pdf(documents.decision_pdf(existing), f"{existing.reference}-DRAFT.pdf")


@bp.route("/decisions/<int:decision_id>/issue", methods=["GET", "POST"])
@roles_required("chair")
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
    if decision_.status == "issued":
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
    try:
        decisions.issue(current_user, decision_)
        commit("Another issue of this decision happened at the same moment; nothing was "
               "changed by this one.")
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("reports.decision", cycle_id=decision_.cycle_id)), 303
    flash(f"Decision {decision_.reference} issued; the cycle is approved and the PDF sealed.",
          "success")
    return redirect(url_for("reports.decision_view", decision_id=decision_.id))


def _issued(decision_id: int) -> Decision:
    try:
        found = decisions.decision_for(current_user, decision_id)
    except NotFound:
        abort(404)
    if found.status != "issued":
        abort(404)
    return found


@bp.route("/decisions/<int:decision_id>")
@roles_required("secretariat", "chair", "fund_office")
def decision_view(decision_id: int):
    found = _issued(decision_id)
    allocations = db.session.scalars(db.select(Allocation).where(
        Allocation.cycle_id == found.cycle_id).order_by(Allocation.rank)).all()
    from mptf.allocation.cycles import STATUS_LABELS

    lines = db.session.scalars(
        db.select(AllocationRunLine).where(AllocationRunLine.run_id == found.run_id)
        .options(selectinload(AllocationRunLine.note).joinedload(ConceptNote.country))
        .order_by(AllocationRunLine.order)).all()
    return render_template("reports/decision_view.html", decision=found,
                           allocations=allocations, lines=lines, labels=STATUS_LABELS,
                           tables=documents.DECISION_TABLE_LABELS)


@bp.route("/decisions/<int:decision_id>.pdf")
def decision_pdf(decision_id: int):
    """The stored bytes of an issued decision, exactly as sealed: public, like the fund's
    portfolio."""
    found = db.session.get(Decision, decision_id)
    if found is None or found.status != "issued":
        abort(404)
    return _pdf(found.pdf, f"{found.reference}.pdf", etag=found.pdf_sha256)


TABLES = tuple(documents.DECISION_TABLE_LABELS)


@bp.route("/decisions/<int:decision_id>/<name>.csv")
@roles_required("secretariat", "chair", "fund_office")
def decision_csv(decision_id: int, name: str):
    if name not in TABLES:
        abort(404)
    found = _issued(decision_id)
    frame = documents.decision_tables(found)[name]
    return Response(documents.to_csv(frame), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={found.reference}-{name}.csv"})


@bp.route("/decisions/<int:decision_id>/tables.xlsx")
@roles_required("secretariat", "chair", "fund_office")
def decision_xlsx(decision_id: int):
    found = _issued(decision_id)
    data = documents.to_xlsx(documents.decision_tables(found), documents.DECISION_TABLE_LABELS)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"{found.reference}.xlsx")


@bp.route("/decisions/<int:decision_id>/letters/<int:note_id>.pdf")
@roles_required("secretariat", "chair", "fund_office", "country_team")
def letter(decision_id: int, note_id: int):
    """The decision letter on one note of an issued decision. A country team reaches only the
    letters on its own country's notes (note_for: any other is a 404), linked from the note's
    page; the secretariat, the chair and the fund office every letter."""
    from mptf.pipeline.services import note_for

    found = _issued(decision_id)
    try:
        note = note_for(current_user, note_id)
    except NotFound:
        abort(404)
    if not any(line.note_id == note.id for line in found.run.lines):
        abort(404)
    stored = _letter(found, note)
    return _pdf(stored.data, f"{stored.reference}.pdf", etag=stored.sha256)


def _letter(found: Decision, note: ConceptNote) -> IssuedDocument:
    """A letter is rendered once, at its first download, and kept sealed from then on."""
    reference = documents.letter_reference(found, note)
    stored = db.session.scalar(db.select(IssuedDocument).where(
        IssuedDocument.reference == reference))
    if stored is None:
        stored = decisions.store_document(
            "letter", reference, f"Decision letter on {note.reference}",
            documents.letter_pdf(found, note), decision=found, note_id=note.id,
            issued_at=found.issued_at)
        commit()
    return stored


@bp.route("/pipeline.pdf")
@roles_required("secretariat", "chair", "fund_office")
def pipeline_pdf():
    return _pdf(documents.pipeline_report_pdf(), "pipeline-report.pdf")


@bp.route("/pipeline/<any(thematic_area, region, country):name>.csv")
@roles_required("secretariat", "chair", "fund_office")
def pipeline_csv(name: str):
    frame = documents.pipeline_tables()[name]
    return Response(documents.to_csv(frame), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=pipeline-by-{name}.csv"})


@bp.route("/pipeline.xlsx")
@roles_required("secretariat", "chair", "fund_office")
def pipeline_xlsx():
    data = documents.to_xlsx(documents.pipeline_tables(), documents.PIPELINE_TABLE_LABELS)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name="pipeline-report.xlsx")


@bp.route("/rounds/<int:round_id>.pdf")
@roles_required("secretariat", "chair", "fund_office", "reviewer")
def round_pdf(round_id: int):
    from mptf.review.services import round_for

    try:
        round_ = round_for(current_user, round_id)
    except NotFound:
        abort(404)
    if round_.status != "closed":
        abort(404)
    return _pdf(documents.round_report_pdf(round_), f"round-{round_.id}-scoring-report.pdf")


SHA_RE = re.compile(r"^[0-9a-fA-F]{64}$")


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
        try:
            result = decisions.verify(digest)
        except ServiceError as exc:
            form.sha256.errors = list(form.sha256.errors) + [exc.message]
            status = 400
        else:
            if result is None:
                status = 404
    elif request.method == "POST":
        status = 400
    return render_template("reports/verify.html", form=form, result=result, digest=digest,
                           checked=digest is not None and status != 400), status
