"""Branches ("Filiais"): name, CNPJ, address, colour and a re-encoded logo."""
import io
import re

from PIL import Image, UnidentifiedImageError

from firma.br.identifiers import normalise_cnpj
from firma.extensions import db
from firma.models import Branch, Integration
from firma.platform.errors import Refusal

MAX_LOGO_BYTES = 1_000_000
MAX_LOGO_SIDE = 600
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def logo_png(data: bytes) -> bytes:
    """An uploaded logo re-encoded as a PNG of bounded size, so no uploaded bytes are ever served back."""
    if len(data) > MAX_LOGO_BYTES:
        raise Refusal("O logotipo deve ter até 1 MB.", "logo")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > 25_000_000:
                raise Refusal("Imagem grande demais.", "logo")
            img.load()
            rgba = img.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise Refusal("O logotipo precisa ser uma imagem PNG, JPEG ou WebP.", "logo") from None
    rgba.thumbnail((MAX_LOGO_SIDE, MAX_LOGO_SIDE))
    out = io.BytesIO()
    rgba.save(out, "PNG", optimize=True)
    return out.getvalue()


def save_branch(branch: Branch | None, data: dict, *, logo: bytes | None = None) -> Branch:
    """Create or update a branch: valid CNPJ, #rrggbb colour, optional logo, the integration it uses."""
    if not (data.get("name") or "").strip():
        raise Refusal("Informe o nome da filial.", "name")
    try:
        cnpj = normalise_cnpj(data.get("cnpj") or "")
    except Refusal as exc:
        raise Refusal(exc.message, "cnpj") from None
    color = (data.get("color") or "#0b5cad").strip()
    if not COLOUR.fullmatch(color):
        raise Refusal("Cor inválida: use o formato #rrggbb.", "color")
    integration = db.session.get(Integration, data["integration_id"]) if data.get("integration_id") else None
    if branch is None:
        branch = Branch(name="", cnpj=cnpj)
        db.session.add(branch)
    branch.name, branch.cnpj, branch.color, branch.integration = data["name"].strip(), cnpj, color.lower(), integration
    for key in ("address", "city", "phone"):
        setattr(branch, key, (data.get(key) or "").strip())
    branch.state = (data.get("state") or "").strip().upper()[:2]
    if logo:
        branch.logo_png = logo_png(logo)
    db.session.flush()
    return branch
