"""A request that only read commits its transaction (PostgreSQL keeps its plans); anything else still rolls back."""
import pytest
from sqlalchemy import event, select, text, update

from firma import create_app
from firma.extensions import db as _db
from firma.models import Organization
from firma.platform import readonly
from tests.conftest import DATABASE_URL


@pytest.fixture()
def ends(tmp_path, seal_config):
    """An app of its own (one app context per request, as under gunicorn) with routes that read or write without
    committing; yields (client, the list of how each transaction ended, a function reading organization names)."""
    url = DATABASE_URL or f"sqlite:///{tmp_path / 'readonly.sqlite3'}"
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "readonly-test-" + "x" * 20, "DATABASE_URL": url,
                      "RATELIMIT_ENABLED": False, **seal_config}, instance_path=str(tmp_path))

    def read():
        return str(len(_db.session.scalars(select(Organization)).all()))

    def flush_without_commit():
        _db.session.add(Organization(name="Nunca", cnpj="11444777000161"))
        _db.session.flush()
        return "ok"

    def update_without_commit():
        _db.session.execute(update(Organization).values(name="Alterado"))
        return "ok"

    def change_without_flush():
        _db.session.scalars(select(Organization)).first().name = "Pendente"
        return "ok"

    def write_then_fail():
        flush_without_commit()
        raise RuntimeError("boom")

    for fn in (read, flush_without_commit, update_without_commit, change_without_flush, write_then_fail):
        app.add_url_rule(f"/_t/{fn.__name__}", fn.__name__, fn)
    with app.app_context():
        _db.create_all()
        _db.session.add(Organization(name="Original", cnpj="11222333000181"))
        _db.session.commit()
        engine = _db.engine
    seen: list[str] = []
    event.listen(engine, "commit", lambda conn: seen.append("commit"))
    event.listen(engine, "rollback", lambda conn: seen.append("rollback"))

    def names():
        with app.app_context():
            return sorted(_db.session.scalars(select(Organization.name)).all())

    yield app.test_client(), seen, names
    with app.app_context():
        _db.drop_all()
        _db.engine.dispose()


def test_a_request_that_only_read_commits(ends):
    client, seen, _names = ends
    assert client.get("/_t/read").get_data(as_text=True) == "1"
    assert seen == ["commit"]


@pytest.mark.parametrize("route", ["flush_without_commit", "update_without_commit", "change_without_flush"])
def test_a_request_that_wrote_and_did_not_commit_still_rolls_back(ends, route):
    client, seen, names = ends
    assert client.get(f"/_t/{route}").status_code == 200
    assert "commit" not in seen
    assert names() == ["Original"]


def test_a_request_that_wrote_then_failed_rolls_back(ends):
    client, seen, names = ends
    assert client.get("/_t/write_then_fail").status_code == 500
    assert "commit" not in seen
    assert names() == ["Original"]


@pytest.mark.parametrize("sql, reads", [
    ("SELECT signers.id FROM signers WHERE signers.token_hash = %(h)s", True),
    ("\n  select 1", True),
    ("SELECT * INTO copy FROM signers", False),
    ("SELECTED", False),
    ("UPDATE signers SET cpf_attempts = 0", False),
    ("INSERT INTO events (id) VALUES (1)", False),
    ("WITH moved AS (DELETE FROM events RETURNING *) SELECT * FROM moved", False),
    ("SAVEPOINT sa_savepoint_1", False),
])
def test_only_plain_selects_count_as_reads(sql, reads):
    assert readonly.is_plain_select(sql) is reads


def test_the_session_app_is_watched(app):
    with app.app_context():
        assert event.contains(_db.engine, "before_cursor_execute", readonly._note_statement)
        assert readonly.read_only(_db.session()) is False  # nothing began yet: nothing to commit
        _db.session.execute(text("SELECT 1"))
        assert readonly.read_only(_db.session()) is True
        _db.session.rollback()
