"""A drawn signature (signature_pad's PNG data URL) checked and cropped, for signers and staff alike."""
import base64
import io

from PIL import Image, ImageFont, UnidentifiedImageError

from firma.platform.errors import Refusal

MAX_BYTES = 600_000
PREFIX = "data:image/png;base64,"
MIN_INKED_PIXELS = 50


def clean_png(data_url: str) -> bytes:
    """The signature as a PNG cropped to its strokes, after checking it is a real, non-empty image of sane size."""
    if not data_url or not data_url.startswith(PREFIX):
        raise Refusal("Desenhe sua assinatura no quadro antes de continuar.")
    if len(data_url) > MAX_BYTES * 4 // 3 + len(PREFIX) + 4:
        raise Refusal("A imagem da assinatura é grande demais.")
    try:
        raw = base64.b64decode(data_url[len(PREFIX):], validate=True)
        with Image.open(io.BytesIO(raw)) as img:
            if img.format != "PNG" or img.width > 4000 or img.height > 2000:
                raise Refusal("Imagem de assinatura inválida.")
            img.load()
            rgba = img.convert("RGBA")
    except (ValueError, UnidentifiedImageError, OSError) as exc:
        if isinstance(exc, Refusal):
            raise
        raise Refusal("Imagem de assinatura inválida.") from None
    alpha = rgba.getchannel("A")
    inked = sum(1 for a in alpha.getdata() if a > 0) if alpha.getextrema()[1] else 0
    if inked < MIN_INKED_PIXELS:
        raise Refusal("A assinatura está em branco. Desenhe com o dedo no quadro.")
    return to_png(rgba.crop(rgba.getbbox()))


def to_png(img: Image.Image) -> bytes:
    """An image as optimised PNG bytes."""
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def signature_font(size: int):
    """An italic DejaVu font for typed signatures (PIL's default font when none is installed)."""
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf",
                 "/usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf"):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size)
