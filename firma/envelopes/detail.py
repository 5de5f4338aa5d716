"""What the envelope page shows per signer: current evidence (images first) and the identity-check verdicts."""
from dataclasses import dataclass

from firma.models import Evidence, EvidenceKind, Signer

IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")


@dataclass(frozen=True)
class Verdict:
    """One identity check in words, with the tone its badge takes (ok, warn, bad)."""

    label: str
    text: str
    tone: str


def current_evidence(signer: Signer) -> list[Evidence]:
    """The signer's evidence that still counts (superseded retakes left out), images first, oldest first."""
    rows = [e for e in signer.evidence if not e.superseded]
    return sorted(rows, key=lambda e: (not is_image(e), e.captured_at, e.id))


def is_image(row: Evidence) -> bool:
    """Whether the evidence file can be shown as a thumbnail."""
    return bool(row.path) and (row.content_type or "") in IMAGE_TYPES


def verdicts(signer: Signer) -> list[Verdict]:
    """The liveness and face-match outcomes of a signer, in pt-BR (nothing when neither was collected)."""
    latest = {e.kind: e for e in sorted(signer.evidence, key=lambda e: e.id) if not e.superseded}
    found = []
    if (row := latest.get(EvidenceKind.LIVENESS)) is not None:
        data = row.data or {}
        if data.get("accepted_fallback"):
            found.append(Verdict("Prova de vida", "não verificada (alternativa aceita)", "warn"))
        elif data.get("passed"):
            found.append(Verdict("Prova de vida", "aprovada", "ok"))
        else:
            found.append(Verdict("Prova de vida", "reprovada", "bad"))
    if (row := latest.get(EvidenceKind.FACE_MATCH)) is not None:
        data = row.data or {}
        if not data.get("performed") or data.get("distance") is None:
            found.append(Verdict("Comparação facial", data.get("detail") or "não realizada", "warn"))
        else:
            same = bool(data.get("same_person"))
            text = f"{'rostos compatíveis' if same else 'rostos diferentes'} (distância {float(data['distance']):.2f}"
            text += f", limite {float(data['threshold']):.2f})" if data.get("threshold") is not None else ")"
            found.append(Verdict("Comparação facial", text, "ok" if same else "bad"))
    return found
