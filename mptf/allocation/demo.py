"""Demo contributions: a dozen deposits from eight states and a foundation over the last two
years, two of them earmarked, recorded by the demo's fund office through the services."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta

from sqlalchemy import select

from mptf.allocation import services
from mptf.extensions import db
from mptf.formatting import usd
from mptf.models import Organisation, User
from mptf.models.base import replaying
from mptf.services.errors import ServiceError

FUND_OFFICE_EMAIL = "fundoffice@demo.mptf.example"
PARTNER = ("Horizon Migration Foundation", "HMF")

# (days before today, donor: ISO code of a state or the partner's acronym, USD, earmark)
DEPOSITS = [
    (700, "DEU", 5_000_000, None),
    (650, "NLD", 2_500_000, None),
    (610, "GBR", 3_000_000, None),
    (540, "CHE", 1_200_000, 2),
    (480, "NOR", 2_000_000, None),
    (420, "PRT", 500_000, None),
    (360, "HMF", 750_000, 5),
    (300, "MEX", 600_000, None),
    (240, "PHL", 550_000, None),
    (180, "DEU", 4_000_000, None),
    (120, "NLD", 1_500_000, None),
    (45, "NOR", 1_800_000, None),
]


def build() -> Iterator[str]:
    office = db.session.scalar(select(User).where(User.email == FUND_OFFICE_EMAIL))
    if office is None:
        raise ServiceError(f"The demo's fund office account {FUND_OFFICE_EMAIL} is missing; "
                           "run 'mptf demo --reset'.")
    partner = services.add_partner(office, *PARTNER)
    states = {o.acronym: o for o in db.session.scalars(select(Organisation).where(
        Organisation.kind == "state",
        Organisation.acronym.in_([d for _, d, _, _ in DEPOSITS])))}
    donors = {**states, partner.acronym: partner}
    today = services.today()
    for number, (days_ago, donor, dollars, earmark) in enumerate(DEPOSITS, start=1):
        day = today - timedelta(days=days_ago)
        with replaying(datetime.combine(day, time(15))):
            services.record_contribution(office, services.ContributionInput(
                reference=f"MPTF-DEP-{day:%Y}-{number:03d}", donor_id=donors[donor].id,
                deposited_on=day, amount_cents=dollars * 100, earmark_area_id=earmark))
    fund = services.balance()
    yield (f"Contributions: {len(DEPOSITS)} deposits from {len(donors)} donors, "
           f"{usd(fund.gross)} gross, {usd(fund.net)} net of the fee "
           f"({sum(1 for d in DEPOSITS if d[3])} earmarked).")
