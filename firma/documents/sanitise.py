"""Template HTML as saved from the editor, cleaned by nh3 (Ammonia): document markup only, no scripts or events."""
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


def clean_html(body: str) -> str:
    """The body with every tag, attribute and URL scheme outside the document allow-list removed."""
    return nh3.clean(body, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES, link_rel=None,
                     strip_comments=True)
