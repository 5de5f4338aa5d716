"""Text hygiene for names shown to people elsewhere: bidi controls out (subjects, manifest), CSV formulas off."""
import re

# Embeddings, overrides, isolates and the implicit marks (LRM, RLM, ALM): enough to make "fdp.exe" read "exe.pdf".
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def strip_bidi(text: str | None) -> str | None:
    """The text without bidirectional control characters (None stays None)."""
    return BIDI_CONTROLS.sub("", text) if text else text


def csv_cell(value):
    """A spreadsheet-safe cell: text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
