"""The Alembic migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""
import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from firma import create_app
from firma.extensions import db

PG_URL = os.environ.get("FIRMA_TEST_DATABASE_URL")


def migration_url(tmp_path) -> str:
    if PG_URL:
        return PG_URL.rsplit("/", 1)[0] + "/firma_migrations"
    return f"sqlite:///{tmp_path / 'migrated.sqlite3'}"


def test_upgrade_matches_models_and_downgrade_empties(tmp_path, instance_dir):
    url = migration_url(tmp_path)
    engine = create_engine(url)
    with engine.begin() as conn:  # start from nothing, even on a reused PostgreSQL database
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "k" * 40, "DATABASE_URL": url,
                      "SEAL_PASSPHRASE": "test-passphrase"}, instance_path=str(instance_dir))
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(directory=directory, revision="base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
    engine.dispose()
