"""Funding cycles: the secretariat sets them up and runs the allocator; anyone of the fund's
roles compares a what-if with the saved run; the chair approves by issuing the decision."""

from __future__ import annotations

import pandas as pd
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from mptf.allocation import cycles
from mptf.allocation.cycle_forms import (
    IncludeForm,
    RunForm,
    cycle_form,
    exclusion_form,
    what_if_form,
)
from mptf.allocation.decision_documents import run_lines, without_na
from mptf.allocation.decisions import decision_for_cycle
from mptf.allocation.routes import bp
from mptf.documents.tables import export_table
from mptf.extensions import db
from mptf.forms_util import digits
from mptf.models import AllocationRun, ConceptNote, FundingCycle, ThematicArea
from mptf.models.money import CycleStatus
from mptf.navigation import NavItem, add
from mptf.services.errors import NotFound, ServiceError
from mptf.services.policy import MONEY_ROLES, Role, roles_required
from mptf.services.unit_of_work import commit
from mptf.spreadsheet import csv_response, xlsx_response
from mptf.views import refusals
from scoring import AllocationPolicy, explain, money_left
from scoring.summaries import allocation_totals

add(NavItem("Funding cycles", "allocation.cycles", tuple(MONEY_ROLES), 45))


@bp.route("/cycles/", endpoint="cycles")
@roles_required(MONEY_ROLES)
def cycles_index():
    found = db.session.scalars(db.select(FundingCycle).order_by(FundingCycle.id.desc())).all()
    return render_template("allocation/cycles.html", cycles=found,
                           latest={c.id: cycles.latest_run(c) for c in found})


def _input(form) -> cycles.CycleInput:
    return cycles.CycleInput(name=form.name.data, decision_date=form.decision_date.data,
                             envelope_cents=form.envelope_cents,
                             policy=form.policy_dict(), round_ids=form.round_ids.data or [])


@bp.route("/cycles/new", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def new_cycle():
    form = cycle_form()
    if form.validate_on_submit():
        with refusals(form) as refused:
            cycle = cycles.create_cycle(current_user, _input(form))
            commit()
        if not refused:
            flash(f"Funding cycle '{cycle.name}' created; run its allocation next.", "success")
            return redirect(url_for("allocation.cycle", cycle_id=cycle.id))
    return render_template("allocation/cycle_edit.html", form=form, cycle=None), \
        400 if request.method == "POST" else 200


@bp.route("/cycles/<int:cycle_id>/edit", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def edit_cycle(cycle_id: int):
    cycle = cycles.cycle_for(current_user, cycle_id)
    form = cycle_form(cycle if request.method == "GET" else None)
    if form.validate_on_submit():
        with refusals(form) as refused:
            cycles.update_cycle(current_user, cycle, _input(form))
            commit()
        if not refused:
            flash("Cycle saved. Run the allocation again to apply the changes.", "success")
            return redirect(url_for("allocation.cycle", cycle_id=cycle_id))
    return render_template("allocation/cycle_edit.html", form=form, cycle=cycle), \
        400 if request.method == "POST" else 200


def _totals(lines: pd.DataFrame, run: AllocationRun) -> dict[str, pd.DataFrame]:
    policy = AllocationPolicy.from_dict(run.policy)
    frame = lines[["note_id", "thematic_area", "region", "status", "requested", "amount"]]
    frame = frame.astype({"requested": "int64", "amount": "int64", "thematic_area": "int64"})
    areas = [a.id for a in db.session.scalars(db.select(ThematicArea).order_by(ThematicArea.id))]
    return {name: without_na(frame) for name, frame in {
        "by_area": allocation_totals(frame, "thematic_area", envelope=run.envelope_cents,
                                     floors=policy.thematic_floor, caps=policy.thematic_cap,
                                     keys=areas),
        "by_region": allocation_totals(frame, "region", envelope=run.envelope_cents,
                                       caps=policy.region_cap),
    }.items()}


@bp.route("/cycles/<int:cycle_id>")
@roles_required(MONEY_ROLES)
def cycle(cycle_id: int):
    found = cycles.cycle_for(current_user, cycle_id)
    run = cycles.latest_run(found)
    lines = run_lines(run) if run is not None and run.lines else None
    if lines is not None:
        lines["reason"] = cycles.line_reasons(run, lines)
    stale = cycles.stale_reasons(run) if run is not None else []
    return render_template(
        "allocation/cycle.html", cycle=found, run=run, lines=lines,
        totals=_totals(lines, run) if lines is not None else None,
        left=money_left(lines, cycles.run_funds(run)) if lines is not None else None,
        stale=cycles.stale_sentence(stale) if stale else None,
        labels=cycles.STATUS_LABELS, decision=decision_for_cycle(found),
        funds=cycles.funds_for(found) if found.status == CycleStatus.DRAFT else None,
        area_names={a.id: str(a) for a in db.session.scalars(db.select(ThematicArea))})


@bp.route("/cycles/<int:cycle_id>/exclusions", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def exclusions(cycle_id: int):
    """The notes the secretariat takes out of the cycle's runs, each with its reason."""
    found = cycles.cycle_for(current_user, cycle_id)
    draft = found.status == CycleStatus.DRAFT
    form = exclusion_form(cycles.exclusion_candidates(found) if draft else [])
    if request.method == "GET" and digits(request.args.get("note_id", "")):
        form.note_id.data = int(request.args["note_id"])
    status = 200
    if draft and form.validate_on_submit():
        with refusals(form) as refused:
            exclusion = cycles.exclude_note(current_user, found, form.note_id.data,
                                            form.reason.data)
            message = (f"{exclusion.note.reference} is excluded from {found.name}. Run the "
                       "allocation again to apply it.")
            commit()
        if refused:
            status = refused.status
            found = cycles.cycle_for(current_user, cycle_id)
        else:
            flash(message, "success")
            return redirect(url_for("allocation.exclusions", cycle_id=cycle_id))
    elif request.method == "POST":
        if not draft:
            flash("The cycle is approved; its notes can no longer be excluded.", "error")
            status = 409
        else:
            status = 400
    return render_template("allocation/exclusions.html", cycle=found, form=form,
                           action=IncludeForm()), status


@bp.route("/cycles/<int:cycle_id>/exclusions/<int:note_id>/include", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def include_note(cycle_id: int, note_id: int):
    found = cycles.cycle_for(current_user, cycle_id)
    if not IncludeForm().validate_on_submit():
        abort(400)
    if not any(e.note_id == note_id for e in found.exclusions):
        # The lookup before the block: a note not excluded is the 404 page, not a flash.
        raise NotFound("That note is not excluded from this cycle.")
    with refusals() as refused:
        note = cycles.include_note(current_user, found, note_id)
        message = (f"{note.reference} counts again in {found.name}. Run the allocation again "
                   "to apply it.")
        commit()
    if not refused:
        flash(message, "success")
    return redirect(url_for("allocation.exclusions", cycle_id=cycle_id))


@bp.route("/cycles/<int:cycle_id>/run", methods=["POST"])
@roles_required(Role.SECRETARIAT)
def run_cycle(cycle_id: int):
    found = cycles.cycle_for(current_user, cycle_id)
    if not RunForm().validate_on_submit():
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
@roles_required(MONEY_ROLES)
def what_if(cycle_id: int):
    """A run with another policy, envelope or method, beside the saved run; nothing saved."""
    found = cycles.cycle_for(current_user, cycle_id)
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
@roles_required(MONEY_ROLES)
def run_export(cycle_id: int, run_id: int, fmt: str):
    found = cycles.cycle_for(current_user, cycle_id)
    run = db.session.get(AllocationRun, run_id)
    if run is None or run.cycle_id != found.id:
        abort(404)
    lines = run_lines(run)
    table = export_table(pd.DataFrame({
        "Order": lines["order"], "Reference": lines["reference"], "Country": lines["country"],
        "Region": lines["region"], "Thematic area": lines["thematic_area"],
        "Score": lines["score"], "Requested": lines["requested"],
        "Status": [cycles.STATUS_LABELS.get(s, s) for s in lines["status"]],
        "Amount": lines["amount"], "From earmarked": lines["from_earmarked"],
        "From unearmarked": lines["from_unearmarked"]}),
        {a.id: str(a) for a in db.session.scalars(db.select(ThematicArea))})
    name = f"cycle-{found.id}-run-{run.id}"
    if fmt == "csv":
        return csv_response(table, f"{name}.csv")
    return xlsx_response({"Run": table}, f"{name}.xlsx")
