"""schemathesis over the served OpenAPI document: generated requests to every operation, no 5xx, answers as documented.

The schema is loaded from the app itself (WSGI, no network) and every operation gets positive examples (valid
by the schema) and negative ones (invalid by the schema, which must be refused with a 4xx).
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance, negative_data_rejection, not_a_server_error, response_headers_conformance,
    response_schema_conformance, status_code_conformance,
)

from api.openapi import document
from firma.org import api_tokens
from firma.platform.outbox import commit

OPERATIONS = [(path, method) for path, item in document()["paths"].items() for method in item]
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance,
          response_headers_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 15}


@pytest.fixture()
def token(app, integration, branch, make_contract, db):
    """A seeded integration with a branch, a customer and a contract, and its Bearer token."""
    make_contract()
    secret = api_tokens.rotate_token(integration)
    commit()
    return secret


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=lambda m: m.value)
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_generated_requests_get_documented_answers(app, token, path, method, mode):
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[path][method]
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES[mode], deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks)

    run()
