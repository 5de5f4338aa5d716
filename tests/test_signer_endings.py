"""How the flow ends: the decline confirmation, the CPF-locked state on reload, the done page polling for the copy."""
import re

from firma.envelopes import links
from firma.extensions import db
from firma.platform import jobs
from firma.platform.outbox import commit
from firma.sealing import finalise
from signer.views import POLL_LIMIT
from tests.flow import PHONE_UA, client_signer, form_token, link_for, sign

HEADERS = {"User-Agent": PHONE_UA}
HTMX = {**HEADERS, "HX-Request": "true"}
DECLINED = "Você recusou a assinatura. O provedor foi avisado."
REASON = "O valor da mensalidade está errado"


def decline(client, token, *, mode="s", headers=HEADERS):
    ft = form_token(client.get(f"/{mode}/{token}/decline", headers=HEADERS).text)
    return client.post(f"/{mode}/{token}/decline", data={"form_token": ft, "reason": REASON}, headers=headers)


# --- decline -----------------------------------------------------------------------------------------

def test_a_plain_decline_ends_on_the_confirmation_and_reopening_shows_it_again(client, envelope):
    signer = client_signer(envelope)
    token = link_for(signer)
    r = decline(client, token)
    assert r.status_code == 303 and r.location.endswith("/done")
    for url in (r.location, f"/s/{token}", f"/s/{token}/welcome"):
        page = client.get(url, headers=HEADERS, follow_redirects=True)
        assert page.status_code == 200 and "<html" in page.text, url
        assert DECLINED in page.text and REASON in page.text and 'data-outcome="declined"' in page.text
        assert "Página não encontrada" not in page.text
    again = client.get(f"/s/{token}/decline", headers=HEADERS)
    assert again.status_code == 302 and again.location.endswith("/done")


def test_an_htmx_decline_answers_the_confirmation_fragment(client, envelope):
    token = link_for(client_signer(envelope))
    r = decline(client, token, headers=HTMX)
    assert r.status_code == 200 and r.headers["HX-Push-Url"].endswith(f"/s/{token}/done")
    assert "<html" not in r.text and DECLINED in r.text and REASON in r.text


def test_declining_closes_the_other_signers_links_but_not_the_decliners(client, envelope):
    signer = client_signer(envelope)
    others = [s for s in envelope.signers if s is not signer]
    tokens = {s.id: link_for(s) for s in others}
    token = link_for(signer)
    decline(client, token)
    assert links.find_signer(token) is signer
    for other in others:
        assert links.find_signer(tokens[other.id]) is None
        assert client.get(f"/s/{tokens[other.id]}", headers=HEADERS).status_code == 404


def test_a_decline_in_the_portal_iframe_marks_the_page_for_firma_declined(client, envelope):
    token = link_for(client_signer(envelope))
    r = decline(client, token, mode="embed")
    assert r.status_code == 303 and r.location.endswith(f"/embed/{token}/done")
    page = client.get(r.location, headers=HEADERS)
    assert page.status_code == 200 and DECLINED in page.text
    # signer.js posts firma:declined to the parent from an embedded done page whose outcome is "declined"
    assert 'class="signer embedded"' in page.text and 'data-outcome="declined"' in page.text
    assert "X-Frame-Options" not in page.headers


# --- CPF lock ----------------------------------------------------------------------------------------

def lock(client, token, app):
    ft = form_token(client.get(f"/s/{token}", headers=HEADERS).text)
    for _ in range(app.config["CPF_ATTEMPTS"]):
        r = client.post(f"/s/{token}/welcome", data={"form_token": ft, "cpf": "111.444.777-35"}, headers=HEADERS)
    return r


def assert_locked(response):
    assert response.status_code in (200, 422)
    assert "tentativas excedido" in response.text and "tente de novo mais tarde" in response.text
    assert 'name="cpf"' not in response.text and "data-locked" in response.text


def test_the_locked_state_survives_a_reload_and_reopening_the_link(client, envelope, app):
    signer = client_signer(envelope)
    token = link_for(signer)
    assert_locked(lock(client, token, app))
    for url, headers in ((f"/s/{token}", HEADERS), (f"/s/{token}/welcome", HEADERS), (f"/s/{token}/welcome", HTMX)):
        page = client.get(url, headers=headers)
        assert page.status_code == 200, url
        assert_locked(page)
        assert ("<html" in page.text) is (headers is HEADERS)
    assert signer.identity_confirmed_at is None


def test_a_new_link_buys_no_new_guesses(client, envelope, app):
    signer = client_signer(envelope)
    lock(client, link_for(signer), app)
    token = link_for(signer)
    assert_locked(client.get(f"/s/{token}", headers=HEADERS))
    assert_locked(client.get(f"/s/{link_for(signer)}/welcome", headers=HTMX))  # nor does a third one


def test_the_lockout_ends_after_its_minutes(client, envelope, app, monkeypatch):
    signer = client_signer(envelope)
    lock(client, link_for(signer), app)
    monkeypatch.setitem(app.config, "CPF_LOCKOUT_MINUTES", 0)
    page = client.get(f"/s/{link_for(signer)}", headers=HEADERS)
    assert page.status_code == 200 and 'name="cpf"' in page.text and "tentativas excedido" not in page.text


# --- done page: the signed copy --------------------------------------------------------------------

def poll_url(html):
    found = re.search(r'hx-get="([^"]+/done/copy\?n=\d+)"', html)
    return found and found.group(1).replace("&amp;", "&")


def test_the_done_page_polls_until_the_sealed_copy_exists(client, envelope, app, monkeypatch):
    monkeypatch.setattr(jobs.queue(app), "immediate", False)  # the seal waits in the queue, as with a worker
    signer = client_signer(envelope)
    token = link_for(signer)
    r = sign(client, signer, token=token)
    assert envelope.status == "pending" and not envelope.final_path
    done = client.get(r.location, headers=HEADERS)
    assert done.status_code == 200 and "assinado.pdf" not in done.text
    assert 'hx-trigger="load delay:2s"' in done.text and 'hx-swap="outerHTML"' in done.text
    assert re.search(r'<a href="[^"]+/done">Atualizar</a>', done.text)  # without JavaScript
    url = poll_url(done.text)
    assert url.endswith("n=1")
    waiting = client.get(url, headers=HTMX)
    assert waiting.status_code == 200 and "<html" not in waiting.text and 'id="final-copy"' in waiting.text
    assert poll_url(waiting.text).endswith("n=2")
    assert client.get(url, headers=HEADERS).status_code == 302  # a plain GET gets the done page
    assert finalise.finalise(envelope.id)
    commit()
    db.session.expire_all()
    ready = client.get(poll_url(waiting.text), headers=HTMX)
    assert ready.status_code == 200 and "hx-get" not in ready.text
    with client.get(re.search(r'href="([^"]+assinado\.pdf)"', ready.text).group(1)) as final:
        assert final.status_code == 200 and final.data.startswith(b"%PDF")


def test_polling_stops_after_a_while_and_leaves_the_manual_link(client, envelope, app, monkeypatch):
    monkeypatch.setattr(jobs.queue(app), "immediate", False)
    signer = client_signer(envelope)
    token = link_for(signer)
    sign(client, signer, token=token)
    last = client.get(f"/s/{token}/done/copy?n={POLL_LIMIT}", headers=HTMX)
    assert last.status_code == 200 and "hx-get" not in last.text and "Atualizar" in last.text
    assert "demorando" in last.text
