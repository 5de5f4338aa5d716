"""Sandboxed document templates: the variable catalogue, save-time validation, rendering and contexts."""
from __future__ import annotations

import difflib
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import jinja2
from jinja2 import StrictUndefined, nodes
from jinja2.filters import FILTERS
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy.orm import object_session

from .models import Branch, Contract, Customer, ServiceOrder, Settings
from .validators import digits, format_cpf_cnpj, format_phone

# Dates in documents are the ISP's local dates, not UTC.
LOCAL_TZ = ZoneInfo("America/Sao_Paulo")

CATALOGUE: dict[str, dict[str, str]] = {
    "cliente": {
        "nome": "Nome completo ou razão social do cliente",
        "cpf_cnpj": "CPF ou CNPJ formatado (123.456.789-09 ou 12.345.678/0001-95)",
        "tipo_pessoa": "Pessoa física ou Pessoa jurídica",
        "email": "E-mail do cliente",
        "telefone": "Celular no formato nacional, ex. (11) 91234-5678",
        "rg": "RG do cliente",
        "data_nascimento": "Data de nascimento (dd/mm/aaaa)",
        "endereco": "Endereço completo em uma linha",
        "logradouro": "Rua, avenida etc.",
        "numero": "Número do endereço",
        "complemento": "Complemento do endereço",
        "bairro": "Bairro",
        "cidade": "Cidade",
        "uf": "Estado (sigla)",
        "cep": "CEP formatado (01234-567)",
    },
    "contrato": {
        "numero": "Número do contrato",
        "plano": "Nome do plano contratado",
        "valor": "Valor mensal formatado, ex. R$ 99,90",
        "valor_extenso": "Valor mensal por extenso, ex. noventa e nove reais e noventa centavos",
        "dia_vencimento": "Dia do vencimento da fatura",
        "fidelidade_meses": "Prazo de fidelidade em meses",
        "endereco_instalacao": "Endereço de instalação (ou o endereço do cliente)",
        "data_inicio": "Data de início do contrato (dd/mm/aaaa)",
    },
    "filial": {
        "nome": "Nome da filial",
        "cnpj": "CNPJ da filial formatado",
        "endereco": "Endereço da filial",
        "cidade": "Cidade da filial",
        "uf": "Estado da filial (sigla)",
        "telefone": "Telefone da filial",
    },
    "provedor": {
        "nome": "Nome do provedor (Parâmetros gerais)",
    },
    "os": {
        "numero": "Número da ordem de serviço",
        "assunto": "Assunto da ordem de serviço",
        "descricao": "Descrição da ordem de serviço",
    },
    "data": {
        "hoje": "Data de hoje (dd/mm/aaaa)",
        "extenso": "Data de hoje por extenso, ex. 23 de novembro de 2026",
        "hora": "Hora atual (hh:mm)",
    },
}

# Which namespaces each template kind may use; `os` exists only for service orders.
KIND_NAMESPACES: dict[str, frozenset[str]] = {
    "contract": frozenset(CATALOGUE) - {"os"},
    "term": frozenset(CATALOGUE) - {"os"},
    "service_order": frozenset(CATALOGUE),
}
KIND_LABELS = {"contract": "contrato", "term": "termo", "service_order": "ordem de serviço"}

ALLOWED_FILTERS = ("default", "lower", "replace", "round", "title", "trim", "upper")
LOOP_FIELDS = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length"})

# Expression and statement nodes that cannot reach anything outside the context by themselves.
_PASSIVE = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.If, nodes.CondExpr, nodes.And,
    nodes.Or, nodes.Not, nodes.Compare, nodes.Operand, nodes.Concat, nodes.Keyword,
)
_REFUSED_NAMES = {
    nodes.Include: "{% include %}", nodes.Import: "{% import %}", nodes.FromImport: "{% from ... import %}",
    nodes.Extends: "{% extends %}", nodes.Macro: "{% macro %}", nodes.CallBlock: "{% call %}",
    nodes.Block: "{% block %}", nodes.Assign: "{% set %}", nodes.AssignBlock: "{% set %}",
    nodes.With: "{% with %}", nodes.FilterBlock: "{% filter %}", nodes.Call: "chamada de função",
    nodes.Test: "teste com «is»", nodes.BinExpr: "operação aritmética", nodes.UnaryExpr: "operação aritmética",
    nodes.List: "listas", nodes.Tuple: "listas", nodes.Dict: "dicionários",
}


class TemplateError(ValueError):
    """A template that may not be saved or rendered; the message is for staff, in pt-BR."""

    def __init__(self, message: str, variable: str | None = None, line: int | None = None) -> None:
        if line:
            message = f"{message} (linha {line})"
        super().__init__(message)
        self.variable = variable
        self.line = line


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    env.filters = {name: FILTERS[name] for name in ALLOWED_FILTERS}
    env.tests = {}
    env.globals = {}
    return env


_ENV = _environment()


def _suggest(word: str, candidates: list[str]) -> str:
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f" (você quis dizer {match[0]}?)" if match else ""


def _all_variables(namespaces: frozenset[str]) -> list[str]:
    return [f"{ns}.{field}" for ns in sorted(namespaces) for field in CATALOGUE[ns]]


class _Checker:
    """Walks a parsed template and refuses anything outside the catalogue and the safe node set."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.namespaces = KIND_NAMESPACES[kind]
        self.used: set[str] = set()

    def check(self, node: nodes.Node, scope: frozenset[str]) -> None:
        if isinstance(node, nodes.Name):
            self._name(node, scope)
        elif isinstance(node, (nodes.Getattr, nodes.Getitem)):
            self._attribute(node, scope)
        elif isinstance(node, nodes.Filter):
            self._filter(node, scope)
        elif isinstance(node, nodes.For):
            self._for(node, scope)
        elif isinstance(node, _PASSIVE):
            for child in node.iter_child_nodes():
                self.check(child, scope)
        else:
            what = next((label for cls, label in _REFUSED_NAMES.items() if isinstance(node, cls)), None)
            what = what or type(node).__name__
            raise TemplateError(f"Recurso não permitido em modelos: {what}", line=node.lineno)

    def _name(self, node: nodes.Name, scope: frozenset[str]) -> None:
        if node.name.startswith("_"):
            raise TemplateError(f"Acesso não permitido: {node.name}", variable=node.name, line=node.lineno)
        if node.name in scope:
            return
        if node.name in self.namespaces:
            example = f"{node.name}.{next(iter(CATALOGUE[node.name]))}"
            raise TemplateError(
                f"Use um campo de {node.name}, por exemplo {{{{ {example} }}}}", variable=node.name, line=node.lineno
            )
        self._unknown_name(node)

    def _unknown_name(self, node: nodes.Name) -> None:
        if node.name in CATALOGUE:
            raise TemplateError(
                f"As variáveis de {node.name} só podem ser usadas em modelos de ordem de serviço",
                variable=node.name, line=node.lineno,
            )
        hint = _suggest(node.name, sorted(self.namespaces))
        if not hint:
            fields = [v for v in _all_variables(self.namespaces) if v.split(".")[1] == node.name]
            hint = f" (você quis dizer {fields[0]}?)" if fields else ""
        raise TemplateError(
            f"Variável desconhecida: {{{{ {node.name} }}}}{hint}", variable=node.name, line=node.lineno
        )

    def _attribute(self, node: nodes.Getattr | nodes.Getitem, scope: frozenset[str]) -> None:
        if isinstance(node, nodes.Getitem):
            if not (isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str)):
                raise TemplateError("Acesso com índice não permitido; use nome.campo", line=node.lineno)
            field = node.arg.value
        else:
            field = node.attr
        base = node.node
        base_name = base.name if isinstance(base, nodes.Name) else None
        dotted = f"{base_name}.{field}" if base_name else field
        if field.startswith("_") or (base_name or "").startswith("_"):
            raise TemplateError(f"Acesso não permitido: {dotted}", variable=dotted, line=node.lineno)
        if base_name == "loop" and "loop" in scope:
            if field not in LOOP_FIELDS:
                raise TemplateError(f"Campo desconhecido: loop.{field}", variable=dotted, line=node.lineno)
            return
        if base_name is None or base_name in scope:
            raise TemplateError(
                f"Acesso não permitido: .{field} só vale para variáveis do catálogo", variable=field,
                line=node.lineno,
            )
        if base_name not in self.namespaces:
            self._unknown_name(base)
        if field not in CATALOGUE[base_name]:
            hint = _suggest(dotted, _all_variables(self.namespaces))
            raise TemplateError(f"Variável desconhecida: {{{{ {dotted} }}}}{hint}", variable=dotted, line=node.lineno)
        self.used.add(dotted)

    def _filter(self, node: nodes.Filter, scope: frozenset[str]) -> None:
        if node.name not in ALLOWED_FILTERS:
            hint = _suggest(node.name, list(ALLOWED_FILTERS))
            allowed = ", ".join(ALLOWED_FILTERS)
            raise TemplateError(
                f"Filtro desconhecido: |{node.name}{hint}; filtros permitidos: {allowed}",
                variable=node.name, line=node.lineno,
            )
        if node.dyn_args or node.dyn_kwargs:
            raise TemplateError("Argumentos variáveis não são permitidos em filtros", line=node.lineno)
        for child in node.iter_child_nodes():
            self.check(child, scope)

    def _for(self, node: nodes.For, scope: frozenset[str]) -> None:
        self.check(node.iter, scope)
        target = node.target
        targets = [target.name] if isinstance(target, nodes.Name) else [n.name for n in target.find_all(nodes.Name)]
        for name in targets:
            if name.startswith("_") or name in CATALOGUE:
                raise TemplateError(f"Nome de variável de laço não permitido: {name}", variable=name,
                                    line=node.lineno)
        inner = scope | set(targets) | {"loop"}
        for child in [*node.body, *node.else_, *([node.test] if node.test else [])]:
            self.check(child, inner)


def _parse(body: str) -> nodes.Template:
    try:
        return _ENV.parse(body)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"Erro de sintaxe no modelo: {exc.message}", line=exc.lineno) from None


def validate_template(body: str, kind: str = "contract") -> set[str]:
    """Dotted catalogue variables a template uses; raises TemplateError for anything unsafe or unknown."""
    if kind not in KIND_NAMESPACES:
        raise ValueError(f"unknown template kind: {kind}")
    checker = _Checker(kind)
    checker.check(_parse(body), frozenset())
    return checker.used


@lru_cache(maxsize=256)
def _compiled(body: str, kind: str) -> tuple[jinja2.Template, frozenset[str]]:
    used = validate_template(body, kind)
    return _ENV.from_string(body), frozenset(used)


def render_body(body: str, context: dict) -> str:
    """HTML of a template body rendered in the sandbox; context values are always escaped text."""
    template, _ = _compiled(body, "service_order" if "os" in context else "contract")
    try:
        return template.render(context)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"Não foi possível preencher o modelo: {exc.message}") from None
    except (TypeError, ValueError) as exc:  # e.g. |round applied to text
        raise TemplateError(f"Não foi possível preencher o modelo: {exc}") from None


def used_variables(body: str, kind: str) -> frozenset[str]:
    """The variables of a (valid) body, from the compile cache."""
    return _compiled(body, kind)[1]


# --- values -----------------------------------------------------------------------------------

_UNITS = ("zero um dois três quatro cinco seis sete oito nove dez onze doze treze quatorze quinze "
          "dezesseis dezessete dezoito dezenove").split()
_TENS = "_ _ vinte trinta quarenta cinquenta sessenta setenta oitenta noventa".split()
_HUNDREDS = ("_ cento duzentos trezentos quatrocentos quinhentos seiscentos setecentos oitocentos "
             "novecentos").split()
_SCALES = (("", ""), ("mil", "mil"), ("milhão", "milhões"), ("bilhão", "bilhões"))
MONTHS = ("janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro "
          "dezembro").split()


def _below_thousand(n: int) -> str:
    if n == 100:
        return "cem"
    parts = []
    if n >= 100:
        parts.append(_HUNDREDS[n // 100])
        n %= 100
    if n >= 20:
        parts.append(_TENS[n // 10])
        n %= 10
    if n or not parts:
        parts.append(_UNITS[n])
    return " e ".join(parts)


def number_words(n: int) -> str:
    """Cardinal number in pt-BR words, e.g. 1234 → "mil duzentos e trinta e quatro"."""
    if n < 1000:
        return _below_thousand(n)
    groups = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    words: list[str] = []
    for scale in range(len(groups) - 1, -1, -1):
        group = groups[scale]
        if not group:
            continue
        singular, plural = _SCALES[scale]
        if scale == 1 and group == 1:
            text = "mil"
        else:
            text = " ".join(filter(None, (_below_thousand(group), singular if group == 1 else plural)))
        # "e" joins the last non-zero group when it is below 100 or a round hundred: "mil e cem",
        # "dois milhões e quinhentos mil".
        if words and not any(groups[:scale]) and (group < 100 or group % 100 == 0):
            words.append("e")
        words.append(text)
    return " ".join(words)


def money(value: Decimal) -> str:
    """Brazilian currency: R$ 1.234,56."""
    cents = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{cents:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"R$ {text}"


def money_words(value: Decimal) -> str:
    """Currency in words: "noventa e nove reais e noventa centavos"."""
    cents_total = int(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)
    reais, cents = divmod(cents_total, 100)
    parts = []
    if reais:
        words = number_words(reais)
        # "um milhão de reais", but "um milhão e cem reais".
        de = " de" if reais >= 1_000_000 and reais % 1_000_000 == 0 else ""
        parts.append(f"{words}{de} {'real' if reais == 1 else 'reais'}")
    if cents:
        parts.append(f"{number_words(cents)} {'centavo' if cents == 1 else 'centavos'}")
    return " e ".join(parts) or "zero reais"


def date_br(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def date_words(value: date) -> str:
    """Long date: "23 de novembro de 2026" ("1º de" on the first day, as in legal text)."""
    day = "1º" if value.day == 1 else str(value.day)
    return f"{day} de {MONTHS[value.month - 1]} de {value.year}"


def _local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TZ) if moment.tzinfo else moment


def _zip(value: str) -> str:
    d = digits(value)
    return f"{d[:5]}-{d[5:]}" if len(d) == 8 else value


def _customer_address(c: Customer) -> str:
    street = ", ".join(p for p in (c.street, c.number, c.complement) if p)
    place = "/".join(p for p in (c.city, c.state) if p)
    line = " - ".join(p for p in (street, c.district) if p)
    line = ", ".join(p for p in (line, place) if p)
    return f"{line}, CEP {_zip(c.zip_code)}" if c.zip_code else line


def customer_fields(c: Customer) -> dict[str, str]:
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
        "cep": _zip(c.zip_code or ""),
    }


def contract_fields(contract: Contract, now: datetime) -> dict[str, str]:
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
        "data_inicio": date_br(_local(start).date()),
    }


def branch_fields(b: Branch) -> dict[str, str]:
    return {
        "nome": b.name or "",
        "cnpj": format_cpf_cnpj(b.cnpj),
        "endereco": b.address or "",
        "cidade": b.city or "",
        "uf": b.state or "",
        "telefone": format_phone(b.phone),
    }


def date_fields(now: datetime) -> dict[str, str]:
    local = _local(now)
    return {"hoje": date_br(local.date()), "extenso": date_words(local.date()), "hora": local.strftime("%H:%M")}


def provider_name(record: Contract | ServiceOrder) -> str:
    """The company name from Settings when the record is in a session, else the branch name."""
    session = object_session(record)
    settings = session.get(Settings, 1) if session is not None else None
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


def sample_context(kind: str) -> dict[str, dict[str, str]]:
    """Made-up values for previewing a template before any customer exists."""
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
    }
    if "os" in KIND_NAMESPACES[kind]:
        context["os"] = {"numero": "OS-4567", "assunto": "Instalação", "descricao": "Instalação de fibra óptica."}
    return context


def flatten(context: dict[str, dict[str, str]]) -> dict[str, str]:
    """{"cliente": {"nome": x}} → {"cliente.nome": x}, for evidence records."""
    return {f"{ns}.{field}": value for ns, fields in context.items() for field, value in fields.items()}


def catalogue_markdown() -> str:
    """docs/template-variables.md, generated from CATALOGUE so the two never drift apart."""
    lines = [
        "# Variáveis dos modelos",
        "",
        "<!-- Generated by firma.templating.catalogue_markdown(); do not edit by hand. -->",
        "",
        "Use as variáveis entre chaves duplas, por exemplo `{{ cliente.nome }}`. Uma variável desconhecida é",
        "recusada ao salvar o modelo. Os valores do cliente entram sempre como texto (nunca como HTML).",
        "",
        f"Filtros permitidos: {', '.join(f'`{f}`' for f in ALLOWED_FILTERS)}, por exemplo "
        "`{{ cliente.nome|upper }}`. Também são permitidos `{% if %}` e `{% for %}`.",
        "",
    ]
    for ns, fields in CATALOGUE.items():
        kinds = [KIND_LABELS[k] for k, allowed in KIND_NAMESPACES.items() if ns in allowed]
        lines += [f"## `{ns}`", "", f"Disponível em: {', '.join(kinds)}.", "", "| Variável | Descrição |",
                  "|---|---|"]
        lines += [f"| `{{{{ {ns}.{field} }}}}` | {text} |" for field, text in fields.items()]
        lines.append("")
    return "\n".join(lines)
