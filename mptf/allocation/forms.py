"""Forms of the fund pages: recording a contribution, correcting one, the day of the balance."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from mptf.allocation.services import DONOR_KIND_LABELS, REFERENCE_MAX, ContributionInput
from mptf.forms_util import choices, digits
from mptf.models import Organisation, ThematicArea
from mptf.money import parse_usd

NEW_PARTNER_HINT = "(not listed: name a new partner below)"


def donor_label(donor: Organisation) -> str:
    """'Germany', or 'Horizon Foundation (HF) · other partner'."""
    if donor.kind == "state":
        return donor.name
    named = donor.name if donor.acronym == donor.name else f"{donor.name} ({donor.acronym})"
    return f"{named} · {DONOR_KIND_LABELS[donor.kind].lower()}"


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text and digits(text) else None


class _ContributionFields(FlaskForm):
    reference = StringField("Reference", validators=[
        InputRequired(message="Give the deposit's reference."), Length(max=REFERENCE_MAX)])
    donor = SelectField("Donor")
    deposited_on = DateField("Deposited on", validators=[
        InputRequired(message="Give the day of deposit as YYYY-MM-DD.")])
    amount = StringField("Amount (USD)", validators=[
        InputRequired(message="Enter the amount in US dollars.")],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    earmark = SelectField("Earmark", validators=[Optional()])

    amount_cents: int | None = None

    def __init__(self, donors: list[Organisation], areas: list[ThematicArea], *args,
                 blank_donor: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.donor.choices = choices(((d.id, donor_label(d)) for d in donors),
                                     blank=blank_donor)
        self.earmark.choices = choices(((a.id, str(a)) for a in areas),
                                       blank="None (unearmarked)")

    def validate_amount(self, field) -> None:
        try:
            self.amount_cents = parse_usd(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def to_input(self, donor_id: int | None = None) -> ContributionInput:
        return ContributionInput(
            reference=self.reference.data or "",
            donor_id=donor_id if donor_id is not None else _int_or_none(self.donor.data),
            deposited_on=self.deposited_on.data, amount_cents=self.amount_cents,
            earmark_area_id=_int_or_none(self.earmark.data))


class ContributionForm(_ContributionFields):
    new_donor_name = StringField("New partner's name", validators=[Optional(), Length(max=200)])
    new_donor_acronym = StringField("New partner's short name or acronym",
                                    validators=[Optional(), Length(max=40)])
    save = SubmitField("Record the contribution")

    def __init__(self, donors, areas, *args, **kwargs):
        super().__init__(donors, areas, *args, blank_donor=NEW_PARTNER_HINT, **kwargs)

    def validate_donor(self, field) -> None:
        named = (self.new_donor_name.data or "").strip()
        if field.data and named:
            raise ValidationError("Choose a listed donor or name a new partner, not both.")
        if not field.data and not named:
            raise ValidationError("Choose the donor, or name a new partner below.")

    @property
    def wants_new_partner(self) -> bool:
        return not self.donor.data and bool((self.new_donor_name.data or "").strip())


class CorrectionForm(_ContributionFields):
    reason = TextAreaField("Why is it corrected?", validators=[
        InputRequired(message="Say why the contribution is corrected."), Length(max=500)])
    save = SubmitField("Record the correction")

    def __init__(self, donors, areas, *args, **kwargs):
        super().__init__(donors, areas, *args, blank_donor="", **kwargs)

    def validate_donor(self, field) -> None:
        if not field.data:
            raise ValidationError("Choose the donor.")


class BalanceDayForm(FlaskForm):
    """The day the balance is shown for (GET, no CSRF token: it changes nothing)."""

    class Meta:
        csrf = False

    on = DateField("Balance on", validators=[Optional()])
