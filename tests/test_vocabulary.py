"""One vocabulary: every code has a pt-BR label, readers show labels (never raw codes), writers use members."""
import ast
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfWriter

from firma.envelopes import create
from firma.envelopes.create import SignerSpec
from firma.evidence import audit, manifest, manifest_pdf, store
from firma.models import (
    Channel, Delivery, DeliveryPurpose, DeliveryStatus, EventType, EvidenceKind, LabelledEnum, SignerStatus, utcnow,
)
from firma.platform.errors import Refusal
from tests.faces import no_face_jpeg as jpeg
from tests.images import signature_png

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for d in ("firma", "signer", "admin", "api", "pages") for p in sorted((ROOT / d).rglob("*.py"))]
ENUMS = LabelledEnum.__subclasses__()
# A value with a dot or an underscore can only be a code; on screen it means a label is missing.
RAW_CODES = sorted({m.value for enum in ENUMS for m in enum if "." in m.value or "_" in m.value})
EVIDENCE_DATA = {
    EvidenceKind.DOCUMENT_FRONT: {"side": "front", "face_found": True},
    EvidenceKind.DOCUMENT_BACK: {"side": "back"},
    EvidenceKind.SELFIE: {"method": "burst"},
    EvidenceKind.LIVENESS: {"passed": True, "challenge": ["turn_left", "blink"], "frames": 8},
    EvidenceKind.FACE_MATCH: {"performed": False, "detail": "não realizada"},
    EvidenceKind.READING: {"seconds_per_page": {"1": 12.5}, "pages": 1, "last_page_reached": True},
    EvidenceKind.SIGNATURE: {"method": "drawn"},
    EvidenceKind.GEOLOCATION: {"status": "not_shared"},
    EvidenceKind.DEVICE: {"ip": "200.10.20.30", "user_agent": "Mozilla/5.0 (Linux; Android 11)"},
    EvidenceKind.CONSENT: {"accepted": True, "text": "Concordo.", "version": "2026-12-01"},
    EvidenceKind.BIOMETRIC_CONSENT: {"granted": True, "text": "Autorizo.", "version": "2026-12-01"},
}


class _Text(HTMLParser):
    """The text a person sees: character data outside <style> and <script>."""

    def __init__(self):
        super().__init__()
        self.parts, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("style", "script")

    def handle_endtag(self, tag):
        self._hidden -= tag in ("style", "script")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def assert_no_raw_code(text: str) -> None:
    shown = [code for code in RAW_CODES if re.search(rf"(?<![\w.]){re.escape(code)}(?![\w.])", text)]
    assert shown == [], f"raw codes on screen: {shown}"


@pytest.fixture()
def full_envelope(db, make_contract):
    """An envelope with one event of every type, one evidence item of every kind and a delivery of every sort."""
    envelope = create.create_for_contract(make_contract(witness=True))
    signer = envelope.signers[0]
    for kind, data in EVIDENCE_DATA.items():
        content = {EvidenceKind.SIGNATURE: (signature_png(), "image/png")}.get(kind)
        if kind in (EvidenceKind.DOCUMENT_FRONT, EvidenceKind.DOCUMENT_BACK, EvidenceKind.SELFIE):
            content = (jpeg(), "image/jpeg")
        store.save(signer, kind, info=audit.SYSTEM, data=data,
                   **({"content": content[0], "content_type": content[1]} if content else {}))
    for event_type in EventType:
        audit.record(envelope, event_type, signer=signer)
    now = utcnow()
    rows = [Delivery(dedupe_key=f"test:{purpose}", channel=Channel.EMAIL, purpose=purpose, target="a@b.test",
                     envelope_id=envelope.id, signer_id=signer.id, status=status, next_attempt_at=now)
            for purpose, status in zip(DeliveryPurpose, DeliveryStatus)]
    rows += [Delivery(dedupe_key=f"test:webhook:{status}", channel=Channel.WEBHOOK, purpose=EventType.SIGNER_SIGNED,
                      target="https://erp.test/hook", envelope_id=envelope.id, status=status)
             for status in DeliveryStatus]
    db.session.add_all(rows)
    db.session.commit()  # not outbox.commit(): the events are test data, their side effects are not wanted
    return envelope


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_every_member_has_a_label_that_is_not_a_code(enum):
    assert len(enum) > 0
    for member in enum:
        assert member.label.strip() and member.label != member.value, member
        assert enum(member.value) is member and member == member.value
    assert len({m.label for m in enum}) == len(enum), f"{enum.__name__} has two members with one label"


def test_choices_keep_the_declaration_order():
    assert list(SignerStatus.choices().items())[:2] == [("pending", "Pendente"), ("sent", "Enviado")]


def test_a_stored_code_loads_as_its_member_and_a_typo_is_refused(db, make_contract):
    envelope = create.create_for_contract(make_contract())
    db.session.commit()
    db.session.expire_all()
    assert envelope.status.label == "Pendente" and envelope.signers[0].role.label == "Cliente"
    envelope.status = "cancelled"  # a plain string becomes the member on assignment
    assert envelope.status.label == "Cancelado"
    with pytest.raises(ValueError):
        envelope.status = "canceled"


def test_the_manifest_shows_every_event_type_and_evidence_kind_by_its_label(full_envelope):
    data = manifest.collect(full_envelope, public_url="https://firma.test")
    assert {e.type for e in data.events} >= set(EventType)
    text = visible(manifest_pdf.manifest_html(data))
    assert_no_raw_code(text)
    missing = [t.label for t in EventType if t.label not in text]
    assert missing == []
    assert "virar o rosto para a esquerda, depois piscar" in text and "assinatura desenhada" in text
    assert "não compartilhada pelo signatário" in text


def test_evidence_json_keeps_the_codes(full_envelope):
    data = manifest.collect(full_envelope, public_url="https://firma.test")
    body = manifest.evidence_json(data, variables={}, template_version=None,
                                  artifacts=manifest.artifacts_of(full_envelope)).decode()
    assert '"type":"signer.liveness"' in body and '"kind":"document_front"' in body
    assert '"signature_method":"drawn"' in body and "Prova de vida realizada" not in body


def test_the_admin_shows_labels_on_every_page(staff, full_envelope):
    page = visible(staff.get(f"/admin/assinaturas/{full_envelope.id}").get_data(as_text=True))
    assert_no_raw_code(page)
    for member in [*EventType, *EvidenceKind, *DeliveryPurpose, *DeliveryStatus]:
        assert member.label in page, member
    assert "Webhook" in page and full_envelope.signers[0].role.label in page
    for url in ("/admin/historico", "/admin/", "/admin/historico.csv"):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert_no_raw_code(visible(response.get_data(as_text=True)))
    csv = staff.get("/admin/historico.csv").get_data(as_text=True)
    assert "Pendente" in csv and "(Pendente)" in csv


def _calls(attr: str, owner: str):
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attr
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == owner):
                yield path.relative_to(ROOT), node


def _member_of(node: ast.expr, enum: type) -> bool:
    return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == enum.__name__ and node.attr in enum.__members__)


def test_every_event_type_written_in_the_code_base_is_a_member():
    calls = list(_calls("record", "audit"))
    assert len(calls) >= len(EventType)
    written = {node.args[1].attr for _, node in calls if _member_of(node.args[1], EventType)}
    bad = [f"{path}:{node.lineno}" for path, node in calls if not _member_of(node.args[1], EventType)]
    assert bad == [], f"audit.record without an EventType member: {bad}"
    assert written == set(EventType.__members__), "an event type nobody writes, or one the enum lacks"


def test_every_evidence_kind_stored_in_the_code_base_is_a_member():
    calls = list(_calls("save", "store"))
    members = {node.args[1].attr for _, node in calls if _member_of(node.args[1], EvidenceKind)}
    # capture.py derives the document side's kind: EvidenceKind(f"document_{side}") checks it as it is built.
    derived = [n for _, n in calls
               if isinstance(n.args[1], ast.Call) and getattr(n.args[1].func, "id", "") == "EvidenceKind"]
    bad = [f"{path}:{node.lineno}" for path, node in calls
           if not _member_of(node.args[1], EvidenceKind) and node not in derived]
    assert bad == [], f"store.save without an EvidenceKind: {bad}"
    assert members | {"DOCUMENT_FRONT", "DOCUMENT_BACK"} == set(EvidenceKind.__members__) and derived


def test_no_event_type_is_spelled_as_a_string_in_the_code_base():
    codes = {t.value for t in EventType}
    spelled = [f"{path.relative_to(ROOT)}:{node.lineno}" for path in SOURCES if path.name != "vocabulary.py"
               for node in ast.walk(ast.parse(path.read_text()))
               if isinstance(node, ast.Constant) and node.value in codes]
    assert spelled == [], f"event types as string literals (use EventType): {spelled}"


def test_an_unknown_signer_channel_or_role_is_refused_with_its_field(db, branch):
    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(595, 842)
    writer.write(out)
    for field, spec in (("channel", SignerSpec(role="client", name="Ana", email="a@b.test", channel="webhook")),
                        ("role", SignerSpec(role="cliente", name="Ana", email="a@b.test"))):
        with pytest.raises(Refusal) as refused:
            create.create_for_upload(out.getvalue(), title="Aditivo", branch=branch, signers=[spec])
        assert refused.value.field == field
        db.session.rollback()
