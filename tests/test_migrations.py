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


def test_existing_data_moves_into_one_organization_and_back(tmp_path, instance_dir):
    url = migration_url(tmp_path)
    engine = create_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "k" * 40, "DATABASE_URL": url,
                      "SEAL_PASSPHRASE": "test-passphrase"}, instance_path=str(instance_dir))
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="3d5bfed775b5")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO settings (id, company_name, digital_signature_default) "
                              "VALUES (1, 'Provedor Antigo Ltda', true)"))
            conn.execute(text("INSERT INTO branches (name, cnpj, address, city, state, phone, color, created_at) "
                              "VALUES ('Matriz', '11222333000181', '', '', '', '', '#000000', CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO customers (name, cpf_cnpj, rg, street, number, complement, district, city, "
                              "state, zip_code, created_at) VALUES ('Maria', '52998224725', '', '', '', '', '', '', "
                              "'', '', CURRENT_TIMESTAMP)"))
        upgrade(directory=directory)
        with engine.connect() as conn:
            organizations = conn.execute(text("SELECT id, name, cnpj FROM organizations")).all()
            assert [tuple(o)[1:] for o in organizations] == [("Provedor Antigo Ltda", "11222333000181")]
            for table in ("settings", "branches", "customers"):
                owners = conn.execute(text(f"SELECT DISTINCT organization_id FROM {table}")).scalars().all()
                assert owners == [organizations[0].id], table
        downgrade(directory=directory, revision="3d5bfed775b5")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM customers")).scalars().all() == ["Maria"]
            assert "organization_id" not in {c["name"] for c in inspect(conn).get_columns("customers")}
        downgrade(directory=directory, revision="base")
        db.engine.dispose()
    engine.dispose()
