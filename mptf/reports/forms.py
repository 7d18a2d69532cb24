from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from mptf.forms_util import choices
from mptf.models.money import ESCALATION_LABELS, OUTCOME_LABELS


def decision_form(members, funded_notes, decision=None, **kwargs: Any) -> FlaskForm:
    """The draft decision: one 'present' box per member seated on the meeting date and one
    condition field per funded note."""

    class DecisionForm(FlaskForm):
        meeting_date = DateField("Meeting date", validators=[DataRequired()])
        place = StringField("Place", validators=[Optional(), Length(max=200)])
        virtual = BooleanField("Virtual meeting")
        outcome_mode = RadioField("Outcome", choices=choices(OUTCOME_LABELS.items()),
                                  validators=[Optional()], validate_choice=True)
        escalation_step = RadioField("Escalation step (without consensus)",
                                     choices=choices(ESCALATION_LABELS.items()),
                                     validators=[Optional()], validate_choice=True)
        text = TextAreaField("Text of the decision", validators=[Optional(), Length(max=20_000)])
        other_decisions = TextAreaField("Other decisions",
                                        validators=[Optional(), Length(max=20_000)])
        save = SubmitField("Save the draft")

    for m in members:
        setattr(DecisionForm, f"present_{m.id}", BooleanField(f"{m.organisation.name}"))
    for note in funded_notes:
        setattr(DecisionForm, f"condition_{note.id}", TextAreaField(
            f"Condition on {note.reference}", validators=[Optional(), Length(max=2000)]))
    data = None
    if decision is not None:
        data = {"meeting_date": decision.meeting_date, "place": decision.place,
                "virtual": decision.virtual, "outcome_mode": decision.outcome_mode,
                "escalation_step": decision.escalation_step, "text": decision.text,
                "other_decisions": decision.other_decisions}
        present = {a.membership_id for a in decision.attendance if a.present}
        for m in members:
            data[f"present_{m.id}"] = m.id in present
        for note in funded_notes:
            data[f"condition_{note.id}"] = (decision.conditions or {}).get(str(note.id), "")
    form = DecisionForm(data=data, **kwargs) if data is not None else DecisionForm(**kwargs)
    form.members = members
    form.funded_notes = funded_notes
    return form


class IssueForm(FlaskForm):
    """Issuing: posted without ``confirm`` it shows what issuing does."""

    issue = SubmitField("Issue the decision")
    confirm = SubmitField("Issue and seal")


class VerifyForm(FlaskForm):
    sha256 = StringField("SHA-256", validators=[Optional(), Length(max=100)])
    file = FileField("Or the PDF file")
    check = SubmitField("Verify")
