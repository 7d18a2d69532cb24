"""``mptf allocation balance`` and the demo's contributions."""

import pytest

from mptf.allocation import demo, services
from mptf.cli import main
from mptf.extensions import db
from mptf.models import AuditEvent, Contribution, FundConfig
from mptf.services.errors import ServiceError
from tests import factories


def invoke(runner, *args):
    return runner.invoke(main, ["allocation", *args], catch_exceptions=False)


def test_balance_command(runner, hand_worked):
    result = invoke(runner, "balance")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Fund balance now (USD)"
    assert lines[2].split() == ["Money", "Gross", "deposits", "(USD)", "AA", "fee", "(USD)",
                                "Net", "deposits", "(USD)", "Allocated", "(USD)", "Available",
                                "(USD)"]
    assert lines[4].split() == ["Unearmarked", "1,000,333.33", "10,003.33", "990,330.00",
                                "357,499.51", "632,830.49"]
    assert any(line.split() == ["Total", "1,750,334.33", "17,503.35", "1,732,830.98",
                                "1,100,000.00", "632,830.98"] for line in lines)
    assert any(line.split() == ["Cycle", "2025-B", "2025-10-01", "1", "200,000.00",
                                "142,500.49", "57,499.51"] for line in lines)
    assert lines[-1] == "Available: USD 632,830.98 (USD 632,830.49 unearmarked)."


def test_balance_command_on_a_day_and_as_csv(runner, hand_worked):
    result = invoke(runner, "balance", "--on", "2025-08-31", "--csv")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == \
        "Total,1750334.33,17503.35,1732830.98,900000.00,832830.98"


@pytest.mark.parametrize("day", ["2025-13-01", "tomorrow", "31/12/2025"])
def test_a_bad_day_exits_2_with_a_sentence(runner, office, day):
    result = invoke(runner, "balance", "--on", day)
    assert result.exit_code == 2
    assert f"Error: '{day}' is not a day; write it as YYYY-MM-DD, e.g. 2026-06-30." in \
        result.output


def test_the_balance_command_without_configuration(runner, app):
    result = invoke(runner, "balance")
    assert result.exit_code == 0
    assert "Available: USD 0.00" in result.output


def test_demo_contributions(seeded):
    factories.user("fund_office", email=demo.FUND_OFFICE_EMAIL)
    lines = list(demo.build())
    assert len(lines) == 1
    made = db.session.scalars(db.select(Contribution)).all()
    assert len(made) == len(demo.DEPOSITS) == 12
    assert {c.donor.acronym for c in made} == {"DEU", "NLD", "GBR", "CHE", "NOR", "PRT", "MEX",
                                               "PHL", "HMF"}
    assert sorted(c.earmark_area_id for c in made if c.earmark_area_id) == [2, 5]
    days = sorted(c.deposited_on for c in made)
    assert (days[-1] - days[0]).days > 600 and days[-1] <= services.today()
    assert all(500_000_00 <= c.amount_cents <= 5_000_000_00 for c in made)
    fund = services.balance()
    assert fund.gross == 23_400_000_00
    assert fund.fee == 234_000_00 and fund.net == 23_166_000_00
    # Earmarked: CHE 1,200,000 to area 2 and HMF 750,000 to area 5, less 1 %.
    assert services.available_funds() == (21_235_500_00, {1: 0, 2: 1_188_000_00, 3: 0, 4: 0,
                                                          5: 742_500_00})
    assert lines[0] == ("Contributions: 12 deposits from 9 donors, USD 23,400,000.00 gross, "
                        "USD 23,166,000.00 net of the fee (2 earmarked).")
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
        AuditEvent.action == "contribution_recorded")) == 12
    assert db.session.get(FundConfig, 1).aa_fee_rate_bp == 100


def test_demo_needs_its_fund_office(seeded):
    with pytest.raises(ServiceError, match="fundoffice@demo.mptf.example is missing"):
        list(demo.build())
