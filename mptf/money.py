"""Money as people type it (country teams' budgets, the fund office's contributions, cycle
envelopes) and as exports write it: US dollars in, integer cents out, and the Administrative
Agent's fee. Pure functions, no Flask, no database: one reader for every form and import.

The rules (docs/fund.md):

- ``parse_usd`` reads an amount exactly, never through a float: ASCII digits, thousands
  separated by commas in groups of three or not at all, at most two decimals; more than zero
  and at most USD 10^12 (a larger figure is a typing error); zero only where the caller
  allows it.
- ``aa_fee`` is the fee at ``rate_bp`` basis points rounded half up to the cent:
  ``fee_cents = (amount_cents * rate_bp + 5000) // 10000`` (1 % of USD 0.50 is half a cent,
  which becomes one cent).
"""

from __future__ import annotations

import re

MAX_USD = 10**12
MAX_CENTS = MAX_USD * 100
BASIS_POINTS = 10_000

# ASCII digits only: ``\d`` and ``int`` also read other scripts' digits ('٣' was USD 3).
_AMOUNT = re.compile(r"(?P<whole>\d{1,3}(?:,\d{3})+|\d+)?(?:\.(?P<cents>\d+))?", re.ASCII)

EMPTY = "Enter the amount in US dollars."
NOT_A_NUMBER = "Write the amount as US dollars, e.g. 1,250,000.50."
TOO_MANY_DECIMALS = "Give at most two decimals: the fund counts in cents."
NEGATIVE = "The amount cannot be negative; to correct a contribution use its correction form."
ZERO = "The amount must be more than zero."
TOO_LARGE = f"The amount is more than USD {MAX_USD:,}; check the figure."


def parse_usd(text: str | None, allow_zero: bool = False) -> int:
    """'1,250,000.50' -> 125000050 cents, exactly. Raises ValueError with one of the sentences
    above. 'USD' or '$' before the figure is allowed; ``allow_zero`` accepts 0 (a budget line
    may be nil, a contribution may not)."""
    cleaned = (text or "").strip()
    for prefix in ("USD", "US$", "$"):
        if cleaned.upper().startswith(prefix):
            cleaned = cleaned[len(prefix):].strip()
            break
    if not cleaned:
        raise ValueError(EMPTY)
    if cleaned.startswith("-"):
        raise ValueError(NEGATIVE)
    match = _AMOUNT.fullmatch(cleaned)
    if match is None or not (match["whole"] or match["cents"]):
        raise ValueError(NOT_A_NUMBER)
    whole = (match["whole"] or "0").replace(",", "").lstrip("0") or "0"
    cents = match["cents"] or ""
    if len(cents) > 2:
        raise ValueError(TOO_MANY_DECIMALS)
    if len(whole) > len(str(MAX_USD)):
        raise ValueError(TOO_LARGE)
    amount = int(whole) * 100 + int(cents.ljust(2, "0"))
    if amount == 0 and not allow_zero:
        raise ValueError(ZERO)
    if amount > MAX_CENTS:
        raise ValueError(TOO_LARGE)
    return amount


def aa_fee(amount_cents: int, rate_bp: int) -> int:
    """The Administrative Agent's fee on a deposit, half up to the cent."""
    if amount_cents < 0 or not 0 <= rate_bp <= BASIS_POINTS:
        raise ValueError("the amount must be ≥ 0 and the rate within 0–10,000 basis points")
    return (amount_cents * rate_bp + BASIS_POINTS // 2) // BASIS_POINTS


def usd_plain(cents: int) -> str:
    """125000050 -> '1250000.50': exact, two decimals, no separator (CSV)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{part:02d}"


def rate_percent(rate_bp: int) -> str:
    """100 -> '1.00 %'."""
    whole, part = divmod(int(rate_bp), 100)
    return f"{whole}.{part:02d} %"
