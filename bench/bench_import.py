"""The concept-note import at its limits: the secretariat's POST of the largest file the import
page takes (``importer.MAX_ROWS`` good rows, each with long texts, as large as an upload may
be), on SQLite, from the request to the page listing every row. A web worker is killed after
30 s (gunicorn's timeout), so the target leaves a wide margin under it."""

from __future__ import annotations

import io
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import Result, against

HEADER = ("country,title,thematic_area,objectives,principles,punos,duration_months,"
          "gender_marker,gender_justification,human_rights_marker,human_rights_justification,"
          "child_marker,child_justification,summary,problem_statement,theory_of_change,"
          "expected_results,government_partners,stakeholders,government_endorsed,"
          "endorsement_date\n")
TEXTS = 8  # the long text columns of a row
COUNTRIES = ["KEN", "BGD", "MEX", "SEN", "PHL", "ECU", "MAR", "NPL"]
SENTENCE = ("The joint programme strengthens the national referral mechanism for migrants in "
            "vulnerable situations with the ministry, local authorities and civil society. ")


def max_file(rows: int, size_bytes: int) -> bytes:
    """``rows`` good rows whose text columns are padded so that the file is just under
    ``size_bytes``."""
    plain = [_row(i, "x") for i in range(rows)]
    room = (size_bytes - 1024 - len(HEADER) - sum(len(r) for r in plain)) // (rows * TEXTS)
    text = (SENTENCE * (room // len(SENTENCE) + 1))[:max(room, 1)]
    return (HEADER + "".join(_row(i, text) for i in range(rows))).encode()


def _row(i: int, text: str) -> str:
    return (f'{COUNTRIES[i % len(COUNTRIES)]},Imported programme {i},{i % 5 + 1},"5;6;{i % 23 + 1}",'
            f'"Gender-responsive: {text} | Child-sensitive: {text}",'
            f'"IOM*:600000;ILO:400000",24,2,"{text}",2,"{text}",1,"{text}","{text}","{text}",'
            f'"{text}",res,Ministry of Labour,migrants;civil_society,yes,2026-01-10\n')


def benchmarks() -> list[Result]:
    from mptf import create_app
    from mptf.auth.services import create_user
    from mptf.extensions import db
    from mptf.models import ConceptNote
    from mptf.pipeline.importer import MAX_ROWS
    from mptf.reference.seed import seed_reference_data

    folder = Path(tempfile.mkdtemp(prefix="mptf-bench-"))
    seeded, live = folder / "seeded.sqlite", folder / "bench.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{live}", "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.create_all()
        seed_reference_data()
        create_user("sec@bench.example", "bench-password", "secretariat")
        db.session.commit()
        db.engine.dispose()
    shutil.copy(live, seeded)
    limit_bytes = app.config["MAX_CONTENT_LENGTH"]
    data = max_file(MAX_ROWS, limit_bytes - 64 * 1024)  # room for the form's other parts
    client = app.test_client()
    times = []
    for run in range(4):  # the first run warms up
        with app.app_context():
            db.engine.dispose()
        shutil.copy(seeded, live)
        client.post("/login", data={"email": "sec@bench.example", "password": "bench-password"})
        start = time.perf_counter()
        response = client.post("/pipeline/import", content_type="multipart/form-data",
                               data={"file": (io.BytesIO(data), "notes.csv")})
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.status_code
        with app.app_context():
            imported = db.session.scalar(db.select(db.func.count(ConceptNote.id)))
        assert imported == MAX_ROWS, imported
        if run:
            times.append(elapsed)
    shutil.rmtree(folder, ignore_errors=True)
    return [against("import", f"{MAX_ROWS:,} concept notes from a CSV file of "
                              f"{len(data) / 1024 / 1024:.1f} MB (the page's limits)",
                    statistics.median(times), len(times), 10,
                    note="one bulk INSERT per table; a web worker's timeout is 30 s")]
