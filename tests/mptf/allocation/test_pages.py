"""The fund pages: who may see and record, the contribution form with its refusals, the
correction form, the balance page, its exports and its chart."""

import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import openpyxl
import pandas as pd
import pytest

from mptf import money
from mptf.extensions import db
from mptf.models import AuditEvent, Contribution, Organisation


class Tables(HTMLParser):
    """The text of every cell of every table with an id, row by row (head, body and foot)."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = None
        self._cell = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id"):
            self._table = self.tables.setdefault(dict(attrs)["id"], [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table(client, path, table_id) -> list[list[str]]:
    page = client.get(path)
    assert page.status_code == 200
    return Tables(page.get_data(as_text=True)).tables[table_id]


def valid_form(**changes) -> dict:
    data = {"reference": "DEP-2026-001", "donor": "", "new_donor_name": "",
            "new_donor_acronym": "", "deposited_on": "2026-03-02", "amount": "1,250,000.50",
            "earmark": ""}
    data.update(changes)
    return data


def state_id(iso3: str) -> str:
    return str(db.session.scalar(db.select(Organisation.id).where(
        Organisation.kind == "state", Organisation.acronym == iso3)))


# --- who may do what ---------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "see", "record"), [
    ("secretariat", 200, 403), ("chair", 200, 403), ("country_team", 403, 403),
    ("reviewer", 403, 403), ("admin", 403, 403)])
def test_roles(client, auth, people, role, see, record):
    auth.login(f"{role}@example.org")
    for path in ("/fund/", "/fund/contributions", "/fund/contributions.csv",
                 "/fund/balance.xlsx"):
        assert client.get(path).status_code == see, path
    assert client.get("/fund/contributions/new").status_code == record
    response = auth.post("/fund/contributions/new",
                         valid_form(donor=state_id("DEU")))
    assert response.status_code == 403
    assert db.session.scalars(db.select(Contribution)).all() == []


def test_anonymous_is_sent_to_sign_in(client, office):
    for path in ("/fund/", "/fund/contributions", "/fund/contributions/new", "/fund/chart.svg",
                 "/fund/balance.csv"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    assert client.post("/fund/contributions/new", data=valid_form()).status_code in (302, 400)
    assert db.session.scalars(db.select(Contribution)).all() == []


def test_navigation(client, auth, people):
    auth.login("chair@example.org")
    home = client.get("/home").get_data(as_text=True)
    assert 'href="/fund/"' in home and 'href="/fund/contributions"' in home
    auth.logout()
    auth.login("country_team@example.org")
    assert 'href="/fund/"' not in client.get("/home").get_data(as_text=True)


# --- recording -----------------------------------------------------------------------------------

def test_the_fund_office_records_a_contribution(client, auth, office):
    auth.login("office@example.org")
    form = client.get("/fund/contributions/new").get_data(as_text=True)
    assert "1.00 %" in form and "Germany" in form and "None (unearmarked)" in form
    response = auth.post("/fund/contributions/new",
                         valid_form(donor=state_id("DEU"), earmark="2"))
    assert response.status_code == 302
    made = db.session.scalar(db.select(Contribution))
    assert response.headers["Location"].endswith(f"/fund/contributions/{made.id}")
    assert (made.amount_cents, made.fee_cents, made.net_cents, made.earmark_area_id) == (
        125_000_050, 1_250_001, 123_750_049, 2)
    assert made.recorded_by_id == office.id
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "USD 1,250,000.50" in shown and "USD 12,500.01" in shown
    assert "USD 1,237,500.49" in shown
    assert "recorded: USD 1,250,000.50 less the Administrative Agent&#39;s fee of " \
           "USD 12,500.01 (1.00 %) gives USD 1,237,500.49 net." in shown
    assert db.session.scalar(db.select(AuditEvent.action).where(
        AuditEvent.entity_type == "contributions")) == "contribution_recorded"


def test_a_new_partner_from_the_form(client, auth, office):
    auth.login("office@example.org")
    response = auth.post("/fund/contributions/new", valid_form(
        new_donor_name="Horizon Migration Foundation", new_donor_acronym="HMF",
        amount="750,000"))
    assert response.status_code == 302
    made = db.session.scalar(db.select(Contribution))
    assert (made.donor.kind, made.donor.acronym, made.net_cents) == ("other", "HMF", 74_250_000)
    assert "Horizon Migration Foundation (HMF) · other partner" in client.get(
        "/fund/contributions/new").get_data(as_text=True)


@pytest.mark.parametrize(("changes", "field_message"), [
    ({"amount": ""}, money.EMPTY),
    ({"amount": "abc"}, money.NOT_A_NUMBER),
    ({"amount": "1,250,000.505"}, money.TOO_MANY_DECIMALS),
    ({"amount": "-100"}, money.NEGATIVE),
    ({"amount": "0.00"}, money.ZERO),
    ({"amount": "2,000,000,000,000"}, money.TOO_LARGE),
    ({"donor": ""}, "Choose the donor, or name a new partner below."),
    ({"new_donor_name": "Someone"}, "Choose a listed donor or name a new partner, not both."),
    ({"deposited_on": ""}, "Give the day of deposit as YYYY-MM-DD."),
    ({"deposited_on": "2999-01-01"}, "A deposit cannot be dated after today"),
    ({"reference": ""}, "Give the deposit&#39;s reference."),
    ({"earmark": "9"}, "Not a valid choice."),
])
def test_form_refusals_are_field_messages(client, auth, office, changes, field_message):
    auth.login("office@example.org")
    data = valid_form(donor=state_id("DEU"))
    data.update(changes)
    response = auth.post("/fund/contributions/new", data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'<p class="error">{field_message}' in html
    assert "errors-summary" in html
    assert db.session.scalars(db.select(Contribution)).all() == []


def test_a_duplicate_reference_is_refused_and_nothing_is_saved(client, auth, office):
    auth.login("office@example.org")
    assert auth.post("/fund/contributions/new",
                     valid_form(donor=state_id("DEU"))).status_code == 302
    events = db.session.scalar(db.select(db.func.count(AuditEvent.id)))
    response = auth.post("/fund/contributions/new", valid_form(
        reference=" dep-2026-001 ", new_donor_name="Horizon Migration Foundation",
        amount="10"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Reference DEP-2026-001 is already recorded (Germany, USD 1,250,000.50 deposited " \
           "on 2026-03-02); a deposit is recorded once." in html
    assert len(db.session.scalars(db.select(Contribution)).all()) == 1
    # The partner named in the refused form was not kept either.
    assert db.session.scalar(db.select(Organisation).where(
        Organisation.name == "Horizon Migration Foundation")) is None
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) == events


# --- correcting --------------------------------------------------------------------------------

def test_the_fund_office_corrects_a_contribution(client, auth, people, hand_worked):
    deposit = db.session.scalar(db.select(Contribution).where(Contribution.reference == "DEP-B"))
    path = f"/fund/contributions/{deposit.id}/correct"
    auth.login("office@example.org")
    form = client.get(path).get_data(as_text=True)
    assert 'value="333.33"' in form and 'value="DEP-B"' in form
    data = {"reference": "DEP-B", "donor": str(deposit.donor_id), "deposited_on": "2025-03-01",
            "amount": "3,333.33", "earmark": "", "reason": ""}
    refused = auth.post(path, data)
    assert refused.status_code == 400
    assert "Say why the contribution is corrected." in refused.get_data(as_text=True)
    data["reason"] = "A digit was missing."
    response = auth.post(path, data)
    assert response.status_code == 302
    db.session.expire_all()
    deposit = db.session.get(Contribution, deposit.id)
    assert (deposit.amount_cents, deposit.fee_cents, deposit.net_cents) == (333_333, 3_333,
                                                                            330_000)
    shown = client.get(f"/fund/contributions/{deposit.id}").get_data(as_text=True)
    shown = " ".join(shown.split())
    assert "A digit was missing." in shown and "amount: USD 333.33 → USD 3,333.33" in shown
    listing = client.get("/fund/contributions").get_data(as_text=True)
    assert "corrected" in listing
    auth.logout()
    auth.login("secretariat@example.org")
    assert client.get(path).status_code == 403
    assert "Correct</a>" not in client.get(f"/fund/contributions/{deposit.id}").get_data(
        as_text=True)


def test_an_overdrawing_correction_is_refused_on_the_page(client, auth, hand_worked):
    deposit = db.session.scalar(db.select(Contribution).where(Contribution.reference == "DEP-E"))
    auth.login("office@example.org")
    response = auth.post(f"/fund/contributions/{deposit.id}/correct", {
        "reference": "DEP-E", "donor": str(deposit.donor_id), "deposited_on": "2025-06-30",
        "amount": "500,000.00", "earmark": "", "reason": "Not earmarked."})
    assert response.status_code == 409
    assert "USD 742,500.49 already allocated from it" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contribution, deposit.id).earmark_area_id == 2


def test_unknown_contribution_is_404(client, auth, office):
    auth.login("office@example.org")
    for path in ("/fund/contributions/999", "/fund/contributions/999/correct"):
        page = client.get(path)
        assert page.status_code == 404
        assert "There is no such contribution." in page.get_data(as_text=True)


# --- the balance, its exports and its chart ------------------------------------------------------

BALANCE_ROWS = [
    ["Unearmarked", "1,000,333.33", "10,003.33", "990,330.00", "357,499.51", "632,830.49"],
    ["Earmarked: 1. Data & discourse", "0.00", "0.00", "0.00", "0.00", "0.00"],
    ["Earmarked: 2. Protection", "750,000.50", "7,500.01", "742,500.49", "742,500.49", "0.00"],
    ["Earmarked: 3. Irregular migration & borders", "0.00", "0.00", "0.00", "0.00", "0.00"],
    ["Earmarked: 4. Regular pathways & decent work", "0.00", "0.00", "0.00", "0.00", "0.00"],
    ["Earmarked: 5. Inclusion & cohesion", "0.50", "0.01", "0.49", "0.00", "0.49"],
    ["Total", "1,750,334.33", "17,503.35", "1,732,830.98", "1,100,000.00", "632,830.98"],
]
CYCLE_ROWS = [
    ["Cycle 2025-A", "2025-07-15", "2", "900,000.00", "600,000.00", "300,000.00"],
    ["Cycle 2025-B", "2025-10-01", "1", "200,000.00", "142,500.49", "57,499.51"],
    ["Total", "", "3", "1,100,000.00", "742,500.49", "357,499.51"],
]


def test_the_balance_page(client, auth, people, hand_worked):
    auth.login("chair@example.org")
    page = client.get("/fund/")
    html = page.get_data(as_text=True)
    tables = Tables(html).tables
    assert tables["balance-table"][1:] == BALANCE_ROWS
    assert tables["cycle-table"][1:] == CYCLE_ROWS
    for label, amount in (("gross", "1,750,334.33"), ("fee", "17,503.35"),
                          ("net", "1,732,830.98"), ("allocated", "1,100,000.00"),
                          ("unearmarked", "632,830.49"), ("earmarked", "0.49")):
        assert re.search(rf'id="{label}">(<strong>)?USD {re.escape(amount)}<', html), label
    assert "USD 632,830.98" in html
    assert "<svg" in html and "<script" not in html


def test_the_balance_on_a_day(client, auth, hand_worked):
    auth.login("office@example.org")
    rows = table(client, "/fund/?on=2025-08-31", "balance-table")
    assert rows[1] == ["Unearmarked", "1,000,333.33", "10,003.33", "990,330.00", "300,000.00",
                       "690,330.00"]
    assert rows[-1][-1] == "832,830.98"
    assert table(client, "/fund/?on=2025-08-31", "cycle-table")[1:] == [
        ["Cycle 2025-A", "2025-07-15", "2", "900,000.00", "600,000.00", "300,000.00"],
        ["Total", "", "2", "900,000.00", "600,000.00", "300,000.00"]]
    bad = client.get("/fund/?on=2025-13-40")
    assert bad.status_code == 400
    assert "Not a valid date value" in bad.get_data(as_text=True)
    assert client.get("/fund/balance.csv?on=yesterday").status_code == 400


def _csv(client, path) -> pd.DataFrame:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return pd.read_csv(io.StringIO(response.get_data(as_text=True)), dtype=str,
                       keep_default_na=False)


def _xlsx(client, path) -> openpyxl.Workbook:
    response = client.get(path)
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.data))


def _plain(text: str) -> str:
    return text.replace(",", "")


def _sheet_rows(sheet) -> list[list[str]]:
    """Cells as the page writes them: money (two-decimal format) as exact text, days (date
    cells) as ISO days, the fee rate (a number with two decimals) as the page's '1.00'."""
    rows = []
    for row in sheet.iter_rows(min_row=2):
        cells = []
        for cell in row:
            if cell.number_format == "#,##0.00":
                cells.append(f"{Decimal(str(cell.value)):,.2f}")
            elif cell.is_date:
                assert cell.number_format == "yyyy-mm-dd"
                cells.append(cell.value.date().isoformat())
            elif cell.number_format == "0.00":
                assert isinstance(cell.value, int | float)
                cells.append(f"{cell.value:.2f}")
            else:
                cells.append("" if cell.value is None else str(cell.value))
        rows.append(cells)
    return rows


def test_balance_exports_equal_the_page(client, auth, people, hand_worked):
    auth.login("secretariat@example.org")
    page = table(client, "/fund/", "balance-table")
    frame = _csv(client, "/fund/balance.csv")
    assert list(frame.columns) == page[0]
    assert frame.values.tolist() == [[row[0], *map(_plain, row[1:])] for row in page[1:]]
    cycles = _csv(client, "/fund/cycles.csv")
    assert cycles.values.tolist() == [[r[0], r[1], r[2], *map(_plain, r[3:])]
                                      for r in CYCLE_ROWS]
    book = _xlsx(client, "/fund/balance.xlsx")
    assert book.sheetnames == ["Balance", "Allocated by cycle"]
    assert [c.value for c in book["Balance"][1]] == page[0]
    assert _sheet_rows(book["Balance"]) == BALANCE_ROWS
    assert _sheet_rows(book["Allocated by cycle"]) == CYCLE_ROWS
    # pandas reads the same numbers back.
    read = pd.read_excel(io.BytesIO(client.get("/fund/balance.xlsx").data), sheet_name="Balance")
    assert [round(Decimal(str(v)) * 100) for v in read["Available (USD)"]] == [
        63_283_049, 0, 0, 0, 0, 49, 63_283_098]
    on_day = _csv(client, "/fund/balance.csv?on=2025-08-31")
    assert on_day.values.tolist()[-1][-1] == "832830.98"


def test_contribution_exports_equal_the_page(client, auth, hand_worked):
    auth.login("office@example.org")
    page = table(client, "/fund/contributions", "contributions-table")
    header, rows, total = page[0], page[1:-1], page[-1]
    assert header == ["Reference", "Deposited on", "Donor", "Donor kind", "Earmark",
                      "Amount (USD)", "Fee rate (%)", "AA fee (USD)", "Net (USD)"]
    assert rows[2] == ["DEP-C", "2025-04-10", "Switzerland", "State", "2. Protection",
                       "250,000.50", "1.00", "2,500.01", "247,500.49"]
    assert rows[3][2:4] == ["Horizon Migration Foundation", "Other partner"]
    assert total == ["Total (5 contributions)", "1,750,334.33", "", "17,503.35",
                     "1,732,830.98"]
    frame = _csv(client, "/fund/contributions.csv")
    assert list(frame.columns) == header
    money_columns = {5, 7, 8}
    assert frame.values.tolist() == [
        [_plain(v) if i in money_columns else v for i, v in enumerate(row)] for row in rows]
    book = _xlsx(client, "/fund/contributions.xlsx")
    assert [c.value for c in book["Contributions"][1]] == header
    assert _sheet_rows(book["Contributions"]) == rows
    assert sum(Decimal(v) for v in frame["Net (USD)"]) == Decimal("1732830.98")


def test_the_chart_is_stable_inline_safe_svg(client, auth, hand_worked):
    auth.login("office@example.org")
    first = client.get("/fund/chart.svg?on=2026-01-01")
    assert first.status_code == 200 and first.mimetype == "image/svg+xml"
    svg = first.get_data(as_text=True)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "style=" not in svg and "<style" not in svg and "<script" not in svg
    assert "Net deposits (after the fee)" in svg and "Allocated by approved cycles" in svg
    assert "USD 1,732,830.98 net and allocated USD 1,100,000.00" in svg
    assert client.get("/fund/chart.svg?on=2026-01-01").get_data(as_text=True) == svg
    page = client.get("/fund/?on=2026-01-01").get_data(as_text=True)
    assert svg in page


def test_an_empty_fund(client, auth, office):
    auth.login("office@example.org")
    html = client.get("/fund/").get_data(as_text=True)
    assert "No contributions recorded yet." in html
    assert "No funding cycle has allocated money yet." in html
    assert Tables(html).tables["balance-table"][-1] == ["Total", "0.00", "0.00", "0.00", "0.00",
                                                        "0.00"]
    assert client.get("/fund/chart.svg").status_code == 404
    assert "No contributions recorded yet." in client.get("/fund/contributions").get_data(
        as_text=True)
    assert _csv(client, "/fund/contributions.csv").empty



def test_a_saved_envelope_keeps_its_thousands_separators(client, auth, people):
    from datetime import date

    from mptf.allocation import cycles

    cycle = cycles.create_cycle(people["secretariat"], cycles.CycleInput(
        name="Cycle 2026-3", decision_date=date(2026, 12, 1), envelope_cents=125_000_050,
        policy={}, round_ids=[]))
    db.session.commit()
    auth.login("secretariat@example.org")
    html = client.get(f"/fund/cycles/{cycle.id}/edit").get_data(as_text=True)
    tag = re.search(r'<input[^>]*name="envelope"[^>]*>', html).group(0)
    assert 'value="1,250,000.50"' in tag
    assert money.parse_usd("1,250,000.50") == cycle.envelope_cents
