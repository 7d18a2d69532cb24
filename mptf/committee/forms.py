"""Forms of the committee pages. The configuration and rotation forms are built from data:
one field per constituency, one field per open seat."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from mptf.committee.services import (
    MAX_SEATS_PER_CONSTITUENCY,
    MAX_TERM_MONTHS,
    CommitteeSettings,
    Proposal,
    party_code,
)
from mptf.forms_util import IntegerField, choices, digits
from mptf.models import (
    CONSTITUENCIES,
    CONSTITUENCY_LABELS,
    VOTING_CONSTITUENCIES,
    ConceptNote,
    Membership,
    Seat,
    User,
)


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text and digits(text) else None


def user_choices(users: list[User], blank: str = "(none)"):
    return choices(((u.id, f"{u.name or u.email} <{u.email}> ({u.role_label})")
                    for u in users), blank=blank)


class MembershipForm(FlaskForm):
    seat = SelectField("Seat", validators=[InputRequired()])
    party = StringField("Party (acronym of a UN entity or stakeholder, or ISO alpha-3 code of "
                        "a state)", validators=[InputRequired(message="Name the party."),
                                                Length(max=40)],
                        render_kw={"list": "parties", "autocomplete": "off"})
    start_date = DateField("Term starts (first day)", validators=[InputRequired(
        message="A date as YYYY-MM-DD.")])
    end_date = DateField("Term ends (the day after the last day)", validators=[Optional()])
    representative = SelectField("Representative", validators=[Optional()])
    alternate = SelectField("Alternate", validators=[Optional()])
    add = SubmitField("Appoint")

    def __init__(self, seats: list[Seat], users: list[User], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seat.choices = choices(((s.id, s.label) for s in seats), blank="")
        self.representative.choices = user_choices(users)
        self.alternate.choices = user_choices(users)

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data <= self.start_date.data:
            raise ValidationError("The term must end after it starts.")

    def validate_alternate(self, field):
        if field.data and field.data == self.representative.data:
            raise ValidationError("The alternate is someone other than the representative.")

    @property
    def seat_id(self) -> int | None:
        return _int_or_none(self.seat.data)

    def people(self, users: dict[int, User]) -> list[tuple[User, bool]]:
        out = []
        for name, alternate in (("representative", False), ("alternate", True)):
            user_id = _int_or_none(self[name].data)
            if user_id in users:
                out.append((users[user_id], alternate))
        return out


class EndMembershipForm(FlaskForm):
    end_date = DateField("New end of term (the day after the last day)",
                         validators=[InputRequired(message="A date as YYYY-MM-DD.")])
    end = SubmitField("Change the end of term")


class RepresentativeForm(FlaskForm):
    user = SelectField("User", validators=[InputRequired(message="Choose a user.")])
    alternate = BooleanField("Alternate (acts when the representative cannot)")
    add = SubmitField("Add")

    def __init__(self, users: list[User], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user.choices = user_choices(users, blank="")


class RemoveRepresentativeForm(FlaskForm):
    remove = SubmitField("Remove")


def config_form(settings: CommitteeSettings):
    """The composition form: one seat count per constituency, the term, the quorum rule."""

    class CommitteeConfigForm(FlaskForm):
        term_months = IntegerField(
            "Term length (months)", default=settings.term_months,
            validators=[InputRequired(message="A whole number of months."),
                        NumberRange(1, MAX_TERM_MONTHS)])
        quorum_majority = BooleanField("A majority of the voting members must be present",
                                       default=settings.quorum_majority)
        quorum_constituencies = SelectMultipleField(
            "Constituencies that must each have a member present",
            choices=choices((c, CONSTITUENCY_LABELS[c]) for c in VOTING_CONSTITUENCIES),
            default=settings.quorum_constituencies, validators=[Optional()],
            render_kw={"size": len(VOTING_CONSTITUENCIES)})
        save = SubmitField("Save configuration")

        def to_settings(self) -> CommitteeSettings:
            return CommitteeSettings(
                {c: self[f"seats_{c}"].data for c in CONSTITUENCIES}, self.term_months.data,
                bool(self.quorum_majority.data), list(self.quorum_constituencies.data or []))

    for constituency in CONSTITUENCIES:
        setattr(CommitteeConfigForm, f"seats_{constituency}", IntegerField(
            f"Seats: {CONSTITUENCY_LABELS[constituency]}",
            default=settings.seats.get(constituency, 0),
            validators=[InputRequired(message="A whole number of seats."),
                        NumberRange(0, MAX_SEATS_PER_CONSTITUENCY)]))
    return CommitteeConfigForm()


class RotationOrderForm(FlaskForm):
    parties = TextAreaField("Parties in rotation order, one per line",
                            validators=[Length(max=5000)])
    save = SubmitField("Save the order")

    def codes(self) -> list[str]:
        return [line.strip() for line in (self.parties.data or "").splitlines()
                if line.strip()]


def rotation_form(proposal: Proposal):
    """The proposal as a form: one choice per open seat (the proposed party first selected),
    to swap a party for another eligible one or leave the seat vacant, then confirm."""

    class RotationForm(FlaskForm):
        on = HiddenField(default=proposal.on.isoformat())
        check = SubmitField("Check my changes")
        confirm = SubmitField("Confirm and write the new terms")

        seat_fields: list[tuple[str, object]] = []

        def to_choices(self) -> dict[int, int | None]:
            return {change.seat.id: _int_or_none(self[name].data)
                    for name, change in self.seat_fields}

    for change in proposal.changes:
        name = f"seat_{change.seat.id}"
        parties = proposal.eligible_for(change)
        setattr(RotationForm, name, SelectField(
            change.seat.label,
            choices=choices(((p.id, f"{party_code(p)} · {p.name}") for p in parties),
                            blank="(leave vacant)"),
            default=str(change.incoming.id) if change.incoming else "",
            validators=[Optional()]))
        RotationForm.seat_fields.append((name, change))
    return RotationForm()


class ConflictForm(FlaskForm):
    membership = SelectField("Member", validators=[InputRequired(message="Choose a member.")])
    note = SelectField("Concept note", validators=[InputRequired(message="Choose a note.")])
    reason = TextAreaField("Reason", validators=[
        InputRequired(message="Give the reason for the conflict of interest."),
        Length(max=2000)])
    declare = SubmitField("Declare the conflict")
    confirm = SubmitField("Declare the conflict")

    def __init__(self, memberships: list[Membership], notes: list[ConceptNote], *args,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.membership.choices = choices(((m.id, f"{m.organisation} ({m.seat.label})")
                                           for m in memberships), blank="")
        self.note.choices = choices(((n.id, f"{n.reference} · {n.title}") for n in notes),
                                    blank="")

    def validate_reason(self, field):
        if not (field.data or "").strip():
            raise ValidationError("Give the reason for the conflict of interest.")
