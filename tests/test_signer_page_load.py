"""What a signing page costs the database: one statement for the signer, envelope, branch, integration and
organization; the branch logo is asked about, not read; a deactivation shows on the very next view."""
from sqlalchemy import event

from firma.org import deactivation
from firma.platform.outbox import commit
from tests.flow import client_signer, link_for


def _statements(engine, fn) -> list[str]:
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen


def test_a_step_page_is_one_statement(client, db, envelope):
    token = link_for(client_signer(envelope))
    db.session.expunge_all()  # as a new request's session: nothing loaded yet
    pages = []
    statements = _statements(db.engine, lambda: pages.append(client.get(f"/s/{token}/welcome")))
    assert pages[0].status_code == 200 and "Olá" in pages[0].text
    assert len(statements) == 1, statements
    assert "organizations" in statements[0] and "logo_png IS NOT NULL" in statements[0]
    assert "branches_1.logo_png," not in statements[0] and "webhook_secret" not in statements[0]


def test_the_logo_shows_only_when_the_branch_has_one(client, db, envelope):
    token = link_for(client_signer(envelope))
    assert 'class="logo"' not in client.get(f"/s/{token}/welcome").text
    envelope.branch.logo_png = b"\x89PNG fake"
    commit()
    db.session.expunge_all()
    assert 'class="logo"' in client.get(f"/s/{token}/welcome").text


def test_a_deactivation_shows_on_the_next_view(client, db, envelope):
    token = link_for(client_signer(envelope))
    assert client.get(f"/s/{token}/welcome").status_code == 200
    deactivation.deactivate(envelope.organization_id, "Inadimplência")
    commit()
    page = client.get(f"/s/{token}/welcome")
    assert page.status_code == 403 and "não está disponível" in page.text
