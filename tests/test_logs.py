"""JSON logs: one line per request and per job, a request id carried into jobs and webhooks, no CPF or token."""
import io
import json
import logging

import pytest

from firma.envelopes import create
from firma.platform import logs
from firma.platform.outbox import commit
from tests.flow import client_signer, link_for, sign
from tests.http_stub import HttpStub


class Captured(logging.Handler):
    """Keeps every record and its formatted JSON line."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.setFormatter(logs.JsonFormatter())
        self.records, self.stream = [], io.StringIO()

    def emit(self, record):
        self.records.append(record)
        self.stream.write(self.format(record) + "\n")

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture()
def captured():
    handler, root = Captured(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def formatted_cpf(cpf: str) -> str:
    return f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"


def test_a_signing_flow_logs_ids_and_never_the_cpf_or_link_token(client, make_contract, integration, db, captured):
    with HttpStub() as erp:
        integration.webhook_url, integration.webhook_secret = f"{erp.url}/hooks", "whsec_logs"
        db.session.commit()
        envelope = create.create_for_contract(make_contract())
        commit()
        signer = client_signer(envelope)
        token = link_for(signer)
        opened = client.get(f"/s/{token}", headers={"X-Request-Id": "erp-abc.123"})
        assert opened.headers["X-Request-Id"] == "erp-abc.123"
        sign(client, signer, token=token)
        assert envelope.status == "completed"
        hooks = list(erp.requests)
    text = captured.stream.getvalue()
    for secret in (token, signer.cpf, formatted_cpf(signer.cpf)):
        assert secret not in text
    assert all(token not in json.dumps(vars(r), default=str) for r in captured.records)  # not even before scrubbing
    lines = captured.lines()
    requests = [line for line in lines if line["logger"] == "firma.request"]
    opened_line = next(line for line in requests if line["request_id"] == "erp-abc.123")
    assert opened_line["path"] == "/s/<token>" and opened_line["status"] == 200 and opened_line["method"] == "GET"
    assert opened_line["envelope"] == envelope.public_code and opened_line["integration"] == integration.id
    assert isinstance(opened_line["duration_ms"], float)
    confirm = next(line for line in requests if line["path"] == "/s/<token>/confirm")
    finalise = next(line for line in lines if line.get("job") == "envelope.finalise")
    assert finalise["request_id"] == confirm["request_id"] and finalise["outcome"] == "done"
    assert finalise["envelope_id"] == envelope.id
    assert hooks and {h.headers["X-Request-Id"] for h in hooks} >= {confirm["request_id"]}
    assert len({line["request_id"] for line in requests}) == len(requests)  # a new id for every request


@pytest.mark.parametrize("sent", ["", "x" * 65, "has space", "a\"b", "<script>", "ação"])
def test_an_odd_request_id_is_replaced_by_a_fresh_one(client, sent):
    answered = client.get("/healthz", headers={"X-Request-Id": sent} if sent else {})
    rid = answered.headers["X-Request-Id"]
    assert rid != sent and len(rid) == 16 and int(rid, 16) >= 0


def test_paths_lose_tokens_and_cpf_cnpj_values():
    assert logs.safe_path("/s/abcDEF123/confirm", {"mode": "s", "token": "abcDEF123"}) == "/s/<token>/confirm"
    assert logs.safe_path("/embed/zz-9/read") == "/embed/<token>/read"
    assert logs.safe_path("/api/v1/customers/52998224725", {"cpf_cnpj": "52998224725"}) == \
        "/api/v1/customers/<cpf_cnpj>"
    assert logs.safe_path("/api/v1/portal/customers/12.ABC.345%2F01DE-35/documents") == \
        "/api/v1/portal/customers/<cpf_cnpj>/documents"
    assert logs.scrub("cliente 529.982.247-25 e 11222333000181") == "cliente <cpf_cnpj> e <cpf_cnpj>"
    assert logs.scrub("envelope FRM-AB12-CD34 em 12.5 ms") == "envelope FRM-AB12-CD34 em 12.5 ms"


def test_the_formatter_writes_one_json_object_with_extras():
    record = logging.makeLogRecord({"name": "firma.test", "levelname": "INFO", "levelno": 20, "msg": "olá %s",
                                    "args": ("mundo",), "envelope": "FRM-1"})
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == "olá mundo" and line["envelope"] == "FRM-1" and line["level"] == "info"
    assert "\n" not in logs.JsonFormatter().format(record)
