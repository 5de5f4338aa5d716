"""The OpenAPI 3.1 document of /api/v1, assembled from the pydantic models and served at /api/v1/openapi.json.

Why pydantic's own `models_json_schema` and not spectree, flask-openapi3 or apispec: OpenAPI 3.1's schema
dialect *is* JSON Schema 2020-12, which pydantic emits directly, so the components need no translation layer.
The three libraries each want to own the route (their own blueprint/decorator that validates and answers
errors in their format), which would sit between our `@require_integration` and `@idempotent` and replace the
problem+json 422 naming a dotted field; apispec would add a third-party pydantic plugin and docstring YAML. Here
the views parse with `shared.body(Model)` explicitly, and this module is only a table of paths pointing at the
same models: one description of each resource, no decorator magic.
"""
from functools import cache

from flask import jsonify
from pydantic.json_schema import models_json_schema

from . import bp
from .bodies import (
    BatchInput, CancelInput, ContractInput, CustomerInput, CustomerQuery, EnvelopeInput, EnvelopeQuery, PreviewInput,
    ResendInput, ReviewInput, SignerUpdate, TemplateQuery,
)
from .fields import NO_NUL
from .schemas import (
    Batch, Contract, Customer, CustomerPage, Deliveries, Envelope, EnvelopePage, PortalDocuments, Preview, Problem,
    Signer, SyncResult, Template, TemplatePage,
)

REF = "#/components/schemas/{model}"
BODIES = (CustomerInput, ContractInput, PreviewInput, EnvelopeInput, CancelInput, ResendInput, SignerUpdate,
          BatchInput, ReviewInput)
RESOURCES = (Problem, Customer, CustomerPage, Contract, Template, TemplatePage, Preview, Envelope, EnvelopePage,
             Signer, Deliveries, SyncResult, Batch, PortalDocuments)


def components() -> dict:
    """JSON Schemas of every body (as validated) and resource (as serialised), keyed by model name."""
    _, schemas = models_json_schema([(m, "validation") for m in BODIES] + [(m, "serialization") for m in RESOURCES],
                                    ref_template=REF)
    return schemas["$defs"]


def ref(model) -> dict:
    """A reference to the model's component schema."""
    return {"$ref": REF.format(model=model.__name__)}


def _not_null(schema: dict) -> dict:
    """A query value is text or absent, never JSON null: keep the non-null branch of an optional field."""
    branches = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    plain = {k: v for k, v in schema.items() if k not in ("anyOf", "default") or (k == "default" and v is not None)}
    return {**plain, **branches[0]} if len(branches) == 1 else plain


def query_parameters(model) -> list[dict]:
    """The query model's fields as OpenAPI query parameters."""
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required, "schema": _not_null(prop)}
            for name, prop in schema["properties"].items()]


def json_body(model) -> dict:
    """A JSON request or response content of `model`."""
    return {"content": {"application/json": {"schema": ref(model)}}}


def reply(description: str, model=None) -> dict:
    """A response, with a JSON body of `model` when it has one."""
    return {"description": description, **(json_body(model) if model else {})}


PROBLEM = {"content": {"application/problem+json": {"schema": ref(Problem)}}}
ERRORS = {code: {"description": text, **PROBLEM} for code, text in (
    ("400", "Pedido malformado (JSON inválido, NaN/Infinity, aninhado demais, Content-Type errado)"),
    ("401", "Token ausente ou inválido"), ("404", "Não encontrado"),
    ("409", "Conflito (pendente ou em andamento)"), ("413", "Corpo grande demais"),
    ("422", "Dados inválidos (campo em `field`, caminho com pontos) ou não foi possível concluir"),
    ("429", "Muitas requisições"))}
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False,
               "schema": {"type": "string", "maxLength": 200, "pattern": NO_NUL},
               "description": "Repetir a mesma chave com o mesmo corpo devolve a mesma resposta."}


def op(summary: str, responses: dict, *, body=None, query=None, path: tuple = (), post: bool = False) -> dict:
    """One operation: its responses plus every error, its parameters and its body (a model or a content map)."""
    operation = {"summary": summary, "responses": {**responses, **ERRORS}}
    parameters = [*path, *(query_parameters(query) if query else []), *([IDEMPOTENCY] if post else [])]
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {"required": False, **(body if isinstance(body, dict) else json_body(body))}
    return operation


def path_param(name: str, schema: dict | None = None) -> dict:
    """A required path segment."""
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}


CODE, NUMBER, CPF_CNPJ = path_param("code"), path_param("number"), path_param("cpf_cnpj")
INTEGER = {"type": "integer"}
MULTIPART = {"multipart/form-data": {"schema": {"type": "object", "properties": {
    "pdf": {"type": "string", "format": "binary"},
    "data": {"type": "string", "description": "EnvelopeInput em JSON (sem pdf_base64)"}}}}}
# OpenAPI 3.1: binary content is described by its media type alone, without a schema.
DOCUMENT = {"description": "PDF (original, final) ou JSON (manifest)",
            "content": {"application/pdf": {}, "application/json": {"schema": {"type": "object"}}}}


def paths() -> dict:
    """Every path of /api/v1 and its operations."""
    return {
        "/customers": {
            "get": op("Listar clientes", {"200": reply("Página de clientes", CustomerPage)}, query=CustomerQuery),
            "post": op("Criar ou atualizar cliente pelo CPF/CNPJ", {
                "200": reply("Atualizado", Customer), "201": reply("Criado", Customer)},
                body=CustomerInput, post=True)},
        "/customers/{cpf_cnpj}": {"get": op("Cliente pelo CPF/CNPJ", {"200": reply("Cliente", Customer)},
                                            path=(CPF_CNPJ,))},
        "/contracts": {"post": op("Criar contrato (envia para assinatura conforme a integração)", {
            "201": reply("Criado", Contract)}, body=ContractInput, post=True)},
        "/contracts/{number}": {
            "get": op("Contrato e seu envelope mais recente", {"200": reply("Contrato", Contract)}, path=(NUMBER,)),
            "patch": op("Atualizar contrato", {"200": reply("Contrato", Contract)}, body=ContractInput,
                        path=(NUMBER,))},
        "/templates": {"get": op("Listar modelos", {"200": reply("Página de modelos", TemplatePage)},
                                 query=TemplateQuery)},
        "/templates/{template_id}/preview": {"post": op("Pré-visualizar modelo (HTML)", {
            "200": reply("HTML preenchido", Preview)}, path=(path_param("template_id", INTEGER),), body=PreviewInput,
            post=True)},
        "/envelopes": {
            "get": op("Listar envelopes", {"200": reply("Página de envelopes", EnvelopePage)}, query=EnvelopeQuery),
            "post": op("Criar envelope (contrato, termo, OS ou PDF enviado)", {"201": reply("Criado", Envelope)},
                       body={"content": {**json_body(EnvelopeInput)["content"], **MULTIPART}}, post=True)},
        "/envelopes/{code}": {"get": op("Envelope com situação por signatário", {"200": reply("Envelope", Envelope)},
                                        path=(CODE,))},
        "/envelopes/{code}/cancel": {"post": op("Cancelar envelope", {"200": reply("Cancelado", Envelope)},
                                                path=(CODE,), body=CancelInput, post=True)},
        "/envelopes/{code}/review": {"post": op("Decidir a revisão manual da identificação (aprovar ou reprovar)", {
            "200": reply("Decidido", Envelope)}, path=(CODE,), body=ReviewInput, post=True)},
        "/envelopes/{code}/resend": {"post": op("Reenviar link (novo link; o anterior deixa de valer)", {
            "202": reply("Envios enfileirados", Deliveries)}, path=(CODE,), body=ResendInput, post=True)},
        "/envelopes/{code}/signers/{signer_id}": {"patch": op("Atualizar contato do signatário e reenviar", {
            "200": reply("Signatário", Signer)}, path=(CODE, path_param("signer_id", INTEGER)), body=SignerUpdate)},
        "/envelopes/{code}/sync": {"post": op("Sincronizar situação", {"200": reply("Resultado", SyncResult)},
                                              path=(CODE,), post=True)},
        "/envelopes/{code}/documents/{document}": {"get": op("Baixar documento", {"200": DOCUMENT}, path=(
            CODE, path_param("document", {"type": "string", "enum": ["original", "final", "manifest"]})))},
        "/batches": {"post": op("Iniciar operação em lote", {"202": reply("Lote criado", Batch)}, body=BatchInput,
                                post=True)},
        "/batches/{batch_id}": {"get": op("Acompanhar lote", {"200": reply("Lote", Batch)},
                                          path=(path_param("batch_id", INTEGER),))},
        "/portal/customers/{cpf_cnpj}/documents": {"get": op(
            "Central do Assinante: pendentes (com link de incorporação novo) e assinados (com download)",
            {"200": reply("Documentos do cliente", PortalDocuments)}, path=(CPF_CNPJ,))},
    }


@cache
def document() -> dict:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Firma API", "version": "1.0.0",
                 "description": "API REST para ERPs de provedores. Autenticação: Bearer com o token da integração. "
                                "Erros em application/problem+json. Webhooks: veja docs/webhooks.md."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": components()},
        "paths": paths(),
    }


@bp.get("/openapi.json")
def openapi():
    """The document itself (no token needed: it describes, it does not reveal)."""
    return jsonify(document())
