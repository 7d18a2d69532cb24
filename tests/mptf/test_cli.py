"""The mptf command: seed, user create, and one-sentence refusals with exit status 2."""

from mptf.cli import main
from mptf.extensions import db
from mptf.models import User


def invoke(runner, *args, input=None):
    return runner.invoke(main, list(args), input=input, catch_exceptions=False)


def test_seed_then_seed_again(runner, app):
    first = invoke(runner, "seed")
    assert first.exit_code == 0, first.output
    assert "countries: 193 added" in first.output
    second = invoke(runner, "seed")
    assert "nothing changed" in second.output


def test_user_create(runner, seeded):
    result = invoke(runner, "user", "create", "kenya@example.org", "--role", "country_team",
                    "--country", "ken", "--password", "long-enough-pw")
    assert result.exit_code == 0, result.output
    assert "for Kenya" in result.output
    assert db.session.scalar(db.select(User.role).where(User.email == "kenya@example.org")) \
        == "country_team"


def test_user_create_refusals_exit_2_with_a_sentence(runner, seeded):
    cases = [
        (["--role", "boss"], "Unknown role 'boss'"),
        (["--role", "country_team", "--country", "XYZ"], "Unknown country 'XYZ'"),
        (["--role", "country_team"], "needs --country"),
    ]
    for extra, message in cases:
        result = invoke(runner, "user", "create", "x@example.org", *extra,
                        "--password", "long-enough-pw")
        assert result.exit_code == 2
        assert message in result.output
    assert db.session.scalars(db.select(User)).all() == []
    invoke(runner, "user", "create", "x@example.org", "--role", "chair",
           "--password", "long-enough-pw")
    duplicate = invoke(runner, "user", "create", "X@example.org", "--role", "admin",
                       "--password", "long-enough-pw")
    assert duplicate.exit_code == 2
    assert "already exists" in duplicate.output
    assert len(db.session.scalars(db.select(User)).all()) == 1


def test_serve_production_refuses_without_a_key_or_a_base_url(runner, app, monkeypatch):
    started = []
    monkeypatch.setattr("mptf.cli.run_gunicorn", lambda *a: started.append(a))
    app.config.update(SECRET_KEY_FROM_ENVIRONMENT=False, BASE_URL=None)
    both = runner.invoke(main, ["serve", "--production"])
    assert both.exit_code == 2
    assert "Production needs MPTF_SECRET_KEY" in both.output
    assert "and MPTF_BASE_URL" in both.output
    app.config.update(SECRET_KEY_FROM_ENVIRONMENT=True)
    no_base = runner.invoke(main, ["serve", "--production"])
    assert no_base.exit_code == 2
    assert "Production needs MPTF_BASE_URL" in no_base.output
    app.config.update(BASE_URL="https://mptf.example.org")
    debug = runner.invoke(main, ["serve", "--production", "--debug"])
    assert debug.exit_code == 2
    assert "never with --production" in debug.output
    assert started == []


def test_serve_production_runs_gunicorn_with_a_key_and_a_base_url(runner, app, monkeypatch):
    started = []
    monkeypatch.setattr("mptf.cli.run_gunicorn", lambda *a: started.append(a))
    app.config.update(SECRET_KEY_FROM_ENVIRONMENT=True, BASE_URL="https://mptf.example.org")
    result = runner.invoke(main, ["serve", "--production", "--port", "8000", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert started == [("127.0.0.1:8000", 3)]
