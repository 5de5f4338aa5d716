"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json and checked against real responses."""
from functools import cache

S, I, B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
NS, NI, NB = {"type": ["string", "null"]}, {"type": ["integer", "null"]}, {"type": ["boolean", "null"]}
TIME = {"type": ["string", "null"], "format": "date-time"}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": properties, "required": required or list(properties)}


def page_of(name: str) -> dict:
    return obj({"data": {"type": "array", "items": ref(name)}, "next_cursor": NS})


SCHEMAS = {
    "Problem": {"type": "object", "required": ["title", "status", "detail"],
                "properties": {"type": S, "title": S, "status": I, "detail": S, "field": S}},
    "Customer": obj({"id": I, "name": S, "cpf_cnpj": S, "email": NS, "phone": NS, "street": S, "number": S,
                     "complement": S, "district": S, "city": S, "state": S, "zip_code": S, "created_at": TIME}),
    "CustomerInput": {"type": "object", "required": ["name", "cpf_cnpj"], "properties": {
        "name": S, "cpf_cnpj": S, "email": S, "phone": {"type": "string", "description": "E.164 ou nacional"},
        "street": S, "number": S, "complement": S, "district": S, "city": S, "state": S, "zip_code": S}},
    "Contract": obj({
        "id": I, "number": S, "status": {"enum": ["draft", "awaiting_signature", "active", "cancelled"]},
        "customer_cpf_cnpj": S, "branch_id": I, "template_id": I, "plan": S, "price": S, "due_day": I,
        "loyalty_months": I, "installation_address": S, "use_digital_signature": B, "activate_on_signature": B,
        "require_selfie": {"enum": ["default", "yes", "no"]}, "require_document_photo": {"enum": ["default", "yes", "no"]},
        "activated_at": TIME, "created_at": TIME, "updated_at": TIME,
        "envelope": {"oneOf": [ref("Envelope"), {"type": "null"}]}}),
    "ContractInput": {"type": "object", "properties": {
        "number": S, "customer_cpf_cnpj": S, "branch_id": I, "template_id": I, "plan": S,
        "price": {"type": ["string", "number"]}, "due_day": I, "loyalty_months": I, "installation_address": S,
        "use_digital_signature": B, "activate_on_signature": B, "require_selfie": {"enum": ["default", "yes", "no"]},
        "require_document_photo": {"enum": ["default", "yes", "no"]}}},
    "Template": obj({"id": I, "name": S, "kind": {"enum": ["contract", "term", "service_order"]}, "active": B,
                     "version": NI}),
    "Preview": obj({"template_id": I, "version": I, "html": S}),
    "EvidenceSummary": obj({"collected": {"type": "array", "items": S}, "geolocation": NS,
                            "liveness_passed": NB, "document_sha256_seen": NS}),
    "Signer": obj({
        "id": I, "role": {"enum": ["client", "client_witness", "provider_representative", "provider_witness",
                                   "validator"]},
        "name": S, "email": NS, "phone": NS, "channel": {"enum": ["email", "whatsapp", "portal", "automatic"]},
        "status": {"enum": ["pending", "sent", "viewed", "signed", "declined", "expired"]}, "order": I,
        "require_document_photo": B, "require_selfie": B, "require_geolocation": B, "viewed_at": TIME,
        "signed_at": TIME, "declined_at": TIME, "decline_reason": NS, "reminders_sent": I, "last_sent_at": TIME,
        "evidence": ref("EvidenceSummary")}),
    "SignerInput": {"type": "object", "required": ["name"], "properties": {
        "role": S, "name": S, "cpf": S, "email": S, "phone": S, "channel": {"enum": ["email", "whatsapp", "portal"]},
        "require_document_photo": B, "require_selfie": B, "require_geolocation": B}},
    "Envelope": {**obj({
        "id": I, "public_code": S, "kind": {"enum": ["contract", "term", "service_order", "upload"]}, "title": S,
        "status": {"enum": ["pending", "completed", "cancelled", "expired", "declined"]}, "contract_number": NS,
        "service_order_number": NS, "original_sha256": S, "final_sha256": NS,
        "finalise_state": {"enum": ["none", "running", "done", "failed"]}, "expires_at": TIME, "created_at": TIME,
        "completed_at": TIME, "cancelled_at": TIME, "cancel_reason": NS,
        "documents": obj({"original": S, "final": NS, "manifest": NS}),
        "signers": {"type": "array", "items": ref("Signer")}}), "required": [
        "id", "public_code", "kind", "title", "status", "original_sha256", "finalise_state", "documents"]},
    "EnvelopeInput": {"type": "object", "properties": {
        "source": {"enum": ["contract", "term", "service_order", "upload"]}, "contract_number": S, "term_id": I,
        "service_order_number": S, "branch_id": I, "title": S, "pdf_base64": {"type": "string",
                                                                               "contentEncoding": "base64"},
        "signers": {"type": "array", "items": ref("SignerInput")},
        "send": {"type": "boolean", "default": True}}},
    "Deliveries": obj({"deliveries": {"type": "array", "items": obj({"id": I, "signer_id": I, "channel": S,
                                                                       "status": S})}}),
    "SyncResult": obj({"envelope": ref("Envelope"), "actions": {"type": "array", "items": S},
                       "pending_signer_ids": {"type": "array", "items": I}, "message": S}),
    "Batch": obj({"id": I, "action": {"enum": ["send", "cancel", "update_contacts_resend", "check_status"]},
                  "status": S, "total": I, "processed": I,
                  "items": {"type": "object", "additionalProperties": I}, "created_at": TIME, "finished_at": TIME,
                  "url": S}),
    "BatchInput": {"type": "object", "required": ["action", "contract_numbers"], "properties": {
        "action": {"enum": ["send", "cancel", "update_contacts_resend", "check_status"]},
        "contract_numbers": {"type": "array", "items": S}, "params": {"type": "object"}}},
    "PortalDocuments": obj({"cpf_cnpj": S, "pending": {"type": "array", "items": {
        "type": "object", "required": ["public_code", "title", "status", "embed_url", "expires_at"],
        "properties": {"public_code": S, "title": S, "status": S, "created_at": TIME, "embed_url": S,
                       "expires_at": TIME}}},
        "signed": {"type": "array", "items": {
            "type": "object", "required": ["public_code", "title", "status", "download_url"],
            "properties": {"public_code": S, "title": S, "status": S, "created_at": TIME, "download_url": S,
                           "completed_at": TIME}}}}),
}


def json_body(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def answer(description: str, schema: dict | None = None) -> dict:
    return {"description": description, **(json_body(schema) if schema else {})}


PROBLEM = {"content": {"application/problem+json": {"schema": ref("Problem")}}}
ERRORS = {code: {"description": text, **PROBLEM} for code, text in (
    ("400", "Pedido inválido"), ("401", "Token ausente ou inválido"), ("404", "Não encontrado"),
    ("409", "Conflito (pendente ou em andamento)"), ("422", "Não foi possível concluir"))}
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string",
               "maxLength": 200}, "description": "Repetir a mesma chave com o mesmo corpo devolve a mesma resposta."}
PAGE = [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
        {"name": "cursor", "in": "query", "schema": S}]


def op(summary: str, responses: dict, *, body: dict | None = None, params: list | None = None,
       post: bool = False) -> dict:
    operation = {"summary": summary, "responses": {**responses, **ERRORS}}
    parameters = list(params or []) + ([IDEMPOTENCY] if post else [])
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {"required": True, **body}
    return operation


def path_param(name: str, schema: dict = S) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema}


CODE = path_param("code")
# OpenAPI 3.1: binary content is described by its media type alone, without a schema.
PDF = {"content": {"application/pdf": {}}}


@cache
def document() -> dict:
    paths = {
        "/customers": {
            "get": op("Listar clientes", {"200": answer("Página de clientes", page_of("Customer"))},
                      params=[*PAGE, {"name": "cpf_cnpj", "in": "query", "schema": S}]),
            "post": op("Criar ou atualizar cliente pelo CPF/CNPJ", {
                "200": answer("Atualizado", ref("Customer")), "201": answer("Criado", ref("Customer"))},
                body=json_body(ref("CustomerInput")), post=True)},
        "/customers/{cpf_cnpj}": {"get": op("Cliente pelo CPF/CNPJ", {"200": answer("Cliente", ref("Customer"))},
                                            params=[path_param("cpf_cnpj")])},
        "/contracts": {"post": op("Criar contrato (envia para assinatura conforme a integração)", {
            "201": answer("Criado", ref("Contract"))}, body=json_body(ref("ContractInput")), post=True)},
        "/contracts/{number}": {
            "get": op("Contrato e seu envelope mais recente", {"200": answer("Contrato", ref("Contract"))},
                      params=[path_param("number")]),
            "patch": op("Atualizar contrato", {"200": answer("Contrato", ref("Contract"))},
                        body=json_body(ref("ContractInput")), params=[path_param("number")])},
        "/templates": {"get": op("Listar modelos", {"200": answer("Página de modelos", page_of("Template"))},
                                 params=[*PAGE, {"name": "kind", "in": "query", "schema": S}])},
        "/templates/{template_id}/preview": {"post": op("Pré-visualizar modelo (HTML)", {
            "200": answer("HTML preenchido", ref("Preview"))}, params=[path_param("template_id", I)],
            body=json_body({"type": "object", "properties": {"contract_number": S}}), post=True)},
        "/envelopes": {
            "get": op("Listar envelopes", {"200": answer("Página de envelopes", page_of("Envelope"))},
                      params=[*PAGE, {"name": "status", "in": "query", "schema": S},
                              {"name": "contract_number", "in": "query", "schema": S}]),
            "post": op("Criar envelope (contrato, termo, OS ou PDF enviado)", {
                "201": answer("Criado", ref("Envelope"))}, post=True, body={"content": {
                    "application/json": {"schema": ref("EnvelopeInput")},
                    "multipart/form-data": {"schema": {"type": "object", "properties": {
                        "pdf": {"type": "string", "format": "binary"},
                        "data": {"type": "string", "description": "EnvelopeInput em JSON"}}}}}})},
        "/envelopes/{code}": {"get": op("Envelope com situação por signatário", {
            "200": answer("Envelope", ref("Envelope"))}, params=[CODE])},
        "/envelopes/{code}/cancel": {"post": op("Cancelar envelope", {"200": answer("Cancelado", ref("Envelope"))},
                                                params=[CODE], post=True, body=json_body(obj({"reason": S})))},
        "/envelopes/{code}/resend": {"post": op("Reenviar link (novo link; o anterior deixa de valer)", {
            "202": answer("Envios enfileirados", ref("Deliveries"))}, params=[CODE], post=True,
            body=json_body({"type": "object", "properties": {"signer_id": I, "channel": S}}))},
        "/envelopes/{code}/signers/{signer_id}": {"patch": op("Atualizar contato do signatário e reenviar", {
            "200": answer("Signatário", ref("Signer"))}, params=[CODE, path_param("signer_id", I)],
            body=json_body({"type": "object", "properties": {"email": NS, "phone": NS, "channel": S,
                                                             "resend": B}}))},
        "/envelopes/{code}/sync": {"post": op("Sincronizar situação", {"200": answer("Resultado", ref("SyncResult"))},
                                              params=[CODE], post=True)},
        "/envelopes/{code}/documents/{document}": {"get": op("Baixar documento", {
            "200": {"description": "PDF (original, final) ou JSON (manifest)",
                    "content": {**PDF["content"], "application/json": {"schema": {"type": "object"}}}}},
            params=[CODE, path_param("document", {"enum": ["original", "final", "manifest"]})])},
        "/batches": {"post": op("Iniciar operação em lote", {"202": answer("Lote criado", ref("Batch"))},
                                body=json_body(ref("BatchInput")), post=True)},
        "/batches/{batch_id}": {"get": op("Acompanhar lote", {"200": answer("Lote", ref("Batch"))},
                                          params=[path_param("batch_id", I)])},
        "/portal/customers/{cpf_cnpj}/documents": {"get": op(
            "Central do Assinante: pendentes (com link de incorporação novo) e assinados (com download)",
            {"200": answer("Documentos do cliente", ref("PortalDocuments"))}, params=[path_param("cpf_cnpj")])},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Firma API", "version": "1.0.0",
                 "description": "API REST para ERPs de provedores. Autenticação: Bearer com o token da integração. "
                                "Erros em application/problem+json. Webhooks: veja docs/webhooks.md."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
        "paths": paths,
    }
