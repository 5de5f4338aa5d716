"""Sending an uploaded PDF for signature from the panel: signers, a validator, requirements, refusals."""
import io

import weasyprint
from sqlalchemy import select

from firma.models import Delivery, Envelope
from tests.admin_client import post
from tests.conftest import valid_cpf


def pdf_bytes() -> bytes:
    return weasyprint.HTML(string="<h1>Contrato físico</h1><p>Cláusula 1.</p>").write_pdf()


def rows(*people):
    data = {}
    for i, person in enumerate(people):
        data.update({f"signers-{i}-{k}": v for k, v in person.items()})
    return data


def test_upload_pdf_with_client_and_validator(staff, db, branch):
    page = staff.get("/admin/assinaturas/enviar-pdf")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.get_data(as_text=True)
    data = {"title": "Aditivo assinado em papel", "branch_id": branch.id, "pdf": (io.BytesIO(pdf_bytes()), "a.pdf"),
            **rows({"role": "client", "name": "Ana Paula", "cpf": valid_cpf(3), "email": "ana@example.com",
                    "channel": "email", "require_selfie": "y", "require_geolocation": "y"},
                   {"role": "validator", "name": "Vera Souza", "cpf": valid_cpf(4), "email": "vera@example.com"})}
    response = post(staff, "/admin/assinaturas/enviar-pdf", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    envelope = db.session.scalar(select(Envelope).order_by(Envelope.id.desc()))
    assert (envelope.kind, envelope.title, envelope.created_by_id) == ("upload", "Aditivo assinado em papel",
                                                                       staff.user.id)
    client, validator = envelope.signers
    assert (client.role, client.require_selfie, client.require_geolocation, client.require_document_photo) == (
        "client", True, True, False)
    assert (validator.role, validator.channel) == ("validator", "email")
    targets = {d.target for d in db.session.scalars(select(Delivery).where(Delivery.envelope_id == envelope.id))}
    assert targets == {"ana@example.com", "vera@example.com"}


def test_upload_refusals_are_shown_not_500(staff, db, branch):
    base = {"title": "X", "branch_id": branch.id, **rows({"role": "client", "name": "Ana", "email": "a@example.com"})}
    no_file = post(staff, "/admin/assinaturas/enviar-pdf", base, content_type="multipart/form-data")
    assert no_file.status_code == 422 and "Escolha o arquivo PDF." in no_file.get_data(as_text=True)
    not_pdf = post(staff, "/admin/assinaturas/enviar-pdf", {**base, "pdf": (io.BytesIO(b"GIF89a"), "x.pdf")},
                   content_type="multipart/form-data")
    assert not_pdf.status_code == 422
    only_validator = post(staff, "/admin/assinaturas/enviar-pdf", {
        "title": "X", "branch_id": branch.id, "pdf": (io.BytesIO(pdf_bytes()), "a.pdf"),
        **rows({"role": "validator", "name": "Vera", "email": "v@example.com"})}, content_type="multipart/form-data")
    assert only_validator.status_code == 422 and "além dos validadores" in only_validator.get_data(as_text=True)
    assert db.session.scalar(select(Envelope)) is None
