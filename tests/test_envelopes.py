import io

import pytest
from pypdf import PdfReader, PdfWriter

from firma.envelopes import create, lifecycle
from firma.envelopes.create import SignerSpec
from firma.models import Term
from firma.platform import storage
from firma.platform.errors import Refusal
from firma.platform.outbox import commit
from firma.platform.tokens import sha256_hex


def pdf_text(envelope) -> str:
    reader = PdfReader(io.BytesIO(storage.read(envelope.original_path)))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_contract_envelope_has_signers_in_order_with_hashed_links(db, make_contract, make_user, integration):
    integration.witness = make_user("witness@isp.test", name="Teste Munha")  # no stored signature: gets a link
    db.session.commit()
    contract = make_contract(witness=True)
    envelope = create.create_for_contract(contract)
    commit()
    assert [s.role for s in envelope.signers] == ["client", "client_witness", "provider_witness"]
    assert [s.order for s in envelope.signers] == [1, 2, 3]
    client = envelope.signers[0]
    assert client.channel == "whatsapp" and client.cpf == contract.customer.cpf_cnpj
    assert envelope.signers[2].channel == "email"
    assert all(s.token_hash is None for s in envelope.signers)  # links are issued when sent
    assert contract.status == "awaiting_signature"
    assert envelope.original_sha256 == sha256_hex(storage.read(envelope.original_path))
    text = pdf_text(envelope)
    assert contract.customer.name in text and envelope.public_code in text and "11.222.333/0001-81" in text


def test_requirements_follow_contract_override_then_integration(db, make_contract, integration):
    integration.require_selfie, integration.require_document_photo = True, False
    integration.geolocation = "required"
    db.session.commit()
    default = create.create_for_contract(make_contract()).signers[0]
    assert default.require_selfie and not default.require_document_photo and default.require_geolocation
    overridden = create.create_for_contract(make_contract(require_selfie="no", require_document_photo="yes"))
    assert not overridden.signers[0].require_selfie and overridden.signers[0].require_document_photo


def test_auto_inserted_terms_are_part_of_the_contract(db, make_contract, make_template):
    auto = make_template("<p>Termo de comodato de {{ cliente.nome }}</p>", kind="term", name="Comodato")
    manual = make_template("<p>Termo de mudança de endereço</p>", kind="term", name="Mudança")
    contract = make_contract(template=make_template(terms=[(auto, True), (manual, False)]))
    envelope = create.create_for_contract(contract)
    text = pdf_text(envelope)
    assert "Termo de comodato" in text and "mudança de endereço" not in text


def test_term_and_service_order_envelopes(db, make_contract, make_template, make_service_order):
    contract = make_contract()
    term = Term(contract=contract, template=make_template("<p>Termo avulso {{ contrato.numero }}</p>", kind="term"))
    db.session.add(term)
    envelope = create.create_for_term(term)
    commit()
    assert envelope.kind == "term" and contract.number in pdf_text(envelope)
    order = make_service_order()
    envelope = create.create_for_service_order(order)
    commit()
    assert envelope.kind == "service_order" and order.number in pdf_text(envelope)


def test_uploaded_pdf_is_stamped_and_hashed(db, branch):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    envelope = create.create_for_upload(out.getvalue(), title="Aditivo", branch=branch, signers=[
        SignerSpec(role="client", name="Maria", cpf="52998224725", email="maria@example.com")])
    commit()
    assert envelope.kind == "upload" and envelope.original_pages == 1
    assert envelope.public_code in pdf_text(envelope)


@pytest.mark.parametrize("data", [b"", b"hello", b"%PDF-1.7\n garbage"])
def test_bad_uploads_are_refused_without_creating_anything(db, branch, data):
    from firma.models import Envelope
    with pytest.raises(Refusal):
        create.create_for_upload(data, title="x", branch=branch, signers=[SignerSpec(role="client", name="A",
                                                                                        email="a@example.com")])
    assert db.session.query(Envelope).count() == 0


def test_missing_contact_data_is_a_clear_error(db, make_contract, make_customer):
    customer = make_customer(email=None, phone=None)
    with pytest.raises(Refusal, match="e-mail ou celular"):
        create.create_for_contract(make_contract(customer=customer))


def test_branch_without_integration_is_a_clear_error(db, make_contract, branch):
    branch.integration = None
    db.session.commit()
    with pytest.raises(Refusal, match="não tem integração"):
        create.create_for_contract(make_contract())


def test_cancel_and_update_contact(db, make_contract):
    envelope = create.create_for_contract(make_contract())
    commit()
    signer = envelope.signers[0]
    with pytest.raises(Refusal, match="E-mail obrigatório"):
        lifecycle.update_contact(signer, email=None, phone=None, channel="email")
    db.session.rollback()
    lifecycle.update_contact(signer, email="novo@example.com", phone=None, channel="email")
    assert signer.email == "novo@example.com" and signer.token_hash is None
    with pytest.raises(Refusal, match="motivo"):
        lifecycle.cancel(envelope, reason="  ")
    lifecycle.cancel(envelope, reason="Cliente desistiu")
    commit()
    assert envelope.status == "cancelled" and envelope.contract.status == "draft"
    with pytest.raises(Refusal, match="pendente"):
        lifecycle.cancel(envelope, reason="de novo")
