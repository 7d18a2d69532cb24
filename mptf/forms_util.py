"""Small helpers for WTForms (3.3 wants SelectChoice objects, not tuples) and number fields
that read only ASCII digits."""

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


def digits(text: str) -> bool:
    """Whether ``text`` is a whole number written in ASCII digits: ``str.isdecimal`` and
    ``int`` also take the digits of other scripts ('٣' is 3), which no number field, filter or
    id of the fund is typed in."""
    return text.isascii() and text.isdecimal()


def whole_number(value: object) -> int:
    """``coerce`` for choice fields whose values are ids: ASCII digits only (``int`` read
    '٣' as the choice 3)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and digits(value):
        return int(value)
    raise ValueError(f"{value!r} is not a whole number")


def _not_ascii(valuelist) -> bool:
    return bool(valuelist) and isinstance(valuelist[0], str) and not valuelist[0].isascii()


class IntegerField(wtforms.IntegerField):
    """A whole number typed in ASCII (``int`` reads other scripts' digits: '٣' was 3)."""

    def process_formdata(self, valuelist):
        if _not_ascii(valuelist):
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        super().process_formdata(valuelist)


class DecimalField(wtforms.DecimalField):
    """A decimal number that is a number, typed in ASCII: ``decimal.Decimal`` reads 'NaN',
    'sNaN' and 'Infinity', which no share, weight or score is (and NumberRange cannot compare
    a signalling NaN: it raises), and other scripts' digits ('٣' was 3)."""

    def process_formdata(self, valuelist):
        if _not_ascii(valuelist):
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))
        super().process_formdata(valuelist)
        if valuelist and isinstance(self.data, decimal.Decimal) and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))
