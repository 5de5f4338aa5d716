"""The template editor: validated saves as versions, term links, live previews with unknown variables flagged."""
from sqlalchemy import select

from firma.envelopes import create
from firma.models import DocumentTemplate, TemplateVersion
from firma.platform import outbox
from tests.admin_client import post

BODY = "<h1>Contrato</h1><p>{{ cliente.nome }} contrata {{ contrato.plano }}.</p>"


def test_create_edit_and_version(staff, db, make_contract, make_template):
    term = make_template("<p>Termo</p>", kind="term", name="Termo LGPD")
    page = staff.get("/admin/modelos/novo?tipo=contract").get_data(as_text=True)
    assert "cliente.nome" in page and 'hx-trigger="keyup changed delay:700ms, load"' in page
    response = post(staff, "/admin/modelos/novo", {"name": "Contrato Fibra", "kind": "contract", "body": BODY,
                                                   "active": "y", "terms": [term.id], "auto_terms": [term.id]})
    assert response.status_code == 302
    template = db.session.scalar(select(DocumentTemplate).where(DocumentTemplate.name == "Contrato Fibra"))
    assert template.current.number == 1 and template.current.created_by_id == staff.user.id
    assert [(link.term_template_id, link.insert_automatically) for link in template.term_links] == [(term.id, True)]
    # an envelope keeps the version it was made from
    contract = make_contract(template=template)
    envelope = create.create_for_contract(contract)
    outbox.commit()
    first_version_id = envelope.template_version_id
    post(staff, f"/admin/modelos/{template.id}", {"name": "Contrato Fibra", "kind": "contract",
                                                  "body": BODY + "<p>Cláusula nova</p>", "active": "y"})
    db.session.refresh(template)
    assert [v.number for v in template.versions] == [1, 2] and template.term_links == []
    db.session.refresh(envelope)
    assert envelope.template_version_id == first_version_id
    assert db.session.get(TemplateVersion, first_version_id).body == BODY
    # saving the same body again makes no new version
    post(staff, f"/admin/modelos/{template.id}", {"name": "Renomeado", "kind": "contract",
                                                  "body": BODY + "<p>Cláusula nova</p>", "active": "y"})
    db.session.refresh(template)
    assert len(template.versions) == 2 and template.name == "Renomeado"
    assert "Renomeado" in staff.get("/admin/modelos").get_data(as_text=True)


def test_unknown_or_unsafe_variable_is_refused(staff, db):
    response = post(staff, "/admin/modelos/novo", {"name": "X", "kind": "contract",
                                                   "body": "<p>{{ cliente.nmoe }}</p>"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "cliente.nmoe" in body
    response = post(staff, "/admin/modelos/novo", {"name": "X", "kind": "contract",
                                                   "body": "{{ ''.__class__ }}"})
    assert response.status_code == 422
    assert db.session.scalar(select(DocumentTemplate)) is None


def test_live_preview_renders_pages_and_flags_unknown_variables(staff, make_customer):
    customer = make_customer(name="Joana Prévia")
    response = post(staff, "/admin/modelos/previa", {"kind": "contract", "body": BODY,
                                                     "preview_customer_id": customer.id},
                    headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.startswith('<div id="preview"') and "1 página(s)" in html and "cliente.nome" in html
    src = html.split('src="')[1].split('"')[0]
    with staff.get(src) as image:
        assert image.status_code == 200 and image.data[:3] == b"\xff\xd8\xff"
    flagged = post(staff, "/admin/modelos/previa", {"kind": "contract", "body": "{{ contrato.planoo }}"})
    text = flagged.get_data(as_text=True)
    assert "unknown-variable" in text and "contrato.planoo" in text and "contrato.plano" in text
    assert staff.get("/admin/modelos/previa/../../secret.jpg").status_code == 404
