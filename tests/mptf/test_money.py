"""Money as people type it (budgets, contributions, envelopes) and the Administrative
Agent's fee, on hand-worked amounts."""

import pytest

from mptf import money
from mptf.money import aa_fee, parse_usd, rate_percent, usd_plain


@pytest.mark.parametrize(("text", "cents"), [
    ("1,250,000.50", 125_000_050),
    ("1250000.5", 125_000_050),
    ("1250000", 125_000_000),
    ("  USD 2,000  ", 200_000),
    ("$0.01", 1),
    ("0.5", 50),
    (".75", 75),
    ("007.10", 710),
    ("999", 99_900),
    ("1,000,000,000,000", 100_000_000_000_000),  # USD 10^12, the largest accepted
    ("1000000000000.00", 100_000_000_000_000),
])
def test_amounts_are_read_exactly(text, cents):
    assert parse_usd(text) == cents


@pytest.mark.parametrize(("text", "message"), [
    ("", money.EMPTY),
    ("   ", money.EMPTY),
    (None, money.EMPTY),
    ("USD", money.EMPTY),
    ("12.345", money.TOO_MANY_DECIMALS),
    ("0.001", money.TOO_MANY_DECIMALS),
    ("-5", money.NEGATIVE),
    ("-0.01", money.NEGATIVE),
    ("0", money.ZERO),
    ("0.00", money.ZERO),
    ("0,000.0", money.ZERO),
    ("abc", money.NOT_A_NUMBER),
    ("1e6", money.NOT_A_NUMBER),
    ("12,34", money.NOT_A_NUMBER),      # a comma is a thousands separator, in threes
    ("1,2345", money.NOT_A_NUMBER),
    ("1.000,50", money.NOT_A_NUMBER),   # European notation is refused, not misread
    ("5.", money.NOT_A_NUMBER),
    ("NaN", money.NOT_A_NUMBER),
    ("Infinity", money.NOT_A_NUMBER),
    ("1 000", money.NOT_A_NUMBER),
    ("+5", money.NOT_A_NUMBER),
    ("1,000,000,000,000.01", money.TOO_LARGE),
    ("10000000000000", money.TOO_LARGE),
    ("9" * 5000, money.TOO_LARGE),      # never handed to int() at that length
    ("٣", money.NOT_A_NUMBER),          # Arabic-Indic three: \d and int() read it as 3
    ("1,٢٥٠.00", money.NOT_A_NUMBER),
    ("１２", money.NOT_A_NUMBER),         # fullwidth digits
])
def test_refusals_say_why(text, message):
    with pytest.raises(ValueError) as refused:
        parse_usd(text)
    assert str(refused.value) == message


def test_messages_are_sentences():
    assert money.TOO_MANY_DECIMALS == "Give at most two decimals: the fund counts in cents."
    assert money.TOO_LARGE == ("The amount is more than USD 1,000,000,000,000; check the "
                               "figure.")


@pytest.mark.parametrize(("cents", "fee"), [
    (100_000_000, 1_000_000),   # USD 1,000,000.00 -> 10,000.00
    (33_333, 333),              # 333.33 -> 3.3333 -> 3.33
    (50, 1),                    # 0.50 -> half a cent -> 1 cent (half up)
    (49, 0),                    # 0.49 -> 0.49 cent -> 0
    (150, 2),                   # 1.50 -> 1.5 cents -> 2 (half up, not to even)
    (250, 3),                   # 2.50 -> 2.5 cents -> 3 (half up, not to even)
    (25_000_050, 250_001),      # 250,000.50 -> 2,500.005 -> 2,500.01
    (125_000_050, 1_250_001),   # 1,250,000.50 -> 12,500.005 -> 12,500.01
    (100_000_000_000_000, 1_000_000_000_000),  # USD 10^12 -> 10^10
])
def test_fee_is_one_percent_half_up_to_the_cent(cents, fee):
    assert aa_fee(cents, 100) == fee
    assert fee == (cents * 100 + 5000) // 10000   # the rule written in docs/fund.md


def test_fee_at_other_rates():
    assert aa_fee(100_000, 0) == 0
    assert aa_fee(100_000, 10_000) == 100_000
    assert aa_fee(33_333, 250) == 833          # 2.5 % of 333.33 = 8.333 -> 8.33
    assert aa_fee(2, 2_500) == 1               # 25 % of 2 cents = 0.5 cent -> 1 cent
    with pytest.raises(ValueError):
        aa_fee(100, 10_001)
    with pytest.raises(ValueError):
        aa_fee(-1, 100)


def test_plain_usd_and_rates():
    assert usd_plain(125_000_050) == "1250000.50"
    assert usd_plain(1) == "0.01"
    assert usd_plain(0) == "0.00"
    assert usd_plain(-5) == "-0.05"
    assert rate_percent(100) == "1.00 %"
    assert rate_percent(725) == "7.25 %"


def test_a_nil_budget_line_is_read_where_the_caller_allows_it():
    """Country teams' budget lines use the same reader: zero is allowed there, and '12,34'
    (once read as USD 1,234 by the pipeline's own parser) is refused, not misread."""
    assert parse_usd("0", allow_zero=True) == 0
    assert parse_usd("USD 0.00", allow_zero=True) == 0
    assert parse_usd("600,000", allow_zero=True) == 60_000_000
    for text, message in (("12,34", money.NOT_A_NUMBER), ("-1", money.NEGATIVE),
                          ("1.5.0", money.NOT_A_NUMBER), ("", money.EMPTY)):
        with pytest.raises(ValueError) as refused:
            parse_usd(text, allow_zero=True)
        assert str(refused.value) == message
