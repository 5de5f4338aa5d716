"""The template editor: HTML sanitised on save (nh3), terms linked with checkboxes, version history with a diff."""
import re

from sqlalchemy import select

from firma.documents.sanitise import clean_html
from firma.documents.template_history import diff, lines_of
from firma.models import DocumentTemplate, TemplateVersion
from tests.admin_client import post

BODY = "<h1>Contrato</h1><p>{{ cliente.nome }} contrata {{ contrato.plano }}.</p>"


def test_clean_html_keeps_document_markup_and_variables_and_drops_active_content():
    dirty = ('<p class="ql-align-center" style="font-weight:bold" onclick="x()">{{ cliente.nome }}</p>'
             '<script>alert(1)</script><a href="javascript:alert(1)">a</a><img src="x" onerror="y()">'
             '<table><tr><td colspan="2">{% if contrato.plano %}{{ contrato.plano }}{% endif %}</td></tr></table>'
             '<iframe src="https://evil.test"></iframe><!-- note -->')
    clean = clean_html(dirty)
    assert '<p class="ql-align-center" style="font-weight:bold">{{ cliente.nome }}</p>' in clean
    assert '<td colspan="2">{% if contrato.plano %}{{ contrato.plano }}{% endif %}</td>' in clean
    assert clean_html('<p>{% if contrato.valor > 0 %}R$ {{ contrato.valor }}{% endif %} &amp; {# nota #}</p>') == (
        '<p>{% if contrato.valor > 0 %}R$ {{ contrato.valor }}{% endif %} &amp; {# nota #}</p>')
    assert clean_html('<p><a href="{{ filial.site }}">site</a></p>') == '<p><a href="{{ filial.site }}">site</a></p>'
    for bad in ("script", "alert", "onclick", "onerror", "javascript:", "iframe", "note"):
        assert bad not in clean, bad


def test_saved_body_is_sanitised_and_every_version_has_author_and_diff(staff, db):
    response = post(staff, "/admin/modelos/novo", {"name": "Contrato Fibra", "kind": "contract",
                                                    "body": BODY + '<p onclick="steal()">Foro.</p><script>x</script>',
                                                    "active": "y"})
    assert response.status_code == 302
    template = db.session.scalar(select(DocumentTemplate).where(DocumentTemplate.name == "Contrato Fibra"))
    assert template.current.body == BODY + "<p>Foro.</p>"
    only_script = post(staff, f"/admin/modelos/{template.id}", {"name": "Contrato Fibra", "kind": "contract",
                                                                 "body": "<script>x</script>"})
    assert only_script.status_code == 422 and "vazio" in only_script.get_data(as_text=True)
    post(staff, f"/admin/modelos/{template.id}", {"name": "Contrato Fibra", "kind": "contract", "active": "y",
                                                  "body": BODY.replace("contrata", "assina") + "<p>Foro.</p>"})
    db.session.refresh(template)
    assert [v.number for v in template.versions] == [1, 2]
    assert all(v.created_by.email == staff.user.email for v in template.versions)
    page = staff.get(f"/admin/modelos/{template.id}").get_data(as_text=True)
    assert "ver alterações" in page and staff.user.name in page
    version = staff.get(f"/admin/modelos/{template.id}/versoes/2")
    text = version.get_data(as_text=True)
    assert version.status_code == 200 and f"por {staff.user.name}" in text
    assert '<li class="removed">' in text and "contrata" in text.split('class="removed"')[1].split("</li>")[0]
    assert "assina" in text.split('class="added"')[1].split("</li>")[0]
    assert staff.get(f"/admin/modelos/{template.id}/versoes/9").status_code == 404


def test_diff_is_paragraph_by_paragraph():
    old = TemplateVersion(number=1, body="<p>Um</p><p>Dois</p><p>Três</p>")
    new = TemplateVersion(number=2, body="<p>Um</p><p>2</p><p>Três</p>")
    assert lines_of(old.body) == ["<p>Um</p>", "<p>Dois</p>", "<p>Três</p>"]
    assert [(d.kind, d.text) for d in diff(old, new)] == [
        ("same", "<p>Um</p>"), ("removed", "<p>Dois</p>"), ("added", "<p>2</p>"), ("same", "<p>Três</p>")]


def test_terms_are_linked_with_checkboxes(staff, db, make_template):
    term = make_template("<h1>Termo de comodato</h1>", kind="term", name="Comodato")
    page = staff.get("/admin/modelos/novo?tipo=contract").get_data(as_text=True)
    assert f'type="checkbox" name="terms" value="{term.id}"' in page and "<select multiple" not in page
    response = post(staff, "/admin/modelos/novo", {"name": "Com termo", "kind": "contract", "body": BODY,
                                                    "terms": [term.id], "auto_terms": [term.id], "active": "y"})
    assert response.status_code == 302
    template = db.session.scalar(select(DocumentTemplate).where(DocumentTemplate.name == "Com termo"))
    assert [(link.term_template_id, link.insert_automatically) for link in template.term_links] == [(term.id, True)]
    page = staff.get(f"/admin/modelos/{template.id}").get_data(as_text=True)
    assert re.search(rf'name="auto_terms" value="{term.id}"[^>]*checked', page)
