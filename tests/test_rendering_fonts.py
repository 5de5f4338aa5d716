"""Each worker thread sets WeasyPrint's fonts up once, and a page that declares its own @font-face never changes
the fonts of the documents rendered after it."""
import base64
import threading
from io import BytesIO
from pathlib import Path

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
