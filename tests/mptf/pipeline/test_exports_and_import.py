"""CSV and XLSX exports equal the page's numbers; the importer keeps good rows and rejects bad
ones with reasons."""

import io
import re

import pandas as pd

from mptf.cli import main
from mptf.extensions import db
from mptf.models import ConceptNote
from tests import factories


def page_amounts(html: str) -> dict[str, int]:
    """Reference -> requested cents, as the listing page shows them."""
    rows = re.findall(r'>(MIG-\d{4}-\d{4})</a></td>.*?<td class="num">([\d,]+\.\d\d)</td>',
                      html, flags=re.S)
    return {ref: int(amount.replace(",", "").replace(".", "")) for ref, amount in rows}


def test_csv_and_xlsx_round_trip_equal_the_page(client, auth, kenya, bangladesh, secretariat):
    factories.note(kenya, "pipeline", punos=[("IOM", 123_456_789), ("ILO", 50_000_001)])
    factories.note(bangladesh, "submitted", punos=[("IOM", 100_000_000), ("UNDP", 33_333_333)])
    db.session.commit()
    auth.login("sec@example.org")
    shown = page_amounts(client.get("/pipeline/").get_data(as_text=True))
    assert len(shown) == 2
    csv = pd.read_csv(io.BytesIO(client.get("/pipeline/export.csv").data), dtype=str)
    from_csv = {r: int(a.replace(".", "")) for r, a in zip(csv["Reference"],
                                                          csv["Requested (USD)"], strict=True)}
    assert from_csv == shown
    assert all(re.fullmatch(r"\d+\.\d\d", a) for a in csv["Requested (USD)"])
    xlsx = pd.read_excel(io.BytesIO(client.get("/pipeline/export.xlsx").data))
    from_xlsx = {r: round(a * 100) for r, a in zip(xlsx["Reference"], xlsx["Requested (USD)"],
                                                   strict=True)}
    assert from_xlsx == shown
    assert list(csv.columns) == list(xlsx.columns)
    # 1,234,567.89 + 500,000.01 direct = 1,734,567.90; 7 % indirect per line:
    # 86,419.75 (86,419.7452 rounds down) + 35,000.00 (35,000.0007) = 121,419.75
    assert shown[csv["Reference"][csv["Country"] == "Kenya"].iloc[0]] == 185_598_765


def test_filtered_export(client, auth, kenya, bangladesh, secretariat):
    factories.note(kenya, "pipeline")
    factories.note(bangladesh, "submitted")
    db.session.commit()
    auth.login("sec@example.org")
    csv = pd.read_csv(io.BytesIO(client.get("/pipeline/export.csv?status=pipeline").data))
    assert list(csv["Country"]) == ["Kenya"]


IMPORT_HEADER = ("country,title,thematic_area,objectives,principles,punos,duration_months,"
                 "gender_marker,gender_justification,human_rights_marker,"
                 "human_rights_justification,child_marker,child_justification,summary,"
                 "problem_statement,theory_of_change,expected_results,government_partners,"
                 "stakeholders,government_endorsed,endorsement_date\n")
GOOD = ('KEN,Good note,4,5;6,"Gender-responsive: women lead | Child-sensitive: children",'
        '"IOM*:600000;ILO:400000",24,2,why,2,why,1,why,sum,prob,toc,res,Ministry of Labour,'
        'migrants,yes,2026-01-10\n')


def test_import_keeps_good_rows_and_rejects_bad_ones_with_reasons(runner, secretariat, tmp_path):
    bad_puno = GOOD.replace("ILO:400000", "ZZZ:400000").replace("Good note", "Bad PUNO")
    one_puno = GOOD.replace(";ILO:400000", "").replace("Good note", "One PUNO")
    bad_country = GOOD.replace("KEN,", "XXX,", 1)
    too_long = GOOD.replace(",24,", ",48,")
    path = tmp_path / "notes.csv"
    path.write_text(IMPORT_HEADER + GOOD + bad_puno + one_puno + bad_country + too_long
                    + GOOD.replace("Good note", "Second good"), encoding="utf-8")
    result = runner.invoke(main, ["notes", "import", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "line 2: imported as MIG-" in out and "line 7: imported as MIG-" in out
    assert "line 3: rejected: punos: 'ZZZ' is not a UN Network member" in out
    assert "line 4: rejected: punos: A joint programme needs at least 2" in out
    assert "line 5: rejected: country: 'XXX' is not an ISO alpha-3 code" in out
    assert "line 6: rejected: duration_months: The duration is 48 months" in out
    assert "2 imported, 4 rejected." in out
    notes = db.session.scalars(db.select(ConceptNote).order_by(ConceptNote.id)).all()
    assert [n.title for n in notes] == ["Good note", "Second good"]
    assert all(n.status == "submitted" and n.current_version == 1 for n in notes)
    assert notes[0].total_cents == 107_000_000


def test_import_refuses_a_file_with_wrong_columns(runner, secretariat, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("country,title,colour\nKEN,x,blue\n", encoding="utf-8")
    result = runner.invoke(main, ["notes", "import", str(path)])
    assert result.exit_code == 2
    assert "lacks the column(s)" in result.output
    missing = runner.invoke(main, ["notes", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "Cannot read" in missing.output


def test_expire_command(runner, kenya):
    note = factories.note(kenya, "pipeline")
    db.session.commit()
    result = runner.invoke(main, ["pipeline", "expire", "--on", note.expires_on.isoformat()])
    assert result.exit_code == 0
    assert f"1 note(s) expired: {note.reference}" in result.output
    bad = runner.invoke(main, ["pipeline", "expire", "--on", "tomorrow"])
    assert bad.exit_code == 2
