"""A template's version history: who saved each version, when, and what changed (difflib, line by line)."""
import difflib
import re
from dataclasses import dataclass

from firma.models import DocumentTemplate, TemplateVersion

BLOCK_END = re.compile(r"(</(?:p|h[1-6]|li|tr|table|ul|ol|div|blockquote|section)>|<br\s*/?>)", re.I)


@dataclass(frozen=True)
class DiffLine:
    """One line of a diff: `kind` is "added", "removed", "same" or "gap" (unchanged lines left out)."""

    kind: str
    text: str


def lines_of(body: str) -> list[str]:
    """The body cut after each block element, so a diff reads paragraph by paragraph."""
    return [line.strip() for line in BLOCK_END.sub(r"\1\n", body).splitlines() if line.strip()]


def version(template: DocumentTemplate, number: int) -> TemplateVersion | None:
    """The template's version with that number, or None."""
    return next((v for v in template.versions if v.number == number), None)


def diff(old: TemplateVersion | None, new: TemplateVersion) -> list[DiffLine]:
    """What `new` changed against `old` (everything added when there is no earlier version)."""
    before, after = lines_of(old.body) if old else [], lines_of(new.body)
    out = []
    for group in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_grouped_opcodes(2):
        if out:
            out.append(DiffLine("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [DiffLine("same", t) for t in before[i1:i2]]
                continue
            out += [DiffLine("removed", t) for t in before[i1:i2]]
            out += [DiffLine("added", t) for t in after[j1:j2]]
    return out
