"""Draw a signature on the signing step's signature_pad canvas with Playwright's mouse."""


def draw_signature(page, pad=None, *, strokes: int = 29) -> None:
    """Zigzag across `pad` (default: the page's `canvas.pad`) so signature_pad records a non-empty drawing.

    `pad` may be a locator inside an iframe: its bounding box is in the top page's coordinates, which is
    what `page.mouse` takes.
    """
    box = (pad if pad is not None else page.locator("canvas.pad")).bounding_box()
    left, middle = box["x"] + 20, box["y"] + box["height"] / 2
    page.mouse.move(left, middle)
    page.mouse.down()
    for k in range(1, strokes + 1):
        page.mouse.move(left + k * 10, middle + (25 if k % 2 else -25), steps=2)
    page.mouse.up()
