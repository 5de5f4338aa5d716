"""Small generated images for tests: a drawn signature as PNG bytes or data URL."""
import base64
import io
import math

from PIL import Image, ImageDraw


def signature_png(width: int = 500, height: int = 150) -> bytes:
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    points = [(20 + x * (width - 40) / 120, height / 2 + height / 4 * math.sin(x / 7)) for x in range(121)]
    ImageDraw.Draw(img).line(points, fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def signature_data_url() -> str:
    return "data:image/png;base64," + base64.b64encode(signature_png()).decode()
