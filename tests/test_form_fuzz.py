"""Every input checked: hostile values in every field (hidden ones included) of every form the signing flow and the
admin render, found by parsing the pages; never a 5xx, and a refused post stores nothing."""
import re
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import urljoin

import pytest
from flask import g
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from firma.envelopes import create
from firma.extensions import db as _db
from firma.models import Event, EventType
from firma.platform.outbox import commit
from tests.admin_client import log_in
from tests.conftest import PASSWORD
from tests.flow import PHONE_UA, client_signer, form_token, link_for, view_document
from tests.images import signature_data_url

FUZZ = settings(max_examples=12, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

HOSTILE = st.one_of(
    st.sampled_from(["", " ", "\x00", "a\x00b", "NaN", "nan", "Infinity", "-Infinity", "1e309", "-1", "0",
                     "99999999999999999999999", "3.5", "[]", "{}", "null", "true", "<script>x</script>",
                     "\u202egnp.exe", "\r\nBcc: x@example.com", "../../etc/passwd", "data:image/png;base64,AAAA",
                     "1" * 300, "x" * 5000, "2026-13-45", "-22.9,-47.0"]),
    st.text(max_size=40),
    st.text(min_size=256, max_size=2000),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.lists(st.text(max_size=12), min_size=2, max_size=3),  # the same field sent several times
)


class Forms(HTMLParser):
    """The POST forms of a page: action and every named field with the value the page put in it."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base, self.forms, self._form, self._select, self._textarea = base, [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = {"action": urljoin(self.base, a.get("action") or self.base), "fields": {}, "files": set()}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind == "file":
                self._form["files"].add(a["name"])
            elif kind in ("checkbox", "radio"):
                self._form["fields"].setdefault(a["name"], a.get("value", "on") if "checked" in a else
                                                a.get("value", "on"))
            elif kind not in ("submit", "button", "reset", "image"):
                self._form["fields"][a["name"]] = a.get("value", "")
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["fields"].setdefault(a["name"], "")
        elif tag == "option" and self._select and (self._form["fields"][self._select] == "" or "selected" in a):
            self._form["fields"][self._select] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form["fields"][a["name"]] = ""

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_of(client, path: str, headers=None) -> list[dict]:
    response = client.get(path, headers=headers or {})
    assert response.status_code == 200, (path, response.status_code)
    parser = Forms("http://localhost" + path)
    parser.feed(response.get_data(as_text=True))
    return parser.forms


def row_counts() -> dict[str, int]:
    _db.session.rollback()
    return {t.name: _db.session.scalar(select(func.count()).select_from(t)) for t in _db.metadata.sorted_tables}


def posted(form: dict, choices: dict) -> dict:
    data = {**form["fields"]}
    for name, value in choices.items():
        data[name] = value
    for name in form["files"]:
        data[name] = (BytesIO(choices.get(name, "x").encode() if isinstance(choices.get(name, "x"), str)
                              else b"x"), "arquivo.bin")
    return data


def fuzz(client, form: dict, headers: dict, data, *, refusal_events=()) -> None:
    """Post one hostile variant of the form; no 5xx, and a refusal changes no row (bar the audited attempts)."""
    names = sorted(set(form["fields"]) | form["files"])
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True)) if names else []
    choices = {name: data.draw(HOSTILE, label=name) for name in chosen}
    before = row_counts()
    events_before = _db.session.scalar(select(func.max(Event.id))) or 0
    response = client.post(form["action"].removeprefix("http://localhost"), data=posted(form, choices),
                           headers=headers)
    assert response.status_code < 500, (form["action"], choices, response.get_data(as_text=True)[:500])
    if response.status_code >= 400:
        after = row_counts()
        new_events = list(_db.session.scalars(select(Event.type).where(Event.id > events_before)))
        assert set(new_events) <= set(refusal_events), (form["action"], choices, new_events)
        after["events"] -= len(new_events)
        assert after == before, (form["action"], choices)


# --- the signing flow ------------------------------------------------------------------------------------

def advance(client, token: str, upto: str) -> None:
    """Walk the real flow up to the step `upto` (its forms are then on the page)."""
    base, headers = f"/s/{token}", {"User-Agent": PHONE_UA}
    ft = form_token(client.get(base, headers=headers).get_data(as_text=True))
    signer_cpf = advance.cpf
    if upto == "welcome":
        return
    client.post(f"{base}/welcome", data={"form_token": ft, "cpf": signer_cpf}, headers=headers)
    if upto == "consent":
        return
    client.post(f"{base}/consent", data={"form_token": ft, "terms": "yes"}, headers=headers)
    if upto == "read":
        return
    view_document(client, base, headers)
    client.post(f"{base}/read", headers=headers, data={"form_token": ft, "have_read": "yes", "reading": '{"1": 3}',
                                                       "last_page_reached": "yes"})
    if upto == "signature":
        return
    client.post(f"{base}/signature", data={"form_token": ft, "signature": signature_data_url()}, headers=headers)


@pytest.mark.parametrize("step", ["welcome", "consent", "read", "signature", "confirm", "decline"])
def test_signing_flow_forms_survive_hostile_values(client, make_contract, db, step):
    envelope = create.create_for_contract(make_contract())
    commit()
    signer = client_signer(envelope)
    token = link_for(signer)
    advance.cpf = signer.cpf
    advance(client, token, "signature" if step == "decline" else step)
    page = f"/s/{token}/decline" if step == "decline" else f"/s/{token}"
    headers = {"User-Agent": PHONE_UA}
    forms = forms_of(client, page, headers)
    assert forms, f"no form on the {step} step"
    if step != "decline":  # the walk really reached the step whose forms are fuzzed
        shown = re.search(r'data-step="(\w+)"', client.get(page, headers=headers).get_data(as_text=True))
        assert shown and shown.group(1) == step, shown and shown.group(1)

    @FUZZ
    @given(data=st.data())
    def run(data):
        for form in forms:
            fuzz(client, form, headers, data, refusal_events=(EventType.SIGNER_IDENTITY_FAILED,))

    run()


# --- the admin -------------------------------------------------------------------------------------------

ADMIN_PAGES = [
    "/admin/clientes/novo", "/admin/clientes/{customer}", "/admin/contatos/novo", "/admin/contratos/novo",
    "/admin/contratos/{contract}", "/admin/ordens/nova", "/admin/assuntos/novo", "/admin/modelos/novo",
    "/admin/modelos/{template}", "/admin/integracoes/nova", "/admin/integracoes/{integration}",
    "/admin/filiais/nova", "/admin/filiais/{branch}", "/admin/usuarios/novo", "/admin/parametros", "/admin/conta",
    "/admin/assinaturas/{envelope}", "/admin/contratos", "/admin/assinaturas/enviar-pdf",
]
NEVER = ("/admin/sair",)  # ends the session the fuzzing needs


@pytest.fixture()
def admin(app, db, make_user, make_contract, integration):
    contract = make_contract()
    envelope = create.create_for_contract(contract)
    commit()
    user = make_user()
    client = app.test_client()
    g.pop("csrf_token", None)
    log_in(client, user.email, PASSWORD)
    client.ids = {"customer": contract.customer_id, "contract": contract.id, "template": contract.template_id,
                  "integration": integration.id, "branch": contract.branch_id, "envelope": envelope.id}
    return client


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_forms_survive_hostile_values(admin, page):
    path = page.format(**admin.ids)
    forms = [f for f in forms_of(admin, path) if not f["action"].endswith(NEVER)]
    assert forms, f"no form on {path}"

    @FUZZ
    @given(data=st.data())
    def run(data):
        for form in forms:
            fuzz(admin, form, {}, data)

    run()
