"""Concept notes and the rolling pipeline: pages for country teams and the secretariat."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
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
from mptf.formatting import usd
from mptf.models import (
    REGIONS,
    Allocation,
    Attachment,
    Country,
    Decision,
    Organisation,
    ThematicArea,
)
from mptf.models.money import DecisionStatus
from mptf.models.pipeline import NoteStatus
from mptf.navigation import NavItem, add
from mptf.pagination import page_number
from mptf.pipeline import configuration, importer, listing, services
from mptf.pipeline.forms import (
    AttachmentForm,
    FundConfigForm,
    ImportForm,
    WithdrawForm,
    note_form,
    screening_form,
)
from mptf.pipeline.rules import STATUS_LABELS
from mptf.services.audit import events_for
from mptf.services.errors import ServiceError
from mptf.services.policy import LETTER_READERS, NOTE_VIEWERS, Role, roles_required
from mptf.services.unit_of_work import commit
from mptf.spreadsheet import csv_response, xlsx_response
from mptf.views import confirmation, put_on_form, refusals

bp = Blueprint("pipeline", __name__, url_prefix="/pipeline", template_folder="templates")

add(NavItem("Concept notes", "pipeline.index", NOTE_VIEWERS, 10))


@bp.app_template_filter("stakeholder_label")
def stakeholder_label(key: str) -> str:
    """A stakeholder group as the note form names it ('Migrants and diaspora', not
    'migrants'), on every page that shows a note."""
    return services.STAKEHOLDER_GROUPS.get(key, key)


@bp.app_template_filter("partner_kind_label")
def partner_kind_label(key: str) -> str:
    return services.PARTNER_KINDS.get(key, key)


@bp.route("/")
@roles_required(NOTE_VIEWERS)
def index():
    """The listing reads only: notes past their validity are expired by ``mptf maintenance``
    (daily), never by a page view."""
    filters = listing.Filters.from_args(request.args)
    page = listing.page_of(current_user, filters, page_number(request.args), 50)
    return render_template(
        "pipeline/index.html", page=page, filters=filters,
        totals=listing.totals(current_user, filters), statuses=STATUS_LABELS,
        areas=db.session.scalars(db.select(ThematicArea).order_by(ThematicArea.id)).all(),
        regions=REGIONS,
        countries=_filter_countries(),
        punos=db.session.scalars(db.select(Organisation).where(
            Organisation.kind == "un_entity").order_by(Organisation.acronym)).all())


def _filter_countries():
    if current_user.role == Role.COUNTRY_TEAM:
        return [current_user.country]
    return db.session.scalars(db.select(Country).order_by(Country.name)).all()


@bp.route("/export.<any(csv, xlsx):fmt>")
@roles_required(NOTE_VIEWERS)
def export(fmt: str):
    filters = listing.Filters.from_args(request.args)
    table = listing.export_frame(current_user, filters)
    if fmt == "csv":
        return csv_response(table, "pipeline.csv")
    return xlsx_response({"Pipeline": table}, "pipeline.xlsx")


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.COUNTRY_TEAM)
def new():
    form = note_form()
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        with refusals(form) as refused:
            note = services.create_draft(current_user, form.to_data())
            commit()
        if not refused:
            if form.submit.data:
                return _submit_after_save(note, form, created=True)
            flash(f"Draft {note.reference} saved.", "success")
            return redirect(url_for("pipeline.edit", note_id=note.id))
        status = refused.status
    return render_template("pipeline/edit.html", form=form, note=None), status


def _submit_after_save(note, form, created: bool = False):
    """The edits are saved already; submitting either succeeds or lists every problem. A note
    just created goes to its own edit page (where the next save updates it, not a second
    draft), which lists the problems again."""
    saved = f"Draft {note.reference} saved." if created else "Your edits are saved as a draft."
    with refusals(form, saying=lambda exc: f"{saved} {exc.message}") as refused:
        version = services.submit(current_user, note)
        commit()
    if refused:
        if created:
            return redirect(url_for("pipeline.edit", note_id=note.id, problems=1), 303)
        return _edit_page(note, form, refused.status)
    flash(f"{note.reference} submitted as version {version.number}. The secretariat will "
          "screen it.", "success")
    return redirect(url_for("pipeline.show", note_id=note.id))


def _edit_page(note, form, status: int, attachment_form=None, attachment_error=None):
    return render_template("pipeline/edit.html", form=form, note=note,
                           attachment_form=attachment_form or AttachmentForm(),
                           attachment_error=attachment_error), status


def _save(note, form) -> int | None:
    """Write the note form onto the draft and commit; None when saved (the form then carries
    the saved version, so the next save from this page is not taken for a colleague's), or
    the refusal's status with its problems on the form and the typed text kept."""
    with refusals(form, saying=_save_refused) as refused:
        services.update_draft(current_user, note, form.to_data(), form.seen_version())
        commit()
    if refused and refused.error.code != "stale":
        return refused.status
    # Saved; or a colleague's save came first, and saving again, having compared, keeps
    # this text.
    form.lock_version.data = str(note.lock_version)
    return refused.status if refused else None


def _save_refused(exc: ServiceError) -> str:
    if exc.code == "stale":
        return (f"{exc.message} They are still in the form below: compare them with the note "
                "as it now is (open it in another tab) and save again to keep yours.")
    return exc.message


def _save_typed_first(note):
    """The attachment buttons of the edit page post the note form along (edit.html), so that
    what was typed is saved before the page reloads from the database. Returns the form (None
    when the post carries no note form) and, if the save was refused, the page to show."""
    if "lock_version" not in request.form:
        return None, None
    form = note_form()
    if not form.validate_on_submit():
        return form, _edit_page(note, form, 400)
    refused = _save(note, form)
    return form, (_edit_page(note, form, refused) if refused else None)


@bp.route("/<int:note_id>/edit", methods=["GET", "POST"])
@roles_required(Role.COUNTRY_TEAM)
def edit(note_id: int):
    note = services.note_for(current_user, note_id)
    if not services.can_edit(current_user, note):
        flash(f"{note.reference} is {STATUS_LABELS[note.status].lower()} and cannot be edited.",
              "warning")
        return redirect(url_for("pipeline.show", note_id=note.id))
    form = note_form(note if request.method == "GET" else None)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        refused = _save(note, form)
        if refused:
            status = refused
        elif form.submit.data:
            return _submit_after_save(note, form)
        else:
            flash("Draft saved.", "success")
            return redirect(url_for("pipeline.edit", note_id=note.id))
    elif request.method == "GET":
        if request.args.get("problems"):  # after a refused submission of a new note
            put_on_form(form, services.problems(note))
        if note.status == NoteStatus.RETURNED:
            flash("This note was returned by the secretariat; revise it and submit it again.",
                  "warning")
    return _edit_page(note, form, status)


@bp.route("/<int:note_id>")
@roles_required(NOTE_VIEWERS)
def show(note_id: int):
    note = services.note_for(current_user, note_id)
    return render_template(
        "pipeline/show.html", note=note, statuses=STATUS_LABELS,
        history=events_for("concept_notes", note.id),
        can_edit=services.can_edit(current_user, note),
        problems=services.problems(note) if note.status in (NoteStatus.DRAFT, NoteStatus.RETURNED) else {},
        funding=_funding(note), letter_roles=LETTER_READERS,
        attachment_form=AttachmentForm(), withdraw_form=WithdrawForm())


def _funding(note):
    """A selected or funded note's allocation (amount, transfers per PUNO, conditions) and
    the issued decision that made it, for its page; None for any other note."""
    if note.status not in (NoteStatus.SELECTED, NoteStatus.FUNDED):
        return None
    allocation = db.session.scalar(db.select(Allocation).where(
        Allocation.note_id == note.id).order_by(Allocation.id.desc()).limit(1))
    if allocation is None:
        return None
    decision = db.session.scalar(db.select(Decision).where(
        Decision.cycle_id == allocation.cycle_id, Decision.status == DecisionStatus.ISSUED))
    return {"allocation": allocation, "decision": decision}


@bp.route("/<int:note_id>/attachments", methods=["POST"])
@roles_required(Role.COUNTRY_TEAM)
def upload(note_id: int):
    note = services.note_for(current_user, note_id)
    typed, refused = _save_typed_first(note)
    if refused:
        return refused
    form = AttachmentForm()
    if not form.validate_on_submit():
        flash(f"{'Draft saved. ' if typed else ''}Choose a file to attach.", "error")
        return redirect(url_for("pipeline.edit", note_id=note.id)), 303
    with refusals() as refused:
        services.add_attachment(current_user, note, form.file.data.filename,
                                form.file.data.read())
        commit()
    if refused:
        return _edit_page(note, typed or note_form(note), refused.status, attachment_form=form,
                          attachment_error=refused.message)
    flash(f"{'Draft saved; ' if typed else ''}{form.file.data.filename} attached.", "success")
    return redirect(url_for("pipeline.edit", note_id=note.id))


@bp.route("/<int:note_id>/attachments/<int:attachment_id>")
@roles_required(NOTE_VIEWERS)
def download(note_id: int, attachment_id: int):
    note = services.note_for(current_user, note_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.note_id != note.id:
        abort(404)
    return send_file(io.BytesIO(attachment.data), mimetype=attachment.media_type,
                     as_attachment=True, download_name=attachment.filename,
                     etag=attachment.sha256)


@bp.route("/<int:note_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@roles_required(Role.COUNTRY_TEAM)
def delete_attachment(note_id: int, attachment_id: int):
    note = services.note_for(current_user, note_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.note_id != note.id:
        abort(404)
    _, refused = _save_typed_first(note)
    if refused:
        return refused
    with refusals() as refused:
        services.remove_attachment(current_user, attachment)
        commit()
    if not refused:
        flash("Attachment removed.", "success")
    return redirect(url_for("pipeline.edit", note_id=note.id))


@bp.route("/<int:note_id>/withdraw", methods=["GET", "POST"])
@roles_required(Role.COUNTRY_TEAM)
def withdraw(note_id: int):
    """GET, or a POST without ``confirm``: what withdrawing does, the reason in the form;
    a POST with ``confirm`` withdraws the note."""
    note = services.note_for(current_user, note_id)
    form = WithdrawForm()
    step = confirmation(form)
    if step.act:
        with refusals() as refused:
            services.withdraw(current_user, note, form.reason.data)
            commit()
        if not refused:
            flash(f"{note.reference} is withdrawn.", "success")
        return redirect(url_for("pipeline.show", note_id=note.id))
    back = url_for("pipeline.show", note_id=note.id)
    return render_template(
        "confirm.html", heading=f"Withdraw {note.reference}?", form=form, fields=["reason"],
        consequences=services.withdraw_consequences(note, form.reason.data or ""),
        confirm_label=f"Withdraw {note.reference}", back_url=back, back_label=note.reference,
        action_url=url_for("pipeline.withdraw", note_id=note.id)), step.status


@bp.route("/<int:note_id>/screen", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def screen(note_id: int):
    note = services.note_for(current_user, note_id)
    form = screening_form()
    problems = services.problems(note)
    if request.method == "GET":
        for key, value in services.suggested_checklist(note, problems).items():
            form[f"check_{key}"].data = value
    if form.validate_on_submit():
        checklist = {key: form[f"check_{key}"].data for key in services.CHECKLIST}
        with refusals(form) as refused:
            services.screen(current_user, note, checklist, form.outcome.data, form.reasons.data)
            commit()
        if refused:
            return render_template("pipeline/screen.html", note=note, form=form,
                                   problems=problems, checklist=services.CHECKLIST), \
                refused.status
        flash(f"{note.reference}: {STATUS_LABELS[note.status].lower()}.", "success")
        return redirect(url_for("pipeline.show", note_id=note.id))
    status = 400 if request.method == "POST" else 200
    return render_template("pipeline/screen.html", note=note, form=form, problems=problems,
                           checklist=services.CHECKLIST), status


@bp.route("/<int:note_id>/versions")
@roles_required(NOTE_VIEWERS)
def versions(note_id: int):
    note = services.note_for(current_user, note_id)
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
@roles_required(Role.SECRETARIAT)
def config():
    saved = configuration.current_settings()
    form = FundConfigForm(data=None if request.method == "POST" else {
        "budget_floor": usd(saved.budget_floor_cents, symbol=False),
        "budget_ceiling": usd(saved.budget_ceiling_cents, symbol=False),
        "max_duration_months": saved.max_duration_months, "min_punos": saved.min_punos,
        "pipeline_validity_months": saved.pipeline_validity_months})
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        with refusals(form) as refused:
            configuration.configure_pipeline(current_user, form.to_settings())
            commit()
        if not refused:
            flash("The fund's pipeline configuration is saved.", "success")
            return redirect(url_for("pipeline.config"))
        status = refused.status
    return render_template("pipeline/config.html", form=form), status


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def import_page():
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            flash("The file is not UTF-8 text; save it as CSV UTF-8 and try again.", "error")
            return _import_page(form, status=400)
        with refusals(form) as refused:
            report = importer.import_notes(current_user, text)
            commit()
        if refused:
            return _import_page(form, status=refused.status)
        flash(f"{len(report.accepted)} note(s) imported, {len(report.rejected)} row(s) rejected.",
              "success" if not report.rejected else "warning")
    return _import_page(form, report)


def _import_page(form: ImportForm, report=None, status: int = 200):
    """The import page, stating the limits a file is refused beyond."""
    return render_template(
        "pipeline/import.html", form=form, report=report, max_rows=importer.MAX_ROWS,
        max_field=importer.MAX_FIELD_CHARS, max_title=importer.MAX_TITLE_CHARS,
        max_mb=(request.max_content_length or 0) // 1024 // 1024), status
