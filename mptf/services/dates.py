"""Days as the fund counts them: today in UTC, whole months ahead, and a day as people type
it. Written once; every domain imports them from here."""

from __future__ import annotations

import calendar
from datetime import date

from mptf.models.base import utcnow
from mptf.services.errors import ServiceError


def today() -> date:
    """Today in UTC, as every page says dates are; inside ``replaying(moment)``, that day."""
    return utcnow().date()


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months; a day past the end of the target month becomes its last day
    (31 January + 1 month = 28 or 29 February)."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_day(text: str | None, what: str = "date", field: str = "on") -> date:
    """``YYYY-MM-DD`` as a date, or a ServiceError with a sentence (on ``field``)."""
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise ServiceError(f"'{text or ''}' is not a {what}; give it as YYYY-MM-DD, "
                           "e.g. 2027-01-01.", fields={field: ["A date as YYYY-MM-DD."]}) from None
