"""Hostile request bodies: wrong types, NUL, NaN, huge or deep values are a 400/422 naming the field, never a 5xx,
and nothing is stored half-way."""
import base64
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from firma.models import Contract, Customer, Envelope, Signer
from firma.org import api_tokens
from firma.platform.outbox import commit
from tests.test_api import CUSTOMER, blank_pdf

RELAXED = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
NUL = st.text(max_size=20).map(lambda s: s[: len(s) // 2] + "\x00" + s[len(s) // 2:])
HUGE = st.integers(min_value=300, max_value=5000).map(lambda n: "x" * n)
WRONG_TYPE = st.one_of(st.integers(), st.booleans(), st.lists(st.text(max_size=3), max_size=3),
                       st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
# A text field refuses all of these; `null` too unless it is nullable.
BAD_TEXT = st.one_of(NUL, HUGE, WRONG_TYPE)


@pytest.fixture()
def send(client, integration, branch, db):
    """Send a body (raw JSON text by default) with the integration's token."""
    token = api_tokens.rotate_token(integration)
    commit()

    def send(method, path, data, content_type="application/json"):
        return client.open(f"/api/v1{path}", method=method, data=data, content_type=content_type,
                           headers={"Authorization": f"Bearer {token}"})

    return send


def refused_naming(response, field):
    """A 422 problem whose `field` is the dotted path of the bad input."""
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.json["field"] == field and response.json["detail"]
    assert {"field": field, "detail": response.json["detail"]} in response.json["errors"]


@RELAXED
@given(field=st.sampled_from(["name", "cpf_cnpj", "street", "city", "state", "zip_code", "email", "phone"]),
       value=BAD_TEXT)
def test_customer_fields_refuse_bad_values(send, field, value):
    response = send("POST", "/customers", json.dumps({**CUSTOMER, field: value}))
    refused_naming(response, field)
    assert Customer.query.count() == 0


@RELAXED
@given(field=st.sampled_from(["name", "cpf_cnpj", "city"]))
def test_null_where_not_allowed_is_refused(send, field):
    refused_naming(send("POST", "/customers", json.dumps({**CUSTOMER, field: None})), field)


@RELAXED
@given(index=st.integers(min_value=0, max_value=2), field=st.sampled_from(["name", "email", "phone", "cpf"]),
       value=BAD_TEXT)
def test_a_bad_signer_field_is_named_by_its_path_and_opens_nothing(send, branch, index, field, value):
    signers = [{"name": f"Pessoa {i}", "email": f"p{i}@example.com", "channel": "email"} for i in range(3)]
    signers[index][field] = value
    response = send("POST", "/envelopes", json.dumps({
        "source": "upload", "branch_id": branch.id, "pdf_base64": base64.b64encode(blank_pdf()).decode(),
        "signers": signers}))
    refused_naming(response, f"signers.{index}.{field}")
    assert Envelope.query.count() == 0 and Signer.query.count() == 0


@RELAXED
@given(value=st.one_of(st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f < 0 or f >= 1e8),
                       st.text(max_size=12).filter(lambda s: not s.replace(",", "").replace(".", "").isdigit()),
                       st.booleans(), st.lists(st.integers(), max_size=2)))
def test_contract_price_out_of_shape_is_refused(send, make_customer, make_template, branch, value):
    customer, template = make_customer(), make_template()
    response = send("POST", "/contracts", json.dumps({
        "number": "HX-1", "customer_cpf_cnpj": customer.cpf_cnpj, "branch_id": branch.id,
        "template_id": template.id, "price": value}))
    refused_naming(response, "price")
    assert Contract.query.count() == 0


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_malformed_json(send, constant):
    response = send("POST", "/contracts", '{"number": "N-1", "price": %s}' % constant)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert Contract.query.count() == 0


@RELAXED
@given(depth=st.integers(min_value=9, max_value=5000), container=st.sampled_from(["[]", "{}"]))
def test_deep_nesting_is_refused_without_a_crash(send, depth, container):
    opening, closing = ('{"a":' * depth, "}" * depth) if container == "{}" else ("[" * depth, "]" * depth)
    response = send("POST", "/customers", '{"name": %s1%s}' % (opening, closing))
    assert response.status_code == 400 and "aninhado" in response.json["detail"]


@RELAXED
@given(text=st.text(max_size=40))
def test_any_text_body_is_a_4xx_problem(send, text):
    response = send("POST", "/batches", text)
    assert 400 <= response.status_code < 500 and response.mimetype == "application/problem+json"


def test_wrong_types_in_nested_and_list_fields(send, branch):
    refused_naming(send("POST", "/batches", json.dumps({"action": "send", "contract_numbers": "CT-1"})),
                   "contract_numbers")
    refused_naming(send("POST", "/batches", json.dumps({"action": "send", "contract_numbers": ["A", 7]})),
                   "contract_numbers.1")
    refused_naming(send("POST", "/batches", json.dumps({"action": "cancel", "contract_numbers": ["A"],
                                                        "params": {"reason": ["x"]}})), "params.reason")
    refused_naming(send("POST", "/customers", json.dumps({**CUSTOMER, "surname": "x"})), "surname")
    refused_naming(send("POST", "/envelopes", json.dumps({"branch_id": "1"})), "branch_id")
    refused_naming(send("POST", "/envelopes", json.dumps({"branch_id": 2**40})), "branch_id")


def test_multipart_data_errors_are_named_under_data(send, branch):
    data = json.dumps({"branch_id": branch.id, "signers": [{"name": "Ana", "email": 5}]})
    response = send("POST", "/envelopes", {"data": data, "pdf": (io.BytesIO(blank_pdf()), "a.pdf")},
                    content_type="multipart/form-data")
    refused_naming(response, "data.signers.0.email")
    malformed = send("POST", "/envelopes", {"data": "{", "pdf": (io.BytesIO(blank_pdf()), "a.pdf")},
                     content_type="multipart/form-data")
    assert malformed.status_code == 400
    assert Envelope.query.count() == 0
