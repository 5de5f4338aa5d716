"""Upload checks: only sane images are stored, upright, small and without metadata."""

import hashlib
import io
import struct
import warnings
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms

from firma.identity.photos import ImageRejected, process_photo


def encode(img: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def halves(size: tuple[int, int] = (400, 200)) -> Image.Image:
    """Left half red, right half blue: shows where a rotation put things."""
    img = Image.new("RGB", size, (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    return img


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb's first bytes)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def rejected(data: bytes, **kwargs: int) -> ImageRejected:
    with pytest.raises(ImageRejected) as info:
        process_photo(data, **kwargs)
    return info.value


def test_large_jpeg_is_downsized_and_hashed() -> None:
    data = encode(halves((4000, 3000)), "JPEG", quality=95)
    photo = process_photo(data)
    assert (photo.width, photo.height) == (1280, 960)
    with Image.open(io.BytesIO(photo.jpeg)) as out:
        assert out.format == "JPEG" and out.size == (1280, 960) and out.mode == "RGB"
    assert photo.sha256 == hashlib.sha256(photo.jpeg).hexdigest()
    assert photo.original["sha256"] == hashlib.sha256(data).hexdigest()
    assert photo.original | {"exif": None} == {
        "format": "JPEG", "bytes": len(data), "width": 4000, "height": 3000,
        "sha256": photo.original["sha256"], "exif": None,
    }


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # stored sideways: display needs a 90° clockwise turn
    photo = process_photo(encode(halves(), "JPEG", exif=exif))
    assert (photo.width, photo.height) == (200, 400)
    with Image.open(io.BytesIO(photo.jpeg)) as out:
        top, bottom = out.getpixel((100, 50)), out.getpixel((100, 350))
    assert top[0] > 200 and top[2] < 60  # the left (red) half is now on top
    assert bottom[2] > 200 and bottom[0] < 60
    assert photo.original["exif"]["Orientation"] == "6"


def test_metadata_is_stripped_but_whitelisted_exif_is_reported() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Motorola"
    exif[ExifTags.Base.Model] = "moto g22"
    exif[ExifTags.Base.Artist] = "Fulano de Tal"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2024:05:01 10:11:12"
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] = "S"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(halves(), "JPEG", exif=exif, comment=b"secret comment", icc_profile=icc)
    photo = process_photo(data)
    assert photo.original["exif"] == {
        "Make": "Motorola", "Model": "moto g22", "DateTimeOriginal": "2024:05:01 10:11:12",
    }
    with Image.open(io.BytesIO(photo.jpeg)) as out:
        assert not out.getexif()
        assert "comment" not in out.info and "icc_profile" not in out.info
    for secret in (b"Exif", b"Motorola", b"Fulano", b"secret comment"):
        assert secret not in photo.jpeg


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "CMYK", "L"])
def test_other_modes_become_rgb(mode: str) -> None:
    img = halves().convert(mode)
    fmt = "JPEG" if mode in ("CMYK", "L") else "PNG"
    photo = process_photo(encode(img, fmt))
    with Image.open(io.BytesIO(photo.jpeg)) as out:
        assert out.mode == "RGB" and out.size == (400, 200)


def test_transparency_is_flattened_on_white() -> None:
    img = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    photo = process_photo(encode(img, "PNG"))
    with Image.open(io.BytesIO(photo.jpeg)) as out:
        assert min(out.getpixel((50, 50))) > 245


def test_webp_is_accepted() -> None:
    photo = process_photo(encode(halves(), "WEBP"))
    assert photo.original["format"] == "WEBP" and photo.jpeg[:2] == b"\xff\xd8"


def test_oversized_upload_is_refused_before_decoding() -> None:
    error = rejected(encode(halves(), "PNG") + b"\x00" * 2000, max_bytes=1000)
    assert error.code == "too_large"
    assert "grande demais" in str(error)
    assert str(rejected(b"x" * 10_000_001)) == "A foto é grande demais (máximo 10 MB)."


@pytest.mark.parametrize(
    "data",
    [b"", "Isto não é uma foto.\n".encode(), b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"],
    ids=["empty", "text", "pdf"],
)
def test_non_images_are_refused(data: bytes) -> None:
    error = rejected(data)
    assert error.code == "not_image"
    assert str(error) == "O arquivo enviado não é uma imagem."


@pytest.mark.parametrize("size", [(100_000, 100_000), (7000, 7000)], ids=["pillow-limit", "our-limit"])
def test_decompression_bomb_is_refused(size: tuple[int, int]) -> None:
    bomb = png_declaring(*size)
    assert len(bomb) < 200
    error = rejected(bomb)
    assert error.code == "dimensions"
    assert str(error) == "Imagem com dimensões inválidas."


def test_pixel_limit_is_per_call_and_leaves_global_state_alone() -> None:
    before = Image.MAX_IMAGE_PIXELS
    filters = list(warnings.filters)
    assert rejected(encode(halves((400, 300)), "PNG"), max_pixels=100_000).code == "dimensions"
    assert process_photo(encode(halves((400, 300)), "PNG")).width == 400
    assert Image.MAX_IMAGE_PIXELS == before
    assert warnings.filters == filters


def test_tiny_image_is_refused() -> None:
    assert rejected(encode(Image.new("RGB", (10, 10)), "PNG")).code == "dimensions"


def test_truncated_jpeg_is_refused() -> None:
    data = encode(halves((800, 600)), "JPEG")
    error = rejected(data[: len(data) // 2])
    assert error.code == "corrupt"
    assert "incompleta" in str(error)


def test_truncated_jpeg_is_refused_even_after_weasyprint_loosened_pillow() -> None:
    import weasyprint  # noqa: F401  (importing it sets ImageFile.LOAD_TRUNCATED_IMAGES for the process)
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True
    data = encode(halves((800, 600)), "JPEG")
    assert rejected(data[: len(data) // 2]).code == "corrupt"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_formats_are_refused_whatever_the_name(fmt: str) -> None:
    error = rejected(encode(halves(), fmt))
    assert error.code == "format"
    assert "JPEG, PNG ou WEBP" in str(error)
