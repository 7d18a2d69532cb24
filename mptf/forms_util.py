"""Small helpers for WTForms (3.3 wants SelectChoice objects, not tuples)."""

from __future__ import annotations

import decimal
from collections.abc import Iterable

import wtforms
from wtforms.fields.choices import SelectChoice


def choices(pairs: Iterable[tuple[object, str]], blank: str | None = None) -> list[SelectChoice]:
    """``[(value, label), ...]`` as SelectChoice objects; ``blank`` adds an empty first choice."""
    out = [SelectChoice("", blank)] if blank is not None else []
    out.extend(SelectChoice(str(value), label) for value, label in pairs)
    return out


class NoNul:
    """A text with no NUL character (PostgreSQL can neither store nor compare it)."""

    def __call__(self, form, field):
        if "\x00" in (field.data or ""):
            raise wtforms.ValidationError("Must not contain NUL characters.")


class DecimalField(wtforms.DecimalField):
    """A decimal number that is a number: ``decimal.Decimal`` reads 'NaN', 'sNaN' and
    'Infinity', which no share, weight or score is, and NumberRange cannot compare a signalling
    NaN (it raises)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if valuelist and isinstance(self.data, decimal.Decimal) and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))
