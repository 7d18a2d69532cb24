"""The funding-cycle form: one field per element of scoring.AllocationPolicy, with a floor and
a cap per thematic area and a cap per region built from the reference data."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from mptf.extensions import db
from mptf.forms_util import DecimalField, IntegerField, choices, whole_number
from mptf.models import REGIONS, ReviewRound, ThematicArea
from mptf.money import parse_usd

PERCENT = [Optional(), NumberRange(0, 100, "A share from 0 to 100 %%.")]


class _PolicyFields(FlaskForm):
    envelope = StringField("Envelope (USD; empty for all available money)",
                           validators=[Optional(), Length(max=30)])
    min_score = DecimalField("Minimum score (0–100)", default=0, places=1,
                             validators=[Optional(), NumberRange(0, 100)])
    require_quorum = BooleanField("Only notes whose review met its quorum", default=True)
    max_per_country = IntegerField("At most this many notes per country (empty: no limit)",
                                   default=1, validators=[Optional(), NumberRange(1, 100)])
    champion_bonus = DecimalField("Points added to champion countries' scores (ordering only)",
                                  default=0, places=1, validators=[Optional(),
                                                                   NumberRange(0, 100)])
    min_gender_marker = IntegerField("Minimum gender equality marker (empty: none)",
                                     validators=[Optional(), NumberRange(0, 3)])
    method = RadioField("Method", default="greedy", choices=choices([
        ("greedy", "Greedy: the transparent rule (the fund's rule)"),
        ("optimal", "Optimal: the best-scored money (advisory)")]))

    def validate_envelope(self, field) -> None:
        try:
            parse_usd(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    @property
    def envelope_cents(self) -> int | None:
        """The envelope in cents, None when empty (all the money available)."""
        text = (self.envelope.data or "").strip()
        return parse_usd(text) if text else None

    def policy_dict(self) -> dict[str, Any]:
        def share(value) -> float | None:
            return None if value is None else float(value) / 100

        floors = {a: share(self[f"floor_{a}"].data) for a in self._areas}
        caps = {a: share(self[f"cap_{a}"].data) for a in self._areas}
        regions = {r: share(self[f"region_cap_{i}"].data) for i, r in enumerate(REGIONS)}
        return {
            "min_score": float(self.min_score.data or 0),
            "require_quorum": bool(self.require_quorum.data),
            "thematic_floor": {a: s for a, s in floors.items() if s},
            "thematic_cap": {a: s for a, s in caps.items() if s is not None},
            "region_cap": {r: s for r, s in regions.items() if s is not None},
            "max_per_country": self.max_per_country.data,
            "champion_bonus": float(self.champion_bonus.data or 0),
            "min_gender_marker": self.min_gender_marker.data,
        }


class CycleForm(_PolicyFields):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    decision_date = DateField("Decision date", validators=[Optional()])
    round_ids = SelectMultipleField("Review rounds whose scores count (empty: the latest "
                                    "closed round of each note)", coerce=whole_number,
                                    validators=[Optional()])
    save = SubmitField("Save")


class WhatIfForm(_PolicyFields):
    class Meta:
        csrf = False  # a GET that saves nothing


def _with_area_fields(base: type, areas: list[ThematicArea]) -> type:
    class Form(base):
        pass

    for a in areas:
        setattr(Form, f"floor_{a.id}", DecimalField(f"Floor for {a}", places=1,
                                                    validators=PERCENT))
        setattr(Form, f"cap_{a.id}", DecimalField(f"Cap for {a}", places=1, validators=PERCENT))
    for i, region in enumerate(REGIONS):
        setattr(Form, f"region_cap_{i}", DecimalField(f"Cap for {region}", places=1,
                                                      validators=PERCENT))
    Form._areas = [a.id for a in areas]
    return Form


def _policy_data(policy: dict[str, Any], envelope_cents: int | None) -> dict[str, Any]:
    from mptf.formatting import usd

    def pct(value) -> float | None:
        return None if value is None else round(float(value) * 100, 4)

    data = {"min_score": policy.get("min_score", 0),
            "require_quorum": policy.get("require_quorum", True),
            "max_per_country": policy.get("max_per_country", 1),
            "champion_bonus": policy.get("champion_bonus", 0),
            "min_gender_marker": policy.get("min_gender_marker"),
            "envelope": usd(envelope_cents, symbol=False) if envelope_cents is not None else ""}
    for area, share in (policy.get("thematic_floor") or {}).items():
        data[f"floor_{area}"] = pct(share)
    for area, share in (policy.get("thematic_cap") or {}).items():
        data[f"cap_{area}"] = pct(share)
    for i, region in enumerate(REGIONS):
        data[f"region_cap_{i}"] = pct((policy.get("region_cap") or {}).get(region))
    return data


def cycle_form(cycle=None, **kwargs: Any) -> CycleForm:
    areas = list(db.session.scalars(db.select(ThematicArea).order_by(ThematicArea.id)))
    form_class = _with_area_fields(CycleForm, areas)
    if cycle is not None and "formdata" not in kwargs:
        data = _policy_data(cycle.policy, cycle.envelope_cents) | {
            "name": cycle.name, "decision_date": cycle.decision_date,
            "round_ids": [r.id for r in cycle.rounds]}
        form = form_class(data=data, **kwargs)
    else:
        form = form_class(**kwargs)
    form.round_ids.choices = choices(
        (r.id, r.name) for r in db.session.scalars(
            db.select(ReviewRound).where(ReviewRound.status == "closed")
            .order_by(ReviewRound.id.desc())))
    form.areas, form.regions = areas, list(enumerate(REGIONS))
    return form


def what_if_form(cycle, args) -> WhatIfForm:
    areas = list(db.session.scalars(db.select(ThematicArea).order_by(ThematicArea.id)))
    form_class = _with_area_fields(WhatIfForm, areas)
    form = form_class(args) if args else form_class(
        data=_policy_data(cycle.policy, cycle.envelope_cents))
    form.areas, form.regions = areas, list(enumerate(REGIONS))
    return form


class ExclusionForm(FlaskForm):
    note_id = SelectField("Concept note", coerce=whole_number, validate_choice=True)
    reason = TextAreaField("Why the note is taken out of this cycle",
                           validators=[DataRequired("Say why."), Length(max=2000)])
    exclude = SubmitField("Exclude from the cycle")


def exclusion_form(candidates, **kwargs: Any) -> ExclusionForm:
    """The secretariat's form to take one of ``candidates`` (concept notes) out of a cycle."""
    form = ExclusionForm(**kwargs)
    form.note_id.choices = choices((n.id, f"{n.reference} {n.title}") for n in candidates)
    return form


class IncludeForm(FlaskForm):
    """Undoing an exclusion: CSRF only."""

    include = SubmitField("Count it again")


class RunForm(FlaskForm):
    """Running a cycle's allocation: CSRF only (the method is a plain field of the post)."""
