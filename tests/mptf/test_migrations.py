"""The Alembic migration creates the whole schema from nothing, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

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
