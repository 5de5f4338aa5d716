"""Request helpers of every API view: parse a body or query into its model, answer a model, map errors to problems.

Bodies are read in two passes: `json.loads` refuses what is not plain JSON (NaN, Infinity, too deep) with a 400,
then pydantic validates the same text in strict mode, so every type, size or choice error is a 422 naming the
field as a dotted path.
"""
import json
from typing import TypeVar

from flask import Response, jsonify, request
from pydantic import BaseModel, ValidationError

from firma.evidence.audit import RequestInfo
from firma.extensions import db
from firma.platform import clients
from firma.platform.errors import Refusal, problem

from . import bp
from .fields import MAX_ID, NO_NUL

Model = TypeVar("Model", bound=BaseModel)
MAX_DEPTH = 8  # the deepest body (an envelope's signers) is three levels


class NotFound(LookupError):
    """Nothing with that key is visible to this integration (404)."""


class Malformed(ValueError):
    """The body is not plain JSON (400)."""


class Invalid(ValueError):
    """The body or query does not fit its model (422); `errors` are (dotted field, pt-BR detail) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors[0][1])
        self.errors = errors


def _refuse_constant(name: str):
    raise Malformed(f"JSON inválido: {name} não é um número aceito.")


def _depth(value) -> int:
    """How many arrays/objects deep `value` goes (iteratively: a deep value must not exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _plain_json(text: str) -> None:
    """Refuse NaN/Infinity and nesting deeper than MAX_DEPTH before pydantic sees the text."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise Malformed(f"JSON aninhado demais (máximo {MAX_DEPTH} níveis).") from None
    except ValueError as exc:
        raise exc if isinstance(exc, Malformed) else Malformed("O corpo do pedido não é JSON válido.") from None
    if _depth(value) > MAX_DEPTH:
        raise Malformed(f"JSON aninhado demais (máximo {MAX_DEPTH} níveis).")


MESSAGES = {
    "missing": "Campo obrigatório.",
    "extra_forbidden": "Campo ou parâmetro desconhecido.",
    "string_type": "Deve ser texto.",
    "int_type": "Deve ser um número inteiro.",
    "int_parsing": "Deve ser um número inteiro.",
    "int_from_float": "Deve ser um número inteiro.",
    "bool_type": "Deve ser verdadeiro ou falso (true/false).",
    "list_type": "Deve ser uma lista.",
    "model_type": "Deve ser um objeto JSON.",
    "model_attributes_type": "Deve ser um objeto JSON.",
    "dict_type": "Deve ser um objeto JSON.",
    "date_type": "Deve ser uma data (AAAA-MM-DD).",
    "date_from_datetime_parsing": "Deve ser uma data (AAAA-MM-DD).",
    "date_parsing": "Deve ser uma data (AAAA-MM-DD).",
    "json_invalid": "O corpo do pedido não é JSON válido.",
}


def _detail(error: dict) -> str:
    """A pydantic error in pt-BR."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == NO_NUL:
        return "O caractere NUL (\\u0000) não é aceito."
    if kind == "string_too_long":
        return f"No máximo {ctx['max_length']} caracteres."
    if kind == "string_too_short":
        return "Não pode ficar vazio."
    if kind == "too_long":
        return f"No máximo {ctx['max_length']} itens."
    if kind == "too_short":
        return f"Ao menos {ctx['min_length']} item."
    if kind == "literal_error":
        return f"Use um destes valores: {ctx['expected'].replace(' or ', ', ')}."
    if kind in ("greater_than_equal", "less_than_equal"):
        return "Número fora do intervalo permitido."
    if kind in MESSAGES:
        return MESSAGES[kind]
    return error["msg"] if kind == "price" else "Valor inválido."


def _invalid(exc: ValidationError, prefix: str = "") -> Invalid:
    return Invalid([(prefix + ".".join(str(part) for part in e["loc"]), _detail(e)) for e in exc.errors()])


def parse_json(model: type[Model], text: str, *, prefix: str = "") -> Model:
    """`text` (a JSON object) as `model`; an empty text is an empty object. Malformed (400) or Invalid (422)."""
    text = text.strip() or "{}"
    _plain_json(text)
    try:
        return model.model_validate_json(text, strict=True)
    except ValidationError as exc:
        raise _invalid(exc, prefix) from None


def body(model: type[Model]) -> Model:
    """The request's JSON body as `model`."""
    if request.get_data() and not request.is_json:
        raise Malformed("Envie o corpo em JSON (Content-Type: application/json).")
    return parse_json(model, request.get_data(as_text=True))


def query(model: type[Model]) -> Model:
    """The request's query string as `model` (first value of each parameter)."""
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise _invalid(exc) from None


def key(value: str, max_length: int) -> str:
    """A path segment used as a lookup key; one that no row can have (NUL, over-long) is a 404."""
    if len(value) > max_length or "\x00" in value:
        raise NotFound("Recurso não encontrado.")
    return value


def row_id(value: int) -> int:
    """A numeric path segment; one beyond an INTEGER column is a 404 rather than a database error."""
    if not 0 < value <= MAX_ID:
        raise NotFound("Recurso não encontrado.")
    return value


def info() -> RequestInfo:
    """Who is calling, for the audit trail."""
    return RequestInfo(ip=request.remote_addr, user_agent=f"API: {request.headers.get('User-Agent', '')}"[:300],
                       port=clients.source_port())


def answer(model: BaseModel, *, status: int = 200, location: str | None = None) -> Response:
    """`model` as the JSON response, with a Location for what was created."""
    response = jsonify(model.model_dump(mode="json"))
    response.status_code = status
    if location:
        response.headers["Location"] = location
    return response


@bp.errorhandler(Refusal)
def refused(exc: Refusal):
    """A domain refusal (422): the request was understood but cannot be carried out."""
    db.session.rollback()
    extra = {"field": exc.field} if exc.field else {}
    return problem(422, exc.message, title="Não foi possível concluir", **extra)


@bp.errorhandler(Invalid)
def invalid(exc: Invalid):
    """A body or query that does not fit its schema (422), naming the first field and listing all."""
    db.session.rollback()
    first_field, first_detail = exc.errors[0]
    extra = {"field": first_field} if first_field else {}
    return problem(422, first_detail, title="Dados inválidos", **extra,
                   errors=[{"field": f, "detail": d} for f, d in exc.errors])


@bp.errorhandler(Malformed)
def malformed(exc: Malformed):
    """A body that is not plain JSON (400)."""
    return problem(400, str(exc), title="Pedido inválido")


@bp.errorhandler(NotFound)
def not_found(exc: NotFound):
    """Unknown, or another integration's (404)."""
    return problem(404, str(exc) or "Recurso não encontrado.")
