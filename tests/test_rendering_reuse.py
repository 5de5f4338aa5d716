"""What a worker reuses between renders: its thread's fonts (a page declaring its own @font-face never changes the
documents rendered after it) and the documents' parsed typography (pixel for pixel the same as inlined)."""
import base64
import hashlib
import threading
from io import BytesIO
from pathlib import Path

import pypdfium2
import weasyprint
from pypdf import PdfReader

from firma.documents import rendering

SERIF = Path("/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf")


def _fonts(pdf: bytes) -> set[str]:
    page = PdfReader(BytesIO(pdf)).pages[0]
    return {str(font["/BaseFont"]).split("+")[-1] for font in page["/Resources"]["/Font"].values()}


def _page(body: str, style: str = "") -> str:
    return rendering.document_html(body, title="T", branch_name="Fibra", branch_cnpj="11222333000181",
                                   public_code="FRM-TEST-FONT").replace("</style>", style + "</style>")


def test_the_thread_keeps_its_font_configuration_but_a_page_with_its_own_fonts_gets_a_fresh_one():
    plain = _page("<p>texto</p>")
    assert rendering._font_config(plain) is rendering._font_config(plain)
    other = []
    thread = threading.Thread(target=lambda: other.append(rendering._font_config(plain)))
    thread.start()
    thread.join()
    assert other[0] is not rendering._font_config(plain)  # threads never share one
    assert rendering._font_config(_page("", "@font-face { font-family: X; }")) is not rendering._font_config(plain)


def test_a_page_declaring_a_font_face_does_not_change_the_next_document():
    naming = _page('<p style="font-family: Hostil, \'DejaVu Sans\'">Contrato de prestação de serviços</p>')
    before = _fonts(rendering.html_to_pdf(naming)[0])
    data = base64.b64encode(SERIF.read_bytes()).decode()
    hostile = _page('<p style="font-family: Hostil">Contrato</p>',
                    f"@font-face {{ font-family: Hostil; src: url(data:font/ttf;base64,{data}); }}")
    assert "Hostil" in _fonts(rendering.html_to_pdf(hostile)[0])  # the declaration took effect there
    after = _fonts(rendering.html_to_pdf(naming)[0])
    assert after == before and "Hostil" not in after


def _pixels(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    return [hashlib.sha256(document[i].render(scale=1.5).to_pil().tobytes()).hexdigest() for i in range(len(document))]


def test_the_typography_parsed_once_renders_as_the_same_css_inlined():
    body = ("<h1>Contrato</h1>" + "<p>Cláusula com texto justificado e hifenização automática.</p>" * 40
            + '<h2>Anexo</h2><ul><li>item</li></ul><table><tr><th>a</th><td style="color: #c00">b</td></tr></table>'
            + '<section class="term"><h1 class="term-title">Termo</h1><p>texto</p></section>')
    page = _page(body)
    assert "hyphens" not in page  # the typography really is outside the page
    inline = weasyprint.HTML(string=rendering.standalone_html(page)).write_pdf()
    reused = rendering.html_to_pdf(page, stylesheets=(rendering.document_css(),))[0]
    assert len(_pixels(reused)) >= 2 and _pixels(reused) == _pixels(inline)
