"""Template HTML as saved from the editor, cleaned by nh3 (Ammonia): document markup only, no scripts or events."""
import re
import secrets

import nh3

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s", "sub", "sup", "small",
    "span", "div", "section", "header", "footer", "blockquote", "pre", "code", "ul", "ol", "li", "dl", "dt", "dd",
    "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td", "a", "img", "figure",
    "figcaption",
}
COMMON = {"class", "style", "id", "title", "lang", "dir"}
ATTRIBUTES = {
    "*": COMMON,
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align", "valign", "width"},
    "th": {"colspan", "rowspan", "align", "valign", "width", "scope"},
    "col": {"span", "width"},
    "table": {"width", "border", "cellpadding", "cellspacing"},
    "ol": {"start", "type"},
}
# PDFs are rendered offline (WeasyPrint's fetcher allows data: only); links in a contract may be http(s) or mailto.
SCHEMES = {"http", "https", "mailto", "data"}


# Jinja tags stay exactly as typed (the cleaner would escape `>` in `{% if a > b %}`); their output is
# autoescaped by the sandbox, which allows no `safe` filter.
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def clean_html(body: str) -> str:
    """The body with every tag, attribute and URL scheme outside the document allow-list removed."""
    kept: list[str] = []
    marker = f"firmajinja{secrets.token_hex(6)}x"

    def hide(match: re.Match) -> str:
        kept.append(match.group(0))
        return f"{marker}{len(kept) - 1}z"

    cleaned = nh3.clean(JINJA.sub(hide, body), tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES,
                        link_rel=None, strip_comments=True)
    return re.sub(rf"{marker}(\d+)z", lambda m: kept[int(m.group(1))], cleaned)
