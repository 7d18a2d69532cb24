"""The pipeline page at 10,000 concept notes: median time of a signed-in secretariat's GET of
the first page (filters, totals by area and region, 50 rows), and the same with a search."""

from __future__ import annotations

import random
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.common import Result, against, time_median

N_NOTES = 10_000


def _build(app) -> None:
    from mptf.auth.services import create_user
    from mptf.extensions import db
    from mptf.models import ConceptNote, Country, Organisation, PunoBudgetLine
    from mptf.reference.seed import seed_reference_data

    with app.app_context():
        db.create_all()
        seed_reference_data()
        create_user("sec@bench.example", "bench-password", "secretariat")
        db.session.commit()
        rng = random.Random(7)
        countries = db.session.scalars(db.select(Country.id)).all()
        entities = db.session.scalars(db.select(Organisation.id).where(
            Organisation.kind == "un_entity")).all()
        statuses = ["pipeline"] * 6 + ["submitted", "draft", "returned", "expired"]
        notes, lines = [], []
        start = datetime(2024, 1, 1)
        for i in range(1, N_NOTES + 1):
            direct = rng.randrange(90, 280) * 1_000_000
            indirect = (direct * 700 + 5000) // 10000
            submitted = start + timedelta(hours=rng.randrange(0, 24 * 900))
            notes.append({
                "id": i, "reference": f"MIG-2025-{i:05d}", "status": rng.choice(statuses),
                "title": f"Joint programme {i} on safe and regular migration",
                "country_id": rng.choice(countries), "thematic_area_id": rng.randint(1, 5),
                "duration_months": 24, "gender_marker": rng.randint(0, 3),
                "summary": "A joint programme with the government and migrants' organisations.",
                "total_direct_cents": direct, "total_indirect_cents": indirect,
                "total_cents": direct + indirect, "current_version": 1,
                "submitted_at": submitted, "national_partners": [], "stakeholders": [],
                "pipeline_at": submitted, "expires_on": date(2030, 1, 1),
                "score": round(rng.uniform(40, 95), 1),
            })
            for position, org in enumerate(rng.sample(entities, 3)):
                part = direct // 3
                lines.append({"note_id": i, "organisation_id": org, "is_lead": position == 0,
                              "position": position, "direct_cents": part,
                              "indirect_cents": (part * 700 + 5000) // 10000})
        db.session.execute(db.insert(ConceptNote), notes)
        db.session.execute(db.insert(PunoBudgetLine), lines)
        db.session.commit()


def benchmarks() -> list[Result]:
    from mptf import create_app

    folder = Path(tempfile.mkdtemp(prefix="mptf-bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}",
                      "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    _build(app)
    client = app.test_client()
    response = client.post("/login", data={"email": "sec@bench.example",
                                           "password": "bench-password"})
    assert response.status_code == 302, response.status_code

    def get(path: str):
        def run():
            assert client.get(path).status_code == 200
        return run

    results = []
    # Targets: a page a person waits for (well under half a second of the server's time),
    # an export of the whole pipeline a few seconds.
    for name, path, limit in (("first page", "/pipeline/", 0.2),
                              ("search 'programme 12' + area + region filters",
                               "/pipeline/?q=programme+12&area=2&region=Africa", 0.2),
                              ("last page sorted by budget", "/pipeline/?sort=budget&page=200",
                               0.3),
                              ("CSV export of all notes", "/pipeline/export.csv", 5.0)):
        median = time_median(get(path), runs=7)
        results.append(against("pipeline page", f"{name}, {N_NOTES:,} notes (SQLite)", median,
                               7, limit))
    return results


if __name__ == "__main__":
    for r in benchmarks():
        print(f"{r.name}: {r.median_s * 1000:.1f} ms")
