"""The values templates see: customer, contract, branch, provider, service order and dates."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import object_session

from firma.br.cep import format_cep
from firma.br.dates import LOCAL_TZ, date_br, to_local
from firma.br.identifiers import format_cpf_cnpj
from firma.br.money import money
from firma.br.phones import format_phone
from firma.br.words import date_words, money_words
from firma.documents.catalogue import CATALOGUE, KIND_NAMESPACES, KIND_PLAIN_VARIABLES
from firma.models import Branch, Contract, Customer, ServiceOrder, Settings


def _customer_address(c: Customer) -> str:
    street = ", ".join(p for p in (c.street, c.number, c.complement) if p)
    place = "/".join(p for p in (c.city, c.state) if p)
    line = " - ".join(p for p in (street, c.district) if p)
    line = ", ".join(p for p in (line, place) if p)
    return f"{line}, CEP {format_cep(c.zip_code)}" if c.zip_code else line


def customer_fields(c: Customer) -> dict[str, str]:
    """The `cliente` namespace: a customer's fields formatted for documents."""
    return {
        "nome": c.name or "",
        "cpf_cnpj": format_cpf_cnpj(c.cpf_cnpj),
        "tipo_pessoa": "Pessoa jurídica" if c.is_company else "Pessoa física",
        "email": c.email or "",
        "telefone": format_phone(c.phone),
        "rg": c.rg or "",
        "data_nascimento": date_br(c.birth_date),
        "endereco": _customer_address(c),
        "logradouro": c.street or "",
        "numero": c.number or "",
        "complemento": c.complement or "",
        "bairro": c.district or "",
        "cidade": c.city or "",
        "uf": c.state or "",
        "cep": format_cep(c.zip_code or ""),
    }


def contract_fields(contract: Contract, now: datetime) -> dict[str, str]:
    """The `contrato` namespace: plan, price (also in words), due day, loyalty and dates."""
    price = contract.price if contract.price is not None else Decimal("0")
    start = contract.created_at or now
    return {
        "numero": contract.number or "",
        "plano": contract.plan or "",
        "valor": money(price),
        "valor_extenso": money_words(price),
        "dia_vencimento": str(contract.due_day or ""),
        "fidelidade_meses": str(contract.loyalty_months if contract.loyalty_months is not None else ""),
        "endereco_instalacao": contract.installation_address or _customer_address(contract.customer),
        "data_inicio": date_br(to_local(start).date()),
    }


def branch_fields(b: Branch) -> dict[str, str]:
    """The `filial` namespace: the branch's name, CNPJ, address and phone, formatted."""
    return {
        "nome": b.name or "",
        "cnpj": format_cpf_cnpj(b.cnpj),
        "endereco": b.address or "",
        "cidade": b.city or "",
        "uf": b.state or "",
        "telefone": format_phone(b.phone),
    }


def date_fields(now: datetime) -> dict[str, str]:
    """The `data` namespace: today in the local time zone, as a date, in words and the hour."""
    local = to_local(now)
    return {"hoje": date_br(local.date()), "extenso": date_words(local.date()), "hora": local.strftime("%H:%M")}


def provider_name(record: Contract | ServiceOrder) -> str:
    """The company name from Settings when the record is in a session, else the branch name."""
    session = object_session(record)
    settings = Settings.find(record.organization_id, session)
    return settings.company_name if settings is not None else (record.branch.name or "")


def contract_context(contract: Contract, now: datetime) -> dict[str, dict[str, str]]:
    """Template context of a contract (and of its terms)."""
    return {
        "cliente": customer_fields(contract.customer),
        "contrato": contract_fields(contract, now),
        "filial": branch_fields(contract.branch),
        "provedor": {"nome": provider_name(contract)},
        "data": date_fields(now),
    }


def service_order_context(order: ServiceOrder, now: datetime) -> dict[str, dict[str, str]]:
    """Template context of a service order; contract fields are empty when it has no contract."""
    contract = (contract_fields(order.contract, now) if order.contract is not None
                else dict.fromkeys(CATALOGUE["contrato"], ""))
    return {
        "cliente": customer_fields(order.customer),
        "contrato": contract,
        "filial": branch_fields(order.branch),
        "provedor": {"nome": provider_name(order)},
        "os": {
            "numero": order.number or "",
            "assunto": order.subject.name if order.subject is not None else "",
            "descricao": order.description or "",
        },
        "data": date_fields(now),
    }


SAMPLE_NOW = datetime(2026, 11, 23, 14, 30, tzinfo=LOCAL_TZ)


def sample_context(kind: str) -> dict:
    """Made-up values of every variable a template of this kind may use, for previews and save-time checks."""
    price = Decimal("99.90")
    context = {
        "cliente": {
            "nome": "Maria da Silva", "cpf_cnpj": "123.456.789-09", "tipo_pessoa": "Pessoa física",
            "email": "maria@example.com", "telefone": "(11) 91234-5678", "rg": "12.345.678-9",
            "data_nascimento": "15/03/1985", "endereco": "Rua das Flores, 123, apto 4 - Centro, São Paulo/SP, "
            "CEP 01234-567", "logradouro": "Rua das Flores", "numero": "123", "complemento": "apto 4",
            "bairro": "Centro", "cidade": "São Paulo", "uf": "SP", "cep": "01234-567",
        },
        "contrato": {
            "numero": "2026-000123", "plano": "Fibra 500 Mega", "valor": money(price),
            "valor_extenso": money_words(price), "dia_vencimento": "10", "fidelidade_meses": "12",
            "endereco_instalacao": "Rua das Flores, 123, apto 4 - Centro, São Paulo/SP, CEP 01234-567",
            "data_inicio": date_br(SAMPLE_NOW.date()),
        },
        "filial": {
            "nome": "Provedor Exemplo - Matriz", "cnpj": "11.222.333/0001-81", "endereco": "Av. Brasil, 1000",
            "cidade": "São Paulo", "uf": "SP", "telefone": "(11) 3333-4444",
        },
        "provedor": {"nome": "Provedor Exemplo"},
        "data": date_fields(SAMPLE_NOW),
        "os": {"numero": "OS-4567", "assunto": "Instalação", "descricao": "Instalação de fibra óptica."},
        "signatario": {"nome": "Maria da Silva", "papel": "Cliente"},
        "documento": {"titulo": "Contrato 2026-000123", "codigo": "FRM-ABCD-EFGH"},
        "link": "https://assinar.example/s/token", "validade": "30/11/2026",
        "verificacao": "https://assinar.example/verificar",
    }
    allowed = KIND_NAMESPACES[kind] | KIND_PLAIN_VARIABLES.get(kind, frozenset())
    return {name: value for name, value in context.items() if name in allowed}


def flatten(context: dict[str, dict[str, str]]) -> dict[str, str]:
    """{"cliente": {"nome": x}} → {"cliente.nome": x}, for evidence records."""
    return {f"{ns}.{field}": value for ns, fields in context.items() for field, value in fields.items()}
