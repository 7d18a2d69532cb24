"""Concept-note forms. The note form is built from the reference data (one sentence field per
guiding principle, one row per stakeholder group), so the form follows the fund's data."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from mptf.extensions import db
from mptf.formatting import usd
from mptf.forms_util import IntegerField, choices, digits, whole_number
from mptf.models import ConceptNote, Country, GcmObjective, GuidingPrinciple, Organisation
from mptf.money import parse_usd
from mptf.pipeline.configuration import PipelineSettings
from mptf.pipeline.services import CHECKLIST, PARTNER_KINDS, STAKEHOLDER_GROUPS, PunoInput
from mptf.services.errors import ServiceError

PUNO_ROWS = 8
PARTNER_ROWS = 5
MARKERS = [("0", "0: not targeted"), ("1", "1: limited contribution"),
           ("2", "2: significant objective"), ("3", "3: principal objective")]
LONG_TEXT = 20_000


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class MoneyField(StringField):
    """US dollars typed by a person ('1,250,000.50'), kept as integer cents in ``cents``."""

    cents: int | None = None

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.cents = None
        if self.data and self.data.strip():
            try:
                self.cents = parse_usd(self.data, allow_zero=True)
            except ValueError as exc:
                raise ValueError(str(exc)) from exc


class PunoForm(Form):
    # Checked by the service (a UN Network member); an empty row is simply ignored.
    organisation = SelectField("Organisation", validate_choice=False)
    direct = MoneyField("Direct costs (USD)", validators=[Optional(), Length(max=20)])
    lead = BooleanField("Convening lead")


class PartnerForm(Form):
    name = StringField("Partner", validators=[Optional(), Length(max=200)])
    kind = SelectField("Kind", choices=choices(PARTNER_KINDS.items()), validate_choice=False)


class ConceptNoteFormBase(FlaskForm):
    title = StringField("Title", validators=[Optional(), Length(max=300)])
    is_regional = BooleanField("This is a regional note covering several countries")
    country_ids = SelectMultipleField("Countries covered (regional notes)", coerce=whole_number,
                                      validators=[Optional()])
    thematic_area_id = SelectField("Thematic area", validators=[Optional()])
    objective_ids = MultiCheckboxField("GCM objectives", coerce=whole_number, validators=[Optional()])
    punos = FieldList(FormField(PunoForm), min_entries=PUNO_ROWS, max_entries=PUNO_ROWS)
    duration_months = IntegerField("Duration (months)",
                                   validators=[Optional(), NumberRange(1, 240)])
    gender_marker = SelectField("Gender equality marker", choices=choices(MARKERS, blank=""))
    gender_justification = TextAreaField("Why this gender marker",
                                         validators=[Optional(), Length(max=LONG_TEXT)])
    human_rights_marker = SelectField("Human rights marker", choices=choices(MARKERS, blank=""))
    human_rights_justification = TextAreaField("Why this human rights marker",
                                               validators=[Optional(), Length(max=LONG_TEXT)])
    child_marker = SelectField("Child-sensitivity marker", choices=choices(MARKERS, blank=""))
    child_justification = TextAreaField("Why this child-sensitivity marker",
                                        validators=[Optional(), Length(max=LONG_TEXT)])
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=LONG_TEXT)])
    problem_statement = TextAreaField("Problem statement",
                                      validators=[Optional(), Length(max=LONG_TEXT)])
    theory_of_change = TextAreaField("Theory of change",
                                     validators=[Optional(), Length(max=LONG_TEXT)])
    expected_results = TextAreaField("Expected results",
                                     validators=[Optional(), Length(max=LONG_TEXT)])
    national_partners = FieldList(FormField(PartnerForm), min_entries=PARTNER_ROWS,
                                  max_entries=PARTNER_ROWS)
    government_endorsed = BooleanField("The government has endorsed this concept note")
    endorsement_date = DateField("Date of endorsement", validators=[Optional()])
    # The note's lock_version when the form was opened (see services.update_draft).
    lock_version = HiddenField()
    save = SubmitField("Save draft")
    submit = SubmitField("Save and submit to the secretariat")

    # Errors of groups that are not a single field (principles, stakeholders, PUNO table).
    group_errors: dict[str, list[str]]
    # How the error summary names a row of a table: "PUNO 2: ...".
    ROW_LABELS = {"punos": "PUNO", "national_partners": "National partner"}

    def validate_country_ids(self, field):
        if self.is_regional.data and field.data and len(field.data) > 60:
            raise ValidationError("A regional note covers at most 60 countries.")

    def apply_service_errors(self, fields: dict[str, list[str]]) -> None:
        for name, problems in fields.items():
            target = getattr(self, name, None)
            if target is not None and hasattr(target, "errors") and name not in (
                    "punos", "national_partners"):
                if isinstance(target.errors, tuple):
                    target.errors = list(target.errors)
                target.errors.extend(problems)
            else:
                self.group_errors.setdefault(name, []).extend(problems)

    def error_list(self) -> list[tuple[str, str, str]]:
        """Every problem as (anchor, label, message), nested rows flattened, for the summary."""
        out = []
        for name, errs in self.errors.items():
            field = self[name]
            if isinstance(errs, dict) or (errs and not isinstance(errs[0], str)):
                for index, row in enumerate(errs):
                    for sub, messages in (row or {}).items():
                        for m in messages:
                            row_label = self.ROW_LABELS.get(name, field.label.text)
                            out.append((f"{name}-{index}-{sub}", f"{row_label} {index + 1}", m))
            else:
                out.extend((name, field.label.text, m) for m in errs)
        for name, errs in self.group_errors.items():
            out.extend((f"section-{name}", "", m) for m in errs)
        return out

    @property
    def principle_fields(self):
        return [(pid, name, self[f"principle_{pid}"], self[f"principle_{pid}_how"])
                for pid, name in self._principles]

    @property
    def stakeholder_fields(self):
        return [(key, label, self[f"stakeholder_{key}"], self[f"stakeholder_{key}_how"])
                for key, label in STAKEHOLDER_GROUPS.items()]

    def seen_version(self) -> int | None:
        """The note's version the form was opened on, if it says (a tampered value counts as
        an old one)."""
        value = (self.lock_version.data or "").strip()
        if not value:
            return None
        return int(value) if digits(value) and len(value) < 10 else 0

    def to_data(self) -> dict[str, Any]:
        """The form as the services' data dict."""
        punos = []
        for row in self.punos:
            value = (row.organisation.data or "").strip()
            if digits(value):
                punos.append(PunoInput(int(value), row.direct.cents or 0, bool(row.lead.data)))
            elif value:
                raise ServiceError("Choose each participating organisation from the list.",
                                   fields={"punos": ["Choose an organisation from the list."]})
        return {
            "title": (self.title.data or "").strip(),
            "is_regional": bool(self.is_regional.data),
            "country_ids": self.country_ids.data or [],
            "thematic_area_id": int(self.thematic_area_id.data) if self.thematic_area_id.data
            else None,
            "objective_ids": self.objective_ids.data or [],
            "principles": {pid: self[f"principle_{pid}_how"].data or ""
                           for pid, _ in self._principles if self[f"principle_{pid}"].data},
            "punos": punos,
            "duration_months": self.duration_months.data,
            "gender_marker": _marker(self.gender_marker.data),
            "gender_justification": self.gender_justification.data or "",
            "human_rights_marker": _marker(self.human_rights_marker.data),
            "human_rights_justification": self.human_rights_justification.data or "",
            "child_marker": _marker(self.child_marker.data),
            "child_justification": self.child_justification.data or "",
            "summary": self.summary.data or "",
            "problem_statement": self.problem_statement.data or "",
            "theory_of_change": self.theory_of_change.data or "",
            "expected_results": self.expected_results.data or "",
            "national_partners": [{"name": p.form.name.data or "", "kind": p.form.kind.data}
                                  for p in self.national_partners],
            "stakeholders": [{"group": key, "description": self[f"stakeholder_{key}_how"].data}
                             for key in STAKEHOLDER_GROUPS if self[f"stakeholder_{key}"].data],
            "government_endorsed": bool(self.government_endorsed.data),
            "endorsement_date": self.endorsement_date.data,
        }


def _marker(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def note_form(note: ConceptNote | None = None, **kwargs: Any) -> ConceptNoteFormBase:
    """The concept-note form with the fund's reference data as its choices and fields, filled
    from ``note`` on a GET."""
    principles = list(db.session.execute(
        db.select(GuidingPrinciple.id, GuidingPrinciple.name).order_by(GuidingPrinciple.id)))

    class ConceptNoteForm(ConceptNoteFormBase):
        pass

    for pid, name in principles:
        setattr(ConceptNoteForm, f"principle_{pid}", BooleanField(name))
        setattr(ConceptNoteForm, f"principle_{pid}_how",
                TextAreaField(f"How the programme is {name.lower()}",
                              validators=[Optional(), Length(max=2000)]))
    for key, label in STAKEHOLDER_GROUPS.items():
        setattr(ConceptNoteForm, f"stakeholder_{key}", BooleanField(label))
        setattr(ConceptNoteForm, f"stakeholder_{key}_how",
                StringField(f"How {label.lower()} are engaged",
                            validators=[Optional(), Length(max=1000)]))
    ConceptNoteForm._principles = [(pid, name) for pid, name in principles]

    data = _note_data(note, principles) if note is not None else None
    form = ConceptNoteForm(data=data, **kwargs) if data is not None else ConceptNoteForm(**kwargs)
    form.group_errors = {}
    from mptf.models import ThematicArea

    form.thematic_area_id.choices = choices(
        ((a.id, str(a)) for a in db.session.scalars(db.select(ThematicArea).order_by(
            ThematicArea.id))), blank="Choose…")
    form.objective_ids.choices = choices(
        (o.id, f"{o.id}. {o.title} (area {o.thematic_area_id})")
        for o in db.session.scalars(db.select(GcmObjective).order_by(GcmObjective.id)))
    form.country_ids.choices = choices(
        (c.id, c.name) for c in db.session.scalars(db.select(Country).order_by(Country.name)))
    entities = choices(((o.id, f"{o.acronym} — {o.name}") for o in db.session.scalars(
        db.select(Organisation).where(Organisation.kind == "un_entity",
                                      Organisation.network_member)
        .order_by(Organisation.acronym))), blank="—")
    for row in form.punos:
        row.organisation.choices = entities
    return form


def _note_data(note: ConceptNote, principles) -> dict[str, Any]:
    lines = list(note.puno_lines)
    partners = list(note.national_partners or [])
    by_principle = {p.principle_id: p.how for p in note.principles}
    by_group = {s["group"]: s.get("description", "") for s in note.stakeholders or []}
    data: dict[str, Any] = {
        "title": note.title, "is_regional": note.is_regional,
        "country_ids": [c.id for c in note.countries],
        "thematic_area_id": str(note.thematic_area_id) if note.thematic_area_id else "",
        "objective_ids": [o.id for o in note.objectives],
        "punos": [{"organisation": str(line.organisation_id),
                   "direct": usd(line.direct_cents, symbol=False), "lead": line.is_lead}
                  for line in lines] + [{}] * (PUNO_ROWS - len(lines)),
        "duration_months": note.duration_months,
        "summary": note.summary, "problem_statement": note.problem_statement,
        "theory_of_change": note.theory_of_change, "expected_results": note.expected_results,
        "national_partners": partners + [{}] * (PARTNER_ROWS - len(partners)),
        "government_endorsed": note.government_endorsed,
        "endorsement_date": note.endorsement_date,
        "lock_version": note.lock_version,
    }
    for marker in ("gender", "human_rights", "child"):
        value = getattr(note, f"{marker}_marker")
        data[f"{marker}_marker"] = "" if value is None else str(value)
        data[f"{marker}_justification"] = getattr(note, f"{marker}_justification")
    for pid, _ in principles:
        data[f"principle_{pid}"] = pid in by_principle
        data[f"principle_{pid}_how"] = by_principle.get(pid, "")
    for key in STAKEHOLDER_GROUPS:
        data[f"stakeholder_{key}"] = key in by_group
        data[f"stakeholder_{key}_how"] = by_group.get(key, "")
    return data


class AttachmentForm(FlaskForm):
    file = FileField("Attachment (PDF, DOCX or XLSX, at most 10 MB)", validators=[FileRequired()])
    upload = SubmitField("Attach")


class WithdrawForm(FlaskForm):
    reason = TextAreaField("Why the note is withdrawn (optional)",
                           validators=[Optional(), Length(max=2000)])
    withdraw = SubmitField("Withdraw the note")
    confirm = SubmitField("Withdraw")


class ScreeningForm(FlaskForm):
    outcome = RadioField("Outcome", choices=choices([
        ("pipeline", "Eligible: enters the rolling pipeline"),
        ("returned", "Returned to the country team with reasons")]),
        validators=[DataRequired("Choose an outcome.")])
    reasons = TextAreaField("Reasons the country team will read",
                            validators=[Optional(), Length(max=LONG_TEXT)])
    screen = SubmitField("Record the screening")


def screening_form(**kwargs: Any) -> ScreeningForm:
    class Form_(ScreeningForm):
        pass

    for key, label in CHECKLIST.items():
        setattr(Form_, f"check_{key}", BooleanField(label))
    return Form_(**kwargs)


class FundConfigForm(FlaskForm):
    budget_floor = MoneyField("Budget floor per note, including indirect costs (USD)",
                              validators=[DataRequired(), Length(max=20)])
    budget_ceiling = MoneyField("Budget ceiling per note, including indirect costs (USD)",
                                validators=[DataRequired(), Length(max=20)])
    max_duration_months = IntegerField("Maximum duration (months)",
                                       validators=[DataRequired(), NumberRange(1, 120)])
    min_punos = IntegerField("Minimum participating UN organisations",
                             validators=[DataRequired(), NumberRange(1, 20)])
    pipeline_validity_months = IntegerField("Pipeline validity (months)",
                                            validators=[DataRequired(), NumberRange(1, 120)])
    save = SubmitField("Save configuration")

    def validate_budget_ceiling(self, field):
        if self.budget_floor.cents is not None and field.cents is not None \
                and field.cents < self.budget_floor.cents:
            raise ValidationError("The ceiling cannot be below the floor.")

    def to_settings(self) -> PipelineSettings:
        return PipelineSettings(
            budget_floor_cents=self.budget_floor.cents,
            budget_ceiling_cents=self.budget_ceiling.cents,
            max_duration_months=self.max_duration_months.data, min_punos=self.min_punos.data,
            pipeline_validity_months=self.pipeline_validity_months.data)


class ImportForm(FlaskForm):
    file = FileField("CSV file of concept notes", validators=[FileRequired()])
    upload = SubmitField("Import")
