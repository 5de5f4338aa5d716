"""Demo data for `make run`: created once, found again on every later run (nothing duplicated)."""
import io
import math
import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from firma.br.identifiers import format_cpf_cnpj
from firma.envelopes import create, links
from firma.extensions import db
from firma.models import (
    Branch, Contact, Contract, Customer, DocumentTemplate, Envelope, Integration, Organization, Settings,
    SignerRole, TemplateTermLink, TemplateVersion, User,
)
from firma.org import api_tokens
from firma.platform import outbox, tenancy
from firma.platform.tokens import hash_token

ADMIN_EMAIL = "admin@firma.local"
DEMO_INTEGRATION = "Assinatura digital — Fibra Rápida"
CONTRACT_BODY = """<h1>Contrato de prestação de serviço de internet</h1>
<p>Pelo presente instrumento, <strong>{{ filial.nome }}</strong>, CNPJ {{ filial.cnpj }}, doravante PROVEDOR, e
<strong>{{ cliente.nome }}</strong>, CPF/CNPJ {{ cliente.cpf_cnpj }}, residente em {{ cliente.endereco }},
doravante ASSINANTE, contratam o serviço de comunicação multimídia abaixo.</p>
<h2>1. Plano contratado</h2>
<p>Plano <strong>{{ contrato.plano }}</strong>, mensalidade de {{ contrato.valor }} ({{ contrato.valor_extenso }}),
vencimento todo dia {{ contrato.dia_vencimento }}, fidelidade de {{ contrato.fidelidade_meses }} meses, instalação em
{{ contrato.endereco_instalacao }}.</p>
<h2>2. Obrigações</h2>
<p>O PROVEDOR garante a velocidade mínima prevista na regulamentação da Anatel. O ASSINANTE mantém os equipamentos
em comodato em bom estado e os devolve ao fim do contrato.</p>
<p>{{ filial.cidade }}, {{ data.extenso }}.</p>
"""
TERM_BODY = """<h1>Termo de comodato de equipamentos</h1>
<p>{{ cliente.nome }} recebe em comodato um roteador Wi-Fi e uma ONU, de propriedade de {{ filial.nome }}, e se
compromete a devolvê-los ao término do contrato {{ contrato.numero }}.</p>"""


@dataclass
class Login:
    """The demo admin's e-mail and password, printed by `make run`."""

    email: str
    password: str


def _password_file() -> Path:
    return Path(current_app.instance_path) / "demo-admin-password"


def _signature_png(name: str) -> bytes:
    img = Image.new("RGBA", (600, 160), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    points = [(30 + x * 5.4, 90 + 35 * math.sin(x / 6) * math.cos(x / 17)) for x in range(100)]
    draw.line(points, fill=(10, 30, 110, 255), width=5, joint="curve")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


DEMO_CNPJ = "11222333000181"


def organization() -> Organization:
    """The demo organization (provider), created once."""
    row = db.session.scalar(select(Organization).where(Organization.cnpj == DEMO_CNPJ))
    if row is None:
        row = Organization(name="Fibra Rápida Telecom Ltda", cnpj=DEMO_CNPJ)
        db.session.add(row)
        db.session.flush()
    return row


def seed() -> Login:
    """Create the demo organization and its records once; return the admin login (a platform operator too)."""
    with tenancy.scoped(organization().id):
        return _seed()


def _seed() -> Login:
    password_file = _password_file()
    admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    if admin is None:
        password = secrets.token_urlsafe(9)
        password_file.write_text(password)
        admin = User(name="Ana Administradora", email=ADMIN_EMAIL, role="admin", is_operator=True,
                     password_hash=generate_password_hash(password), cpf="39053344705")
        db.session.add(admin)
    representative = _get_or_create(User, email="diretoria@fibrarapida.local", defaults=dict(
        name="Carlos Diretor", role="operator", password_hash=generate_password_hash(secrets.token_urlsafe(16)),
        cpf="11144477735", signature_png=_signature_png("Carlos Diretor"),
        api_token_hash=hash_token(secrets.token_urlsafe(32))))
    Settings.get()
    integration = _get_or_create(Integration, description=DEMO_INTEGRATION, defaults=dict(
        representative=representative, require_document_photo=True, require_selfie=True,
        allowed_origins="http://127.0.0.1:8080", email_subject_client="{{ documento.titulo }}: pronto para assinatura",
        email_body_client="Olá, {{ cliente.nome }}! Assine {{ documento.titulo }} pelo link: {{ link }}",
        whatsapp_text_client="Olá, {{ cliente.nome }}! {{ documento.titulo }} da {{ filial.nome }} está pronto para assinatura: {{ link }}"))
    branch = _get_or_create(Branch, cnpj=DEMO_CNPJ, defaults=dict(
        name="Fibra Rápida Telecom", address="Av. Brasil, 1000 — Centro", city="Campinas", state="SP",
        phone="+551932345678", integration=integration))
    customer = _get_or_create(Customer, cpf_cnpj="52998224725", defaults=dict(
        name="Maria da Silva Souza", email="maria.souza@example.com", phone="+5519987654321", street="Rua das Flores",
        number="123", district="Jardim Primavera", city="Campinas", state="SP", zip_code="13000000"))
    witness = _get_or_create(Contact, name="João Pereira", defaults=dict(
        customer_id=None, cpf="15350946056", email="joao.pereira@example.com"))
    term = _template("Termo de comodato", "term", TERM_BODY)
    template = _template("Contrato de internet residencial", "contract", CONTRACT_BODY)
    if not template.term_links:
        template.term_links.append(TemplateTermLink(term_template=term, insert_automatically=True))
    db.session.flush()
    witness.customer_id = customer.id
    _get_or_create(Contract, number="CT-0001", defaults=dict(
        customer=customer, branch=branch, template=template, plan="Fibra 500 Mega", price=Decimal("99.90"),
        due_day=10, loyalty_months=12, installation_address="Rua das Flores, 123 — Campinas/SP", witness=witness,
        require_selfie="default", require_document_photo="default"))
    outbox.commit()
    return Login(ADMIN_EMAIL, password_file.read_text().strip() if password_file.exists() else "(definida antes)")


def demo_links() -> list[dict]:
    """The demo contract's pending envelope (created on first call) and a fresh link for each signer."""
    with tenancy.scoped(organization().id):
        return _demo_links()


def _demo_links() -> list[dict]:
    contract = db.session.scalar(select(Contract).where(Contract.number == "CT-0001"))
    envelope = db.session.scalar(select(Envelope).where(Envelope.contract_id == contract.id,
                                                        Envelope.status == "pending").order_by(Envelope.id.desc()))
    if envelope is None:
        envelope = create.create_for_contract(contract)
    lines = [{"envelope": envelope.public_code, "title": envelope.title}]
    for signer in envelope.signers:
        url = links.signing_url(links.issue(signer)) if signer.status != "signed" else None
        lines.append({"role": signer.role, "name": signer.name, "cpf": signer.cpf, "status": signer.status,
                      "url": url})
    outbox.commit()
    return lines


def demo_api_token() -> str:
    """A fresh API token for the demo integration (the previous one stops working), for trying the API."""
    integration = db.session.scalar(select(Integration).where(Integration.description == DEMO_INTEGRATION))
    token = api_tokens.rotate_token(integration)
    outbox.commit()
    return token


def guide(login: Login, lines: list[dict], token: str, public_url: str) -> str:
    """What `make run` prints, in pt-BR: the panel's address and login, each signer's link and CPF, the API token."""
    base = public_url.rstrip("/")
    out = [
        "Firma — demonstração pronta.",
        f"Painel da equipe: {base}/admin/",
        f"  e-mail: {login.email}",
        f"  senha:  {login.password}",
        f"Assinatura de demonstração {lines[0]['envelope']} — {lines[0]['title']}",
    ]
    for line in lines[1:]:
        who = f"  {SignerRole(line['role']).label}: {line['name']}"
        cpf = f" (CPF {format_cpf_cnpj(line['cpf'])})" if line.get("cpf") else ""
        out.append(f"{who}{cpf}")
        out.append(f"    link: {line['url']}" if line["url"] else "    já assinou (assinatura automática)")
    out += [
        "API para o ERP (token da integração de demonstração; um novo a cada execução, o anterior é revogado):",
        f"  token: {token}",
        f'  curl -H "Authorization: Bearer {token}" {base}/api/v1/envelopes',
        f"  documentação: {base}/api/v1/openapi.json",
    ]
    return "\n".join(out)


def _template(name: str, kind: str, body: str) -> DocumentTemplate:
    template = _get_or_create(DocumentTemplate, name=name, defaults=dict(kind=kind))
    if not template.versions:
        template.versions.append(TemplateVersion(number=1, body=body))
    return template


def _get_or_create(model, defaults: dict, **keys):
    row = db.session.scalar(select(model).filter_by(**keys))
    if row is None:
        row = model(**keys, **defaults)
        db.session.add(row)
        db.session.flush()
    return row
