"""Review-round forms. The scoring form has one field per criterion of the round's frozen
rubric, with the criterion's guidance, and a comment per criterion."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from mptf.forms_util import DecimalField, IntegerField, choices, whole_number
from mptf.models import ReviewRound


class RoundForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    opens_on = DateField("Opens on", validators=[Optional()])
    closes_on = DateField("Closes on", validators=[Optional()])
    quorum = IntegerField("Quorum (valid reviews per note)", default=3,
                          validators=[DataRequired(), NumberRange(1, 50)])
    disagreement_threshold = DecimalField("Disagreement threshold (points of spread)",
                                          default=25, places=1,
                                          validators=[DataRequired(), NumberRange(0, 100)])
    calibrate = BooleanField("Calibrate reviewers (cancel harsh and lenient scoring)")
    note_ids = SelectMultipleField("Pipeline notes to review", coerce=whole_number,
                                   validators=[Optional()])
    save = SubmitField("Save")


def rubric_form(round_: ReviewRound, **kwargs: Any) -> FlaskForm:
    """The round's rubric, one row of fields per criterion plus two empty rows to add one;
    a row whose code is emptied is removed."""

    class RubricForm(FlaskForm):
        save = SubmitField("Save the rubric")

    rows = len(round_.criteria) + 2
    for i in range(rows):
        setattr(RubricForm, f"code_{i}", StringField("Code", validators=[Optional(),
                                                                         Length(max=60)]))
        setattr(RubricForm, f"label_{i}", StringField("Label", validators=[Optional(),
                                                                           Length(max=200)]))
        setattr(RubricForm, f"weight_{i}", DecimalField("Weight", validators=[Optional()]))
        setattr(RubricForm, f"min_{i}", IntegerField("From", validators=[Optional()]))
        setattr(RubricForm, f"max_{i}", IntegerField("To", validators=[Optional()]))
        setattr(RubricForm, f"guidance_{i}", TextAreaField(
            "Guidance", validators=[Optional(), Length(max=5000)]))
    data = {}
    for i, c in enumerate(round_.criteria):
        data.update({f"code_{i}": c.code, f"label_{i}": c.label, f"weight_{i}": c.weight,
                     f"min_{i}": c.scale_min, f"max_{i}": c.scale_max,
                     f"guidance_{i}": c.guidance})
    for i in range(len(round_.criteria), rows):
        data.update({f"min_{i}": 1, f"max_{i}": 5})
    form = RubricForm(data=data, **kwargs)
    form.row_count = rows
    return form


def rubric_records(form) -> list[dict[str, Any]]:
    records = []
    for i in range(form.row_count):
        code = (form[f"code_{i}"].data or "").strip()
        if not code:
            continue
        weight = form[f"weight_{i}"].data
        records.append({
            "code": code, "label": (form[f"label_{i}"].data or "").strip() or code,
            "weight": float(weight) if weight is not None else 0.0,
            "scale_min": form[f"min_{i}"].data if form[f"min_{i}"].data is not None else 1,
            "scale_max": form[f"max_{i}"].data if form[f"max_{i}"].data is not None else 5,
            "guidance": (form[f"guidance_{i}"].data or "").strip()})
    return records


class ConflictForm(FlaskForm):
    reason = TextAreaField("Reason for the conflict of interest",
                           validators=[DataRequired("Give the reason."), Length(max=2000)])
    declare = SubmitField("Declare a conflict and recuse myself")
    confirm = SubmitField("Declare and recuse")


class ReminderForm(FlaskForm):
    message = TextAreaField("Message", validators=[Optional(), Length(max=2000)])
    send = SubmitField("Send reminder")


class ActionForm(FlaskForm):
    """A button that changes state (open, close, reopen): CSRF only."""

    go = SubmitField("Confirm")


class CloseForm(FlaskForm):
    """Closing a round: posted without ``confirm`` it shows what closing does."""

    confirm = SubmitField("Close the round")


def scoring_form(round_: ReviewRound, review=None, **kwargs: Any) -> FlaskForm:
    """One radio group per criterion (its scale as choices) with its guidance, a comment per
    criterion, an overall comment; filled from ``review`` when given."""

    class ScoringForm(FlaskForm):
        overall = TextAreaField("Overall comment", validators=[Optional(), Length(max=10_000)])
        save = SubmitField("Save draft")
        submit = SubmitField("Submit review")

        def apply_service_errors(self, fields: dict[str, list[str]]) -> None:
            """The review service names a criterion by its code: its problems go on the
            criterion's score (``mptf.views.refusals`` calls this)."""
            for code, problems in fields.items():
                target = getattr(self, f"score_{code}", None)
                if target is None:
                    self.form_errors = [*self.form_errors, *problems]
                else:
                    target.errors = [*target.errors, *problems]

    for c in round_.criteria:
        scale = [(v, str(v)) for v in range(c.scale_min, c.scale_max + 1)]
        setattr(ScoringForm, f"score_{c.code}", RadioField(
            c.label, choices=choices(scale), validators=[Optional()], description=c.guidance,
            validate_choice=True))
        setattr(ScoringForm, f"comment_{c.code}", TextAreaField(
            f"Comment on {c.label.lower()}", validators=[Optional(), Length(max=5000)]))
    data = None
    if review is not None:
        data = {"overall": review.comment}
        for s in review.scores:
            data[f"score_{s.criterion.code}"] = None if s.value is None else str(s.value)
            data[f"comment_{s.criterion.code}"] = s.comment
    form = ScoringForm(data=data, **kwargs) if data is not None else ScoringForm(**kwargs)
    form.criteria = list(round_.criteria)
    return form


def scoring_values(form, round_: ReviewRound) -> tuple[dict, dict]:
    values, comments = {}, {}
    for c in round_.criteria:
        raw = form[f"score_{c.code}"].data
        values[c.code] = int(raw) if raw not in (None, "", "None") else None
        comments[c.code] = form[f"comment_{c.code}"].data or ""
    return values, comments
