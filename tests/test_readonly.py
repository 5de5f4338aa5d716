"""A request that only read commits its transaction (PostgreSQL keeps its plans); anything else still rolls back."""
import pytest
from sqlalchemy import event, select, text, update

from firma import create_app
from firma.extensions import db as _db
from firma.models import Organization
from firma.platform import readonly


@pytest.fixture()
def ends(tmp_path, seal_config, db):
    """An app of its own (one app context per request, as under gunicorn) on the test database, with routes that
    read or write without committing; yields (client, how each transaction ended, the organizations' names)."""
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "readonly-test-" + "x" * 20,
                      "DATABASE_URL": str(db.engine.url.render_as_string(hide_password=False)),
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
        engine = _db.engine
    seen: list[str] = []
    event.listen(engine, "commit", lambda conn: seen.append("commit"))
    event.listen(engine, "rollback", lambda conn: seen.append("rollback"))
    before = sorted(db.session.scalars(select(Organization.name)).all())  # the db fixture's two providers
    db.session.commit()

    def unchanged() -> bool:
        with app.app_context():
            return sorted(_db.session.scalars(select(Organization.name)).all()) == before

    yield app.test_client(), seen, unchanged
    with app.app_context():
        _db.engine.dispose()


def test_a_request_that_only_read_commits(ends):
    client, seen, _unchanged = ends
    assert client.get("/_t/read").get_data(as_text=True) == "2"
    assert seen == ["commit"]


@pytest.mark.parametrize("route", ["flush_without_commit", "update_without_commit", "change_without_flush"])
def test_a_request_that_wrote_and_did_not_commit_still_rolls_back(ends, route):
    client, seen, unchanged = ends
    assert client.get(f"/_t/{route}").status_code == 200
    assert "commit" not in seen and unchanged()


def test_a_request_that_wrote_then_failed_rolls_back(ends):
    client, seen, unchanged = ends
    assert client.get("/_t/write_then_fail").status_code == 500
    assert "commit" not in seen and unchanged()


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
