"""Funding cycles: the secretariat sets them up and runs the allocator; anyone of the fund's
roles compares a what-if with the saved run; the chair approves by issuing the decision."""

from __future__ import annotations

import io

import pandas as pd
from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from mptf.allocation import cycles
from mptf.allocation.cycle_forms import IncludeForm, cycle_form, exclusion_form, what_if_form
from mptf.allocation.routes import bp
from mptf.extensions import db
from mptf.forms_util import digits
from mptf.models import AllocationRun, FundingCycle, ThematicArea
from mptf.navigation import NavItem, add
from mptf.services.errors import NotFound, ServiceError
from mptf.services.policy import roles_required
from mptf.services.unit_of_work import commit
from scoring import AllocationPolicy, explain, money_left
from scoring.summaries import allocation_totals

CYCLE_ROLES = ("secretariat", "chair", "fund_office")
add(NavItem("Funding cycles", "allocation.cycles", CYCLE_ROLES, 45))


def _cycle(cycle_id: int) -> FundingCycle:
    try:
        return cycles.cycle_for(current_user, cycle_id)
    except NotFound:
        abort(404)


@bp.route("/cycles/", endpoint="cycles")
@roles_required(*CYCLE_ROLES)
def cycles_index():
    found = db.session.scalars(db.select(FundingCycle).order_by(FundingCycle.id.desc())).all()
    return render_template("allocation/cycles.html", cycles=found,
                           latest={c.id: cycles.latest_run(c) for c in found})


def _input(form) -> cycles.CycleInput:
    return cycles.CycleInput(name=form.name.data, decision_date=form.decision_date.data,
                             envelope_cents=form.envelope_cents,
                             policy=form.policy_dict(), round_ids=form.round_ids.data or [])


def _errors(form, exc: ServiceError) -> None:
    flash(exc.message, "error")
    for name, problems in exc.fields.items():
        target = "envelope" if name == "envelope" else name
        if target in form:
            form[target].errors = list(form[target].errors) + problems


@bp.route("/cycles/new", methods=["GET", "POST"])
@roles_required("secretariat")
def new_cycle():
    form = cycle_form()
    if form.validate_on_submit():
        try:
            cycle = cycles.create_cycle(current_user, _input(form))
            commit()
        except ServiceError as exc:
            db.session.rollback()
            _errors(form, exc)
        else:
            flash(f"Funding cycle '{cycle.name}' created; run its allocation next.", "success")
            return redirect(url_for("allocation.cycle", cycle_id=cycle.id))
    return render_template("allocation/cycle_edit.html", form=form, cycle=None), \
        400 if request.method == "POST" else 200


@bp.route("/cycles/<int:cycle_id>/edit", methods=["GET", "POST"])
@roles_required("secretariat")
def edit_cycle(cycle_id: int):
    cycle = _cycle(cycle_id)
    form = cycle_form(cycle if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            cycles.update_cycle(current_user, cycle, _input(form))
            commit()
        except ServiceError as exc:
            db.session.rollback()
            _errors(form, exc)
        else:
            flash("Cycle saved. Run the allocation again to apply the changes.", "success")
            return redirect(url_for("allocation.cycle", cycle_id=cycle.id))
    return render_template("allocation/cycle_edit.html", form=form, cycle=cycle), \
        400 if request.method == "POST" else 200


def _run_table(run: AllocationRun) -> pd.DataFrame:
    from mptf.reports.documents import _run_lines

    return _run_lines(run)


def _totals(lines: pd.DataFrame, run: AllocationRun) -> dict[str, pd.DataFrame]:
    policy = AllocationPolicy.from_dict(run.policy)
    frame = lines[["note_id", "thematic_area", "region", "status", "requested", "amount"]]
    frame = frame.astype({"requested": "int64", "amount": "int64", "thematic_area": "int64"})
    areas = [a.id for a in db.session.scalars(db.select(ThematicArea).order_by(ThematicArea.id))]
    from mptf.reports.documents import without_na

    return {name: without_na(frame) for name, frame in {
        "by_area": allocation_totals(frame, "thematic_area", envelope=run.envelope_cents,
                                     floors=policy.thematic_floor, caps=policy.thematic_cap,
                                     keys=areas),
        "by_region": allocation_totals(frame, "region", envelope=run.envelope_cents,
                                       caps=policy.region_cap),
    }.items()}


@bp.route("/cycles/<int:cycle_id>")
@roles_required(*CYCLE_ROLES)
def cycle(cycle_id: int):
    from mptf.reports.decisions import decision_for_cycle

    found = _cycle(cycle_id)
    run = cycles.latest_run(found)
    lines = _run_table(run) if run is not None and run.lines else None
    if lines is not None:
        lines["reason"] = cycles.line_reasons(run, lines)
    stale = cycles.stale_reasons(run) if run is not None else []
    return render_template(
        "allocation/cycle.html", cycle=found, run=run, lines=lines,
        totals=_totals(lines, run) if lines is not None else None,
        left=money_left(lines, cycles.run_funds(run)) if lines is not None else None,
        stale=cycles.stale_sentence(stale) if stale else None,
        labels=cycles.STATUS_LABELS, decision=decision_for_cycle(found),
        funds=cycles.funds_for(found) if found.status == "draft" else None,
        area_names={a.id: str(a) for a in db.session.scalars(db.select(ThematicArea))})


@bp.route("/cycles/<int:cycle_id>/exclusions", methods=["GET", "POST"])
@roles_required("secretariat")
def exclusions(cycle_id: int):
    """The notes the secretariat takes out of the cycle's runs, each with its reason."""
    found = _cycle(cycle_id)
    form = exclusion_form(cycles.exclusion_candidates(found) if found.status == "draft" else [])
    if request.method == "GET" and digits(request.args.get("note_id", "")):
        form.note_id.data = int(request.args["note_id"])
    status = 200
    if found.status == "draft" and form.validate_on_submit():
        try:
            exclusion = cycles.exclude_note(current_user, found, form.note_id.data,
                                            form.reason.data)
            commit()
        except ServiceError as exc:
            db.session.rollback()
            _errors(form, exc)
            status = exc.status
        else:
            flash(f"{exclusion.note.reference} is excluded from {found.name}. Run the "
                  "allocation again to apply it.", "success")
            return redirect(url_for("allocation.exclusions", cycle_id=found.id))
    elif request.method == "POST":
        if found.status != "draft":
            flash("The cycle is approved; its notes can no longer be excluded.", "error")
            status = 409
        else:
            status = 400
    return render_template("allocation/exclusions.html", cycle=found, form=form,
                           action=IncludeForm()), status


@bp.route("/cycles/<int:cycle_id>/exclusions/<int:note_id>/include", methods=["POST"])
@roles_required("secretariat")
def include_note(cycle_id: int, note_id: int):
    found = _cycle(cycle_id)
    if not IncludeForm().validate_on_submit():
        abort(400)
    try:
        note = cycles.include_note(current_user, found, note_id)
        commit()
    except NotFound:
        abort(404)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(f"{note.reference} counts again in {found.name}. Run the allocation again to "
              "apply it.", "success")
    return redirect(url_for("allocation.exclusions", cycle_id=cycle_id))


@bp.route("/cycles/<int:cycle_id>/run", methods=["POST"])
@roles_required("secretariat")
def run_cycle(cycle_id: int):
    from mptf.reports.forms import IssueForm

    found = _cycle(cycle_id)
    if not IssueForm().validate_on_submit():
        abort(400)
    method = request.form.get("method", "greedy")
    if method not in ("greedy", "optimal"):
        abort(400)
    try:
        run = cycles.save_run(current_user, found, method)
        commit()
    except (ServiceError, ValueError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", str(exc)), "error")
    else:
        funded = sum(1 for line in run.lines if line.status == "funded")
        flash(f"Run saved: {funded} note{'' if funded == 1 else 's'} funded.", "success")
    return redirect(url_for("allocation.cycle", cycle_id=cycle_id))


@bp.route("/cycles/<int:cycle_id>/what-if")
@roles_required(*CYCLE_ROLES)
def what_if(cycle_id: int):
    """A run with another policy, envelope or method, beside the saved run; nothing saved."""
    found = _cycle(cycle_id)
    run = cycles.latest_run(found)
    form = what_if_form(found, request.args if request.args else None)
    result, comparison, problem = None, None, None
    if request.args and form.validate():
        try:
            result = cycles.compute(found, policy=form.policy_dict(),
                                    envelope_cents=form.envelope_cents,
                                    method=form.method.data or "greedy")
        except (ServiceError, ValueError) as exc:
            problem = getattr(exc, "message", str(exc))
        else:
            comparison = _compare(run, result)
    return render_template("allocation/what_if.html", cycle=found, run=run, form=form,
                           result=result, comparison=comparison, problem=problem,
                           labels=cycles.STATUS_LABELS)


def _compare(run: AllocationRun | None, result) -> pd.DataFrame:
    from mptf.models import ConceptNote

    table = result.table[["note_id", "status", "amount"]].rename(
        columns={"status": "what_if_status", "amount": "what_if_amount"})
    table["what_if_reason"] = explain(result.table, result.funds, result.policy).to_numpy()
    if run is not None:
        saved = pd.DataFrame([(line.note_id, line.status, line.amount_cents)
                              for line in run.lines],
                             columns=["note_id", "saved_status", "saved_amount"])
        table = table.merge(saved, on="note_id", how="outer")
    else:
        table["saved_status"], table["saved_amount"] = "", 0
    references = dict(db.session.execute(db.select(ConceptNote.id, ConceptNote.reference).where(
        ConceptNote.id.in_(table["note_id"].tolist()))).all())
    table["reference"] = table["note_id"].map(references)
    table["changed"] = table["saved_status"] != table["what_if_status"]
    return table.sort_values(["changed", "reference"], ascending=[False, True])


@bp.route("/cycles/<int:cycle_id>/runs/<int:run_id>.<any(csv, xlsx):fmt>")
@roles_required(*CYCLE_ROLES)
def run_export(cycle_id: int, run_id: int, fmt: str):
    from mptf.reports.documents import to_csv, to_xlsx

    found = _cycle(cycle_id)
    run = db.session.get(AllocationRun, run_id)
    if run is None or run.cycle_id != found.id:
        abort(404)
    lines = _run_table(run)
    table = pd.DataFrame({
        "Order": lines["order"], "Reference": lines["reference"], "Country": lines["country"],
        "Region": lines["region"], "Thematic area": lines["thematic_area"],
        "Score": lines["score"], "Requested": lines["requested"],
        "Status": [cycles.STATUS_LABELS.get(s, s) for s in lines["status"]],
        "Amount": lines["amount"], "From earmarked": lines["from_earmarked"],
        "From unearmarked": lines["from_unearmarked"]})
    name = f"cycle-{found.id}-run-{run.id}"
    if fmt == "csv":
        return Response(to_csv(table), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    return send_file(io.BytesIO(to_xlsx({"Run": table})), as_attachment=True,
                     download_name=f"{name}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
