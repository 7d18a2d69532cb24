"""The import's limits and its bulk writes: a file beyond a stated limit (rows, characters in a
field, NUL, broken CSV) is refused whole with a sentence and nothing saved; a good file is
written in a number of statements that does not grow with its rows, and the notes it writes
read back as the notes a submission makes."""

import io

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from mptf.cli import main
from mptf.extensions import db
from mptf.models import AuditEvent, ConceptNote
from mptf.pipeline import importer, services
from mptf.services.errors import ServiceError
from tests import factories
from tests.conftest import counting_queries, csrf_token
from tests.mptf.pipeline.test_exports_and_import import GOOD, IMPORT_HEADER


def rows(count: int) -> str:
    return IMPORT_HEADER + "".join(GOOD.replace("Good note", f"Note {i}") for i in range(count))


def saved() -> tuple[int, int]:
    return (db.session.scalar(db.select(db.func.count(ConceptNote.id))),
            db.session.scalar(db.select(db.func.count(AuditEvent.id))))


def post(client, text: str):
    """The upload encoded in memory: the test client spools a body over 500 KB to a temporary
    file it never closes (a ResourceWarning, an error here)."""
    boundary, body = encode_multipart(MultiDict({
        "csrf_token": csrf_token(client, "/pipeline/import"),
        "file": FileStorage(io.BytesIO(text.encode()), "notes.csv")}))
    return client.post("/pipeline/import", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_the_page_states_the_limits(client, auth, secretariat):
    auth.login("sec@example.org")
    page = client.get("/pipeline/import").get_data(as_text=True)
    assert "at most 5,000 rows, 20,000 characters in a field and 32 MB a file" in page


@pytest.mark.parametrize("length", [importer.MAX_FIELD_CHARS + 1, 131_073, 400_000])
def test_an_over_long_field_refuses_the_file_with_the_limit(client, auth, secretariat, length):
    """131,072 characters is the csv module's own limit: past it the reader raised, a 500."""
    long_row = GOOD.replace(",sum,", f",{'s' * length},")
    auth.login("sec@example.org")
    before = saved()
    response = post(client, IMPORT_HEADER + GOOD + long_row)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "a field holds at most 20,000 characters" in html
    assert "line 3" in html
    if length < 131_072:
        assert f"line 3, column summary, holds {length:,} characters" in html
    db.session.expire_all()
    assert saved() == before


def test_a_file_over_the_row_limit_is_refused_whole(client, auth, secretariat):
    """It imported its first 5,000 rows, past a web worker's timeout; now nothing is read."""
    auth.login("sec@example.org")
    before = saved()
    response = post(client, rows(importer.MAX_ROWS + 1))
    assert response.status_code == 400
    assert ("The file has more than 5,000 rows; split it into files of at most 5,000 rows"
            in response.get_data(as_text=True))
    db.session.expire_all()
    assert saved() == before


def test_the_command_refuses_an_over_long_file_with_the_sentence(runner, secretariat, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text(rows(importer.MAX_ROWS + 1), encoding="utf-8")
    result = runner.invoke(main, ["notes", "import", str(path)])
    assert result.exit_code == 2
    assert "more than 5,000 rows" in result.output
    assert saved()[0] == 0
    assert not db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "notes_import_started")).all()


def test_a_nul_character_refuses_the_file(secretariat):
    """PostgreSQL cannot store it in a text: the insert failed, a 500."""
    before = saved()
    with pytest.raises(ServiceError) as refused:
        importer.import_notes(secretariat, rows(1) + GOOD.replace(",sum,", ",s\x00m,"))
    assert "NUL character (line 3)" in refused.value.message
    assert saved() == before


def test_a_file_with_old_mac_line_ends_imports(secretariat):
    """Lines ended by a lone carriage return made the csv reader raise, a 500."""
    report = importer.import_notes(secretariat, rows(2).replace("\n", "\r"))
    assert len(report.accepted) == 2 and not report.rejected


def test_rules_the_form_has_reject_their_row(secretariat):
    long_title = GOOD.replace("Good note", "T" * 301)
    arabic_digits = GOOD.replace(",24,", ",٢٤,")
    twice = GOOD.replace("ILO:400000", "ILO:400000;IOM:100")
    area = GOOD.replace("Good note,4,", "Good note,9,")
    report = importer.import_notes(secretariat, IMPORT_HEADER + long_title + arabic_digits
                                   + twice + area + GOOD)
    assert dict(report.rejected) == {
        2: ["title: at most 300 characters; this one has 301"],
        3: ["duration_months: '٢٤' is not a whole number"],
        4: ["punos: 'IOM' is listed twice"],
        5: ["thematic_area: '9' is not a thematic area number (1 to 5)"],
    }
    assert [n for n, _ in report.accepted] == [6]


def test_statements_do_not_grow_with_rows_and_the_largest_file_imports(secretariat):
    """Each row was a dozen statements (a savepoint, a reference, its lookups, its inserts);
    now the whole file is one bulk statement a table."""
    importer.import_notes(secretariat, rows(1))  # the account's row, loaded once
    counts = []
    for count in (3, 30):
        with counting_queries(db.engine) as statements:
            report = importer.import_notes(secretariat, rows(count))
        assert len(report.accepted) == count and not report.rejected
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    with counting_queries(db.engine) as statements:
        report = importer.import_notes(secretariat, rows(importer.MAX_ROWS))
    assert len(report.accepted) == importer.MAX_ROWS
    # SQLite sends a bulk insert as one statement; PostgreSQL's driver in pages of 1,000 rows.
    assert len(statements) <= counts[0] + 5 * 2 * importer.MAX_ROWS // 1000
    db.session.commit()
    assert saved()[0] == 34 + importer.MAX_ROWS
    references = db.session.scalars(db.select(ConceptNote.reference)).all()
    assert len(set(references)) == len(references)


def test_an_imported_note_reads_back_as_a_submission(secretariat):
    report = importer.import_notes(secretariat, rows(2))
    db.session.commit()
    db.session.expire_all()
    note = services.note_by_reference(secretariat, report.accepted[1][1])
    assert note.title == "Note 1" and note.status == "submitted" and note.lock_version == 1
    assert note.created_by_id == secretariat.id and note.submitted_at is not None
    assert [(line.organisation.acronym, line.is_lead, line.direct_cents, line.indirect_cents)
            for line in note.puno_lines] == [("IOM", True, 60_000_000, 4_200_000),
                                             ("ILO", False, 40_000_000, 2_800_000)]
    assert [o.id for o in note.objectives] == [5, 6]
    assert [p.how for p in note.principles] == ["women lead", "children"]
    assert services.problems(note) == {}
    assert [v.number for v in note.versions] == [1]
    assert note.versions[0].content == services.snapshot(note)
    events = db.session.scalars(db.select(AuditEvent.action).where(
        AuditEvent.entity_type == "concept_notes", AuditEvent.entity_id == note.id)).all()
    assert events == ["note_imported"]


def test_a_number_taken_meanwhile_is_numbered_again(secretariat, monkeypatch):
    """Another note took the number the import computed (a country team's draft at the same
    moment): the bulk insert fails in its savepoint and the notes are numbered again."""
    taken = factories.bare_note("MIG-2026-0001", status="draft")
    db.session.commit()
    real = services.next_reference
    answers = iter([taken.reference])
    monkeypatch.setattr(services, "next_reference",
                        lambda year: next(answers, None) or real(year))
    report = importer.import_notes(secretariat, rows(2))
    db.session.commit()
    assert len(report.accepted) == 2
    assert taken.reference not in {ref for _, ref in report.accepted}
    assert len(set(db.session.scalars(db.select(ConceptNote.reference)))) == 3


def test_references_go_on_past_9999_in_a_year(secretariat):
    """As text, MIG-2026-9999 sorts after MIG-2026-10000: the text maximum gave a taken number
    for ever once a year passed 9,999 notes, which two imports at the row limit reach."""
    year = services.utcnow().year
    for number in (9_999, 10_000):
        factories.bare_note(f"MIG-{year}-{number:04d}", status="draft")
    db.session.commit()
    assert services.next_reference(year) == f"MIG-{year}-10001"
