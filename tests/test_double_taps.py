"""Double taps: the same signer's confirm, the same wrong CPF and the same Idempotency-Key, raced in threads.

They run against whichever database the suite uses (FIRMA_TEST_DATABASE_URL picks PostgreSQL), so the claims are
proven on SQLite's write lock and on PostgreSQL's row locks alike.
"""
import threading

import pytest
from sqlalchemy import func, select

from firma.envelopes import create
from firma.evidence import store
from firma.extensions import db as _db
from firma.models import Delivery, Event, EventType, Evidence, EvidenceKind, Signer
from firma.platform.outbox import commit
from tests.flow import PHONE_UA, form_token, give_consent, link_for, view_document
from tests.http_stub import HttpStub
from tests.images import signature_data_url

HEADERS = {"User-Agent": PHONE_UA}


def race(app, count, action):
    """Run action(client) in `count` threads released together; returns their responses."""
    barrier, responses = threading.Barrier(count), [None] * count

    def worker(index):
        with app.app_context():
            client = app.test_client()
            barrier.wait(timeout=10)
            responses[index] = action(client)
            _db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    _db.session.expire_all()
    return responses


def ready_to_confirm(client, signer):
    """Walk the signer up to the confirm step; returns the link's base URL and form token."""
    token = link_for(signer)
    base = f"/s/{token}"
    ft = form_token(client.get(base, headers=HEADERS).text)
    assert client.post(f"{base}/welcome", data={"form_token": ft, "cpf": signer.cpf}, headers=HEADERS).status_code == 303
    assert give_consent(client, base, ft, signer).status_code == 303
    view_document(client, base, HEADERS)
    assert client.post(f"{base}/read", headers=HEADERS, data={
        "form_token": ft, "have_read": "yes", "reading": '{"1": 3}', "last_page_reached": "yes"}).status_code == 303
    assert client.post(f"{base}/signature", data={"form_token": ft, "signature": signature_data_url()},
                       headers=HEADERS).status_code == 303
    return base, ft


def events_of(signer_id, type_):
    return _db.session.scalars(select(Event).where(Event.signer_id == signer_id, Event.type == type_)).all()


@pytest.fixture()
def erp():
    with HttpStub() as server:
        yield server


def test_double_tapped_confirm_signs_once(app, client, make_contract, integration, db, erp, monkeypatch):
    integration.webhook_url, integration.webhook_secret = f"{erp.url}/hook", "whsec_teste"
    db.session.commit()
    envelope = create.create_for_contract(make_contract(witness=True))
    commit()
    signer = envelope.signers[0]
    base, ft = ready_to_confirm(client, signer)
    sha = envelope.original_sha256
    gate, real_latest = threading.Barrier(2), store.latest

    def latest_after_both_arrive(who, kind):
        """Hold both requests until each has passed its checks, so they reach the claim together."""
        if kind == EvidenceKind.GEOLOCATION:
            gate.wait(timeout=10)
        return real_latest(who, kind)

    monkeypatch.setattr(store, "latest", latest_after_both_arrive)
    responses = race(app, 2, lambda c: c.post(f"{base}/confirm", headers=HEADERS, data={
        "form_token": ft, "consent": "yes", "document_sha256": sha}))
    assert all(r is not None and r.status_code < 500 for r in responses), [r and r.status_code for r in responses]
    assert len(events_of(signer.id, EventType.SIGNER_SIGNED)) == 1
    kinds = _db.session.scalars(select(Evidence.kind).where(Evidence.signer_id == signer.id)).all()
    assert kinds.count(EvidenceKind.CONSENT) == 1 and kinds.count(EvidenceKind.DEVICE) == 1
    hooks = _db.session.scalars(select(Delivery).where(Delivery.envelope_id == envelope.id,
                                                       Delivery.channel == "webhook")).all()
    signed_hooks = [d for d in hooks if d.payload.get("type") == EventType.SIGNER_SIGNED]
    assert len(signed_hooks) == 1
    assert _db.session.get(Signer, signer.id).status == "signed"


def test_confirm_racing_decline_leaves_one_outcome(app, client, make_contract, db):
    envelope = create.create_for_contract(make_contract(witness=True))
    commit()
    signer = envelope.signers[0]
    base, ft = ready_to_confirm(client, signer)
    sha = envelope.original_sha256

    def act(c, index=iter(range(2))):
        if next(index) == 0:
            return c.post(f"{base}/confirm", headers=HEADERS,
                          data={"form_token": ft, "consent": "yes", "document_sha256": sha})
        return c.post(f"{base}/decline", headers=HEADERS, data={"form_token": ft, "reason": "Mudei de ideia"})

    responses = race(app, 2, act)
    assert all(r is not None and r.status_code < 500 for r in responses)
    done = events_of(signer.id, EventType.SIGNER_SIGNED) + events_of(signer.id, EventType.SIGNER_DECLINED)
    assert len(done) == 1
    status = _db.session.get(Signer, signer.id).status
    assert status == ("signed" if done[0].type == EventType.SIGNER_SIGNED else "declined")


def test_racing_wrong_cpf_guesses_are_all_counted(app, client, make_contract, db):
    envelope = create.create_for_contract(make_contract())
    commit()
    signer = envelope.signers[0]
    token = link_for(signer)
    ft = form_token(client.get(f"/s/{token}", headers=HEADERS).text)
    wrong = "52998224725" if signer.cpf != "52998224725" else "11144477735"
    responses = race(app, 4, lambda c: c.post(f"/s/{token}/welcome", headers=HEADERS,
                                              data={"form_token": ft, "cpf": wrong}))
    assert [r.status_code for r in responses] == [422] * 4
    assert _db.session.get(Signer, signer.id).cpf_attempts == 4
    attempts = sorted(e.data["attempt"] for e in events_of(signer.id, EventType.SIGNER_IDENTITY_FAILED))
    assert attempts == [1, 2, 3, 4]


def test_one_idempotency_key_sent_concurrently_creates_one_resource(app, make_contract, integration, branch, db,
                                                                     monkeypatch):
    from api import idempotency
    from firma.models import Envelope, IdempotencyKey
    from firma.org import api_tokens

    number = make_contract().number
    token = api_tokens.rotate_token(integration)
    commit()
    gate, real_existing, seen = threading.Barrier(2), idempotency._existing, set()

    def existing_after_both_arrive(key):
        """Both requests look the key up before either stores it: the insert decides."""
        if threading.get_ident() not in seen:
            seen.add(threading.get_ident())
            gate.wait(timeout=10)
        return real_existing(key)

    monkeypatch.setattr(idempotency, "_existing", existing_after_both_arrive)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "pedido-42"}
    responses = race(app, 2, lambda c: c.post("/api/v1/envelopes", headers=headers,
                                              json={"source": "contract", "contract_number": number}))
    codes = sorted(r.status_code for r in responses)
    assert codes in ([201, 201], [201, 409]), codes
    if codes == [201, 201]:
        assert any(r.headers.get("Idempotent-Replayed") == "true" for r in responses)
    assert _db.session.scalar(select(func.count(Envelope.id))) == 1
    assert _db.session.scalar(select(func.count(IdempotencyKey.id))) == 1


def test_racing_liveness_starts_never_exceed_the_attempts(app, make_contract, db):
    from firma.identity import capture

    envelope = create.create_for_contract(make_contract())
    commit()
    signer_id = envelope.signers[0].id
    db.session.get(Signer, signer_id).liveness_attempts = capture.MAX_LIVENESS_ATTEMPTS - 2
    db.session.commit()
    barrier, outcomes = threading.Barrier(4), []

    def worker():
        with app.app_context():
            signer = _db.session.get(Signer, signer_id)
            barrier.wait(timeout=10)
            try:
                capture.start_liveness(signer)
                _db.session.commit()
                outcomes.append("started")
            except capture.LivenessLocked:
                _db.session.rollback()
                outcomes.append("locked")
            _db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    _db.session.expire_all()
    assert sorted(outcomes) == ["locked", "locked", "started", "started"]
    assert _db.session.get(Signer, signer_id).liveness_attempts == capture.MAX_LIVENESS_ATTEMPTS
