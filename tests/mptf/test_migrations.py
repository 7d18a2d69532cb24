"""The Alembic migration creates the whole schema from nothing, on SQLite and PostgreSQL."""

import contextlib

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from mptf.extensions import db


def test_upgrade_from_nothing_creates_every_table(empty_app):
    assert inspect(db.engine).get_table_names() == []
    upgrade(directory=empty_app.extensions["migrate"].directory)
    tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_migrations_match_the_models(empty_app):
    """No difference between the migrated schema and the models: a model change without its
    migration fails here."""
    upgrade(directory=empty_app.extensions["migrate"].directory)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_downgrade_to_nothing(empty_app):
    directory = empty_app.extensions["migrate"].directory
    upgrade(directory=directory)
    downgrade(directory=directory, revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def check_constraints(engine) -> dict[str, set[tuple[str, str]]]:
    """Every table's CHECK constraints as the database itself states them (PostgreSQL
    rewrites a constraint's text in its own form, so that two texts meaning the same read the
    same), blanks collapsed."""
    inspector = inspect(engine)
    return {table: {(c["name"], " ".join(c["sqltext"].split()))
                    for c in inspector.get_check_constraints(table)}
            for table in sorted(db.metadata.tables)}


@contextlib.contextmanager
def schema_of_the_models(test_config, tmp_path):
    """An engine on a second, empty database (PostgreSQL: a schema of its own) where the
    models' own CREATE TABLE statements made the schema."""
    config, schema = test_config
    url = config["SQLALCHEMY_DATABASE_URI"]
    if schema:
        other = f"{schema}_models"
        engine = create_engine(url, connect_args={"options": f"-csearch_path={other}"})
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{other}"'))
    else:
        engine = create_engine(f"sqlite:///{tmp_path / 'models.sqlite'}")
    try:
        db.metadata.create_all(engine)
        yield engine
    finally:
        if schema:
            with engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{other}" CASCADE'))
        engine.dispose()


def test_migrations_make_the_models_check_constraints(empty_app, test_config, tmp_path):
    """Alembic's comparison above ignores CHECK constraints: a constraint added to (or
    changed in) a model without its migration, or a migration's constraint the models no
    longer have, fails here. The migrated schema and one the models made are read back from
    the database alike."""
    upgrade(directory=empty_app.extensions["migrate"].directory)
    migrated = check_constraints(db.engine)
    with schema_of_the_models(test_config, tmp_path) as engine:
        modelled = check_constraints(engine)
    assert sum(len(c) for c in modelled.values()) > 20  # the models do have constraints
    differences = {table: {"migrations only": sorted(migrated[table] - modelled[table]),
                           "models only": sorted(modelled[table] - migrated[table])}
                   for table in modelled if migrated[table] != modelled[table]}
    assert differences == {}
