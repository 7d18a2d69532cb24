"""Concept notes and the rolling pipeline: pages for country teams and the secretariat."""

from __future__ import annotations

import io

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

from mptf.extensions import db
from mptf.models import REGIONS, Attachment, Country, Organisation, ThematicArea
from mptf.navigation import NavItem, add
from mptf.pipeline import listing, services
from mptf.pipeline.forms import (
    AttachmentForm,
    FundConfigForm,
    ImportForm,
    WithdrawForm,
    note_form,
    screening_form,
)
from mptf.pipeline.importer import import_notes
from mptf.pipeline.rules import STATUS_LABELS
from mptf.services.audit import events_for, record
from mptf.services.errors import NotFound, ServiceError
from mptf.services.policy import roles_required
from mptf.services.unit_of_work import commit

bp = Blueprint("pipeline", __name__, url_prefix="/pipeline", template_folder="templates")

PIPELINE_ROLES = ("country_team", "secretariat", "reviewer", "chair", "fund_office")

add(NavItem("Concept notes", "pipeline.index", PIPELINE_ROLES, 10))


def _note(note_id: int):
    try:
        return services.note_for(current_user, note_id)
    except NotFound:
        abort(404)


@bp.route("/")
@roles_required(*PIPELINE_ROLES)
def index():
    expired = services.expire_notes()
    if expired:
        commit()
    filters = listing.Filters.from_args(request.args)
    page_number = request.args.get("page", "1")
    page_number = int(page_number) if page_number.isdecimal() and int(page_number) > 0 else 1
    page = listing.page_of(current_user, filters, page_number, 50)
    return render_template(
        "pipeline/index.html", page=page, filters=filters,
        totals=listing.totals(current_user, filters), statuses=STATUS_LABELS,
        areas=db.session.scalars(db.select(ThematicArea).order_by(ThematicArea.id)).all(),
        regions=REGIONS,
        countries=_filter_countries(),
        punos=db.session.scalars(db.select(Organisation).where(
            Organisation.kind == "un_entity").order_by(Organisation.acronym)).all())


def _filter_countries():
    if current_user.role == "country_team":
        return [current_user.country]
    return db.session.scalars(db.select(Country).order_by(Country.name)).all()


@bp.route("/export.<any(csv, xlsx):fmt>")
@roles_required(*PIPELINE_ROLES)
def export(fmt: str):
    filters = listing.Filters.from_args(request.args)
    frame = listing.export_frame(current_user, filters)
    if fmt == "csv":
        return Response(frame.to_csv(index=False), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=pipeline.csv"})
    buffer = io.BytesIO()
    with_money = frame.copy()
    with_money["Requested (USD)"] = [int(v.replace(".", "")) / 100
                                     for v in with_money["Requested (USD)"]]
    with_money.to_excel(buffer, index=False, sheet_name="Pipeline", engine="openpyxl")
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name="pipeline.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/new", methods=["GET", "POST"])
@roles_required("country_team")
def new():
    form = note_form()
    if form.validate_on_submit():
        try:
            note = services.create_draft(current_user, form.to_data())
            commit()
        except ServiceError as exc:
            form.apply_service_errors(exc.fields)
            flash(exc.message, "error")
        else:
            if form.submit.data:
                return _submit_after_save(note, form)
            flash(f"Draft {note.reference} saved.", "success")
            return redirect(url_for("pipeline.edit", note_id=note.id))
    status = 400 if request.method == "POST" else 200
    return render_template("pipeline/edit.html", form=form, note=None), status


def _submit_after_save(note, form):
    """The edits are saved already; submitting either succeeds or lists every problem."""
    try:
        version = services.submit(current_user, note)
        commit()
    except ServiceError as exc:
        db.session.rollback()
        form.apply_service_errors(exc.fields)
        flash(f"Your edits are saved as a draft. {exc.message}", "error")
        return render_template("pipeline/edit.html", form=form, note=note,
                               attachment_form=AttachmentForm()), exc.status
    flash(f"{note.reference} submitted as version {version.number}. The secretariat will "
          "screen it.", "success")
    return redirect(url_for("pipeline.show", note_id=note.id))


@bp.route("/<int:note_id>/edit", methods=["GET", "POST"])
@roles_required("country_team")
def edit(note_id: int):
    note = _note(note_id)
    if not services.can_edit(current_user, note):
        flash(f"{note.reference} is {STATUS_LABELS[note.status].lower()} and cannot be edited.",
              "warning")
        return redirect(url_for("pipeline.show", note_id=note.id))
    form = note_form(note if request.method == "GET" else None)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            services.update_draft(current_user, note, form.to_data(), form.seen_version())
            commit()
        except ServiceError as exc:
            db.session.rollback()
            form.apply_service_errors(exc.fields)
            status = exc.status
            if exc.code == "stale":  # saving again, having compared, keeps this text
                form.lock_version.data = str(note.lock_version)
                flash(f"{exc.message} They are still in the form below: compare them with the "
                      "note as it now is (open it in another tab) and save again to keep yours.",
                      "error")
            else:
                flash(exc.message, "error")
        else:
            if form.submit.data:
                return _submit_after_save(note, form)
            flash("Draft saved.", "success")
            return redirect(url_for("pipeline.edit", note_id=note.id))
    elif request.method == "GET" and note.status == "returned":
        flash("This note was returned by the secretariat; revise it and submit it again.",
              "warning")
    return render_template("pipeline/edit.html", form=form, note=note,
                           attachment_form=AttachmentForm()), status


@bp.route("/<int:note_id>")
@roles_required(*PIPELINE_ROLES)
def show(note_id: int):
    note = _note(note_id)
    return render_template(
        "pipeline/show.html", note=note, statuses=STATUS_LABELS,
        history=events_for("concept_notes", note.id),
        can_edit=services.can_edit(current_user, note),
        problems=services.problems(note) if note.status in ("draft", "returned") else {},
        attachment_form=AttachmentForm(), withdraw_form=WithdrawForm())


@bp.route("/<int:note_id>/attachments", methods=["POST"])
@roles_required("country_team")
def upload(note_id: int):
    note = _note(note_id)
    form = AttachmentForm()
    if not form.validate_on_submit():
        flash("Choose a file to attach.", "error")
        return redirect(url_for("pipeline.edit", note_id=note.id)), 303
    try:
        services.add_attachment(current_user, note, form.file.data.filename,
                                form.file.data.read())
        commit()
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return render_template("pipeline/edit.html", form=note_form(note), note=note,
                               attachment_form=form, attachment_error=exc.message), exc.status
    flash(f"{form.file.data.filename} attached.", "success")
    return redirect(url_for("pipeline.edit", note_id=note.id))


@bp.route("/<int:note_id>/attachments/<int:attachment_id>")
@roles_required(*PIPELINE_ROLES)
def download(note_id: int, attachment_id: int):
    note = _note(note_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.note_id != note.id:
        abort(404)
    return send_file(io.BytesIO(attachment.data), mimetype=attachment.media_type,
                     as_attachment=True, download_name=attachment.filename,
                     etag=attachment.sha256)


@bp.route("/<int:note_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@roles_required("country_team")
def delete_attachment(note_id: int, attachment_id: int):
    note = _note(note_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.note_id != note.id:
        abort(404)
    try:
        services.remove_attachment(current_user, attachment)
        commit()
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash("Attachment removed.", "success")
    return redirect(url_for("pipeline.edit", note_id=note.id))


@bp.route("/<int:note_id>/withdraw", methods=["POST"])
@roles_required("country_team")
def withdraw(note_id: int):
    note = _note(note_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.withdraw(current_user, note, form.reason.data)
        commit()
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(f"{note.reference} is withdrawn.", "success")
    return redirect(url_for("pipeline.show", note_id=note.id))


@bp.route("/<int:note_id>/screen", methods=["GET", "POST"])
@roles_required("secretariat")
def screen(note_id: int):
    note = _note(note_id)
    form = screening_form()
    problems = services.problems(note)
    if request.method == "GET":
        for key, value in services.suggested_checklist(note, problems).items():
            form[f"check_{key}"].data = value
    if form.validate_on_submit():
        checklist = {key: form[f"check_{key}"].data for key in services.CHECKLIST}
        try:
            services.screen(current_user, note, checklist, form.outcome.data, form.reasons.data)
            commit()
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            for name, errs in exc.fields.items():
                if name in form:
                    form[name].errors = list(form[name].errors) + errs
            return render_template("pipeline/screen.html", note=note, form=form,
                                   problems=problems, checklist=services.CHECKLIST), exc.status
        flash(f"{note.reference}: {STATUS_LABELS[note.status].lower()}.", "success")
        return redirect(url_for("pipeline.show", note_id=note.id))
    status = 400 if request.method == "POST" else 200
    return render_template("pipeline/screen.html", note=note, form=form, problems=problems,
                           checklist=services.CHECKLIST), status


@bp.route("/<int:note_id>/versions")
@roles_required(*PIPELINE_ROLES)
def versions(note_id: int):
    note = _note(note_id)
    numbers = [v.number for v in note.versions]
    if not numbers:
        flash("The note has no submitted version yet.", "info")
        return redirect(url_for("pipeline.show", note_id=note.id))
    new_number = request.args.get("to", type=int) or numbers[-1]
    old_number = request.args.get("from", type=int) or (new_number - 1 if new_number > 1 else None)
    by_number = {v.number: v for v in note.versions}
    if new_number not in by_number or (old_number is not None and old_number not in by_number):
        abort(404)
    new_version = by_number[new_number]
    old_version = by_number.get(old_number) if old_number else None
    changes = services.diff(old_version.content if old_version else {}, new_version.content)
    return render_template("pipeline/versions.html", note=note, numbers=numbers,
                           old=old_version, new=new_version, changes=changes)


@bp.route("/config", methods=["GET", "POST"])
@roles_required("secretariat")
def config():
    fund = services.fund_config()
    form = FundConfigForm(data=None if request.method == "POST" else {
        "budget_floor": f"{fund.budget_floor_cents // 100:,}",
        "budget_ceiling": f"{fund.budget_ceiling_cents // 100:,}",
        "max_duration_months": fund.max_duration_months, "min_punos": fund.min_punos,
        "pipeline_validity_months": fund.pipeline_validity_months})
    if form.validate_on_submit():
        before = {"budget_floor_cents": fund.budget_floor_cents,
                  "budget_ceiling_cents": fund.budget_ceiling_cents,
                  "max_duration_months": fund.max_duration_months, "min_punos": fund.min_punos,
                  "pipeline_validity_months": fund.pipeline_validity_months}
        fund.budget_floor_cents = form.budget_floor.cents
        fund.budget_ceiling_cents = form.budget_ceiling.cents
        fund.max_duration_months = form.max_duration_months.data
        fund.min_punos = form.min_punos.data
        fund.pipeline_validity_months = form.pipeline_validity_months.data
        after = {k: getattr(fund, k) for k in before}
        record(current_user, "fund_config_changed", fund, before=before, after=after)
        commit()
        flash("The fund's pipeline configuration is saved.", "success")
        return redirect(url_for("pipeline.config"))
    status = 400 if request.method == "POST" else 200
    return render_template("pipeline/config.html", form=form), status


@bp.route("/import", methods=["GET", "POST"])
@roles_required("secretariat")
def import_page():
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            flash("The file is not UTF-8 text; save it as CSV UTF-8 and try again.", "error")
            return render_template("pipeline/import.html", form=form, report=None), 400
        try:
            report = import_notes(current_user, text)
        except ServiceError as exc:
            flash(exc.message, "error")
            return render_template("pipeline/import.html", form=form, report=None), 400
        commit()
        flash(f"{len(report.accepted)} note(s) imported, {len(report.rejected)} row(s) rejected.",
              "success" if not report.rejected else "warning")
    return render_template("pipeline/import.html", form=form, report=report)
