"""Page previews: small progressive JPEGs, rendered once per PDF, never stale, safe under concurrent requests."""
import threading

import pytest
from PIL import Image

from firma.documents.previews import preview_pdf_bytes
from firma.documents.rendering import render_pdf


def pdf_with(pages: int, text: str) -> bytes:
    body = "".join(f'<h1 style="break-before: page">{text} {n}</h1>' for n in range(pages))
    return render_pdf(body, title="t", branch_name="Net", branch_cnpj="11222333000181", public_code="P-1")


@pytest.fixture(scope="module")
def three_pages() -> bytes:
    return pdf_with(3, "Primeiro")


def test_each_page_becomes_a_small_progressive_jpeg(tmp_path, three_pages):
    source = tmp_path / "doc.pdf"
    source.write_bytes(three_pages)
    paths = preview_pdf_bytes(source.read_bytes(), tmp_path / "cache")
    assert len(paths) == 3
    for path in paths:
        with Image.open(path) as image:
            assert image.format == "JPEG"
            assert image.width == 900
            assert image.height == pytest.approx(900 * 297 / 210, abs=2)  # A4 proportions
            assert image.info.get("progressive") == 1
        assert path.stat().st_size < 60_000
        assert (tmp_path / "cache") in path.parents


def test_second_call_reuses_the_images(tmp_path, three_pages):
    source = tmp_path / "doc.pdf"
    source.write_bytes(three_pages)
    first = preview_pdf_bytes(source.read_bytes(), tmp_path / "cache")
    stamps = [p.stat().st_mtime_ns for p in first]
    second = preview_pdf_bytes(source.read_bytes(), tmp_path / "cache")
    assert second == first
    assert [p.stat().st_mtime_ns for p in second] == stamps


def test_a_different_pdf_never_shows_stale_pages(tmp_path, three_pages):
    source = tmp_path / "doc.pdf"
    source.write_bytes(three_pages)
    old = preview_pdf_bytes(source.read_bytes(), tmp_path / "cache")
    source.write_bytes(pdf_with(2, "Segundo"))  # same path, new content
    new = preview_pdf_bytes(source.read_bytes(), tmp_path / "cache")
    assert len(new) == 2
    assert not set(new) & set(old)
    assert new[0].read_bytes() != old[0].read_bytes()


def test_width_is_part_of_the_cache_key(tmp_path, three_pages):
    narrow = preview_pdf_bytes(three_pages, tmp_path, 400)
    wide = preview_pdf_bytes(three_pages, tmp_path, 900)
    with Image.open(narrow[0]) as a, Image.open(wide[0]) as b:
        assert (a.width, b.width) == (400, 900)


def test_an_interrupted_render_is_completed_on_the_next_call(tmp_path, three_pages):
    paths = preview_pdf_bytes(three_pages, tmp_path, 600)
    (paths[0].parent / "pages.json").unlink()
    paths[2].unlink()
    again = preview_pdf_bytes(three_pages, tmp_path, 600)
    assert again == paths and all(p.exists() for p in again)


def test_concurrent_requests_get_complete_images(tmp_path, three_pages):
    results: list[list] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(preview_pdf_bytes(three_pages, tmp_path, 500))
        except BaseException as exc:  # surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(r == results[0] for r in results) and len(results) == 4
    for path in results[0]:
        with Image.open(path) as image:
            image.load()
    assert not list(tmp_path.rglob("*.part"))
