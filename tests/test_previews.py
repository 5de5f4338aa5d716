"""Template previews: small progressive JPEGs in storage (disk and S3), rendered once per PDF, never stale, safe
under concurrent requests."""
import threading
from io import BytesIO

import pytest
from PIL import Image

from firma.documents.previews import preview_folder, preview_pages
from firma.documents.rendering import render_pdf
from firma.platform import storage


def pdf_with(pages: int, text: str) -> bytes:
    body = "".join(f'<h1 style="break-before: page">{text} {n}</h1>' for n in range(pages))
    return render_pdf(body, title="t", branch_name="Net", branch_cnpj="11222333000181", public_code="P-1")


@pytest.fixture(scope="module")
def three_pages() -> bytes:
    return pdf_with(3, "Primeiro")


@pytest.fixture(params=["disk", "s3"])
def on_store(request, app, tmp_path):
    """The session app's storage pointed, for one test, at a fresh local folder or SeaweedFS prefix."""
    saved = {key: app.config.get(key) for key in ("STORAGE_URL", "S3_ENDPOINT_URL")}
    if request.param == "disk":
        app.config.update(STORAGE_URL=(tmp_path / "storage").as_uri(), S3_ENDPOINT_URL=None)
    else:
        request.getfixturevalue("s3_storage")
    with app.app_context():
        yield storage.backend()
    app.config.update(saved)


def image(relpath: str) -> Image.Image:
    return Image.open(BytesIO(storage.read(relpath)))


def test_each_page_becomes_a_small_progressive_jpeg_in_storage(on_store, three_pages):
    names = preview_pages(three_pages, "7")
    assert len(names) == 3
    for name in names:
        assert name.startswith("cache/previews/7/") and name.endswith(".jpg")
        with image(name) as page:
            assert page.format == "JPEG"
            assert page.width == 900
            assert page.height == pytest.approx(900 * 297 / 210, abs=2)  # A4 proportions
            assert page.info.get("progressive") == 1
        assert len(storage.read(name)) < 60_000
    assert not any(key.startswith("cache/") for key in storage.keys())  # a cache, not evidence


def test_second_call_reuses_the_images(on_store, three_pages):
    first = preview_pages(three_pages, "7")
    stored = {name: storage.read(name) for name in first}
    with storage.open_file(first[0]) as before:
        etag = before.etag
    assert preview_pages(three_pages, "7") == first
    assert {name: storage.read(name) for name in first} == stored
    with storage.open_file(first[0]) as after:
        assert after.etag == etag


def test_a_different_pdf_never_shows_stale_pages(on_store, three_pages):
    old = preview_pages(three_pages, "7")
    new = preview_pages(pdf_with(2, "Segundo"), "7")
    assert len(new) == 2
    assert not set(new) & set(old)
    assert storage.read(new[0]) != storage.read(old[0])


def test_width_and_organization_are_part_of_the_cache_key(on_store, three_pages):
    narrow = preview_pages(three_pages, "7", 400)
    wide = preview_pages(three_pages, "7", 900)
    other = preview_pages(three_pages, "8", 400)
    with image(narrow[0]) as a, image(wide[0]) as b:
        assert (a.width, b.width) == (400, 900)
    assert not set(other) & set(narrow) and all(name.startswith("cache/previews/8/") for name in other)


def test_the_index_is_trusted_and_an_interrupted_render_is_completed_on_the_next_call(app, tmp_path, three_pages):
    saved = app.config.get("STORAGE_URL")
    app.config["STORAGE_URL"] = (tmp_path / "storage").as_uri()
    try:
        with app.app_context():
            names = preview_pages(three_pages, "7", 600)
            folder = tmp_path / "storage" / preview_folder("7", names[0].split("/")[3], 600)
            (folder / "page-0003.jpg").unlink()
            assert preview_pages(three_pages, "7", 600) == names  # the index is trusted: nothing re-rendered
            assert not storage.exists(names[2])
            (folder / "pages.json").unlink()  # as if the render had stopped before its last page
            again = preview_pages(three_pages, "7", 600)
            assert again == names and all(storage.exists(name) for name in again)
    finally:
        app.config["STORAGE_URL"] = saved


def test_concurrent_requests_get_complete_images(app, on_store, three_pages):
    results: list[list] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                results.append(preview_pages(three_pages, "7", 500))
        except BaseException as exc:  # surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(r == results[0] for r in results) and len(results) == 4
    for name in results[0]:
        with image(name) as page:
            page.load()
