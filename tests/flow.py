"""Drive the signing flow through the Flask test client, as a phone without JavaScript would."""
import re

from firma.envelopes import links
from firma.extensions import db
from firma.platform import jobs
from firma.platform.outbox import commit
from tests.images import signature_data_url

PHONE_UA = ("Mozilla/5.0 (Linux; Android 11; moto g(20)) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Mobile Safari/537.36")


def link_for(signer) -> str:
    token = links.issue(signer)
    commit()
    return token


def client_signer(envelope):
    """The envelope's client (the signer who walks the flow)."""
    return next(s for s in envelope.signers if s.role == "client")


def form_token(html: str) -> str:
    return re.search(r'name="form_token" value="([0-9a-f]+)"', html).group(1)


def view_document(client, base: str, headers=None) -> None:
    """Load the first page image, as the reading step's browser does (the server records what it served);
    with a queue that waits for a worker, a page still being rendered is the worker's turn first."""
    with client.get(f"{base}/pages/1.jpg", headers=headers or {}) as response:
        status = response.status_code
    if status == 202:
        huey = jobs.queue(client.application)
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
        with client.get(f"{base}/pages/1.jpg", headers=headers or {}) as response:
            status = response.status_code
    assert status == 200


def give_consent(client, base: str, ft: str, signer, *, biometric: str = "yes"):
    """The consent step: accept the signature terms and, when the signer has biometric steps, authorise them."""
    data = {"form_token": ft, "terms": "yes"}
    if signer.require_document_photo or signer.require_selfie:
        data["biometric"] = biometric
    return client.post(f"{base}/consent", data=data, headers={"User-Agent": PHONE_UA})


def sign(client, signer, *, token=None, drawn=True, mode="s"):
    """Walk every step of a signer without photos/selfie; returns the final response."""
    token = token or link_for(signer)
    base = f"/{mode}/{token}"
    headers = {"User-Agent": PHONE_UA}
    page = client.get(base, headers=headers)
    assert page.status_code == 200, page.text
    ft = form_token(page.text)
    r = client.post(f"{base}/welcome", data={"form_token": ft, "cpf": signer.cpf}, headers=headers)
    assert r.status_code == 303, r.text
    r = give_consent(client, base, ft, signer)
    assert r.status_code == 303, r.text
    view_document(client, base, headers)
    r = client.post(f"{base}/read", headers=headers, data={
        "form_token": ft, "have_read": "yes", "reading": '{"1": 12.5}', "last_page_reached": "yes"})
    assert r.status_code == 303, r.text
    sig = {"signature": signature_data_url()} if drawn else {"typed_name": signer.name}
    r = client.post(f"{base}/signature", data={"form_token": ft, **sig}, headers=headers)
    assert r.status_code == 303, r.text
    r = client.post(f"{base}/geolocation", headers=headers, data={
        "form_token": ft, "status": "granted", "latitude": "-22.9056", "longitude": "-47.0608", "accuracy": "25"})
    assert r.status_code == 200, r.text
    response = client.post(f"{base}/confirm", headers=headers, data={
        "form_token": ft, "consent": "yes", "document_sha256": signer.envelope.original_sha256})
    db.session.expire_all()  # jobs (finalisation) commit in their own session: read the outcome afresh
    return response
