"""The flow inside an ISP portal's iframe on another site, with third-party cookies blocked."""
import json
import urllib.request

import pytest

from tests import faces
from tests.e2e.drawing import draw_signature

pytestmark = pytest.mark.e2e

PORTAL = """<!doctype html><html lang="pt-BR"><head><meta charset="utf-8"><title>Portal do assinante</title></head>
<body><h1>Portal do assinante</h1>
<iframe id="firma" src="{src}" allow="camera; geolocation" style="width:100%;height:700px;border:0"></iframe>
<script>
  window.received = [];
  window.addEventListener("message", function (e) {{
    if (e.origin !== {origin}) return;
    window.received.push({{type: e.data.type, step: e.data.step || null, origin: e.origin}});
  }});
</script></body></html>"""


def test_sign_inside_a_portal_iframe_without_cookies(live_server, make_envelope, launch_phone, serve_static,
                                                    tmp_path):
    portal = serve_static({"placeholder.html": ""})  # reserve the portal's origin before the envelope names it
    live = make_envelope(document_photo=False, origins=portal)
    (tmp_path / "site0" / "portal.html").write_text(
        PORTAL.format(src=live.embed_url, origin=json.dumps(live_server.url)), encoding="utf-8")

    with urllib.request.urlopen(live.embed_url, timeout=10) as response:
        assert response.headers["Content-Security-Policy"].endswith(f"frame-ancestors {portal}")
        assert response.headers.get("Set-Cookie") is None

    page = launch_phone(faces.challenge_loop_y4m(tmp_path / "face.y4m"),
                        args=("--test-third-party-cookie-phaseout",))
    page.goto(f"{portal}/portal.html")
    frame = page.frame_locator("#firma")
    frame.locator("#cpf").fill(live.cpf)
    frame.locator("text=Continuar").click()
    frame.locator('[data-step="consent"]').wait_for()
    frame.locator("input[name=terms]").check()
    frame.locator("button:has-text('Autorizo e continuar')").click()
    frame.locator("[data-page]").last.scroll_into_view_if_needed()
    frame.locator("input[name=have_read]").check()
    frame.locator("form button[type=submit]").click()
    frame.locator('[data-step="selfie"]').wait_for()
    frame.locator("[data-live-start]").click()
    frame.locator('[data-step="signature"]').wait_for(timeout=30_000)
    frame.locator("[data-typed-signature]").wait_for(state="hidden")
    draw_signature(page, frame.locator("canvas.pad"), strokes=24)
    frame.locator("text=Salvar assinatura").click()
    frame.locator("input[name=consent]").check()
    frame.locator("[data-geo-button]").click()
    frame.locator("#geo-status:has-text('Localização registrada')").wait_for()
    frame.locator("button:has-text('Assinar')").click()
    frame.locator('[data-step="done"]').wait_for(timeout=30_000)

    page.wait_for_function("window.received.some(m => m.type === 'firma:signed')")
    received = page.evaluate("window.received")
    assert {m["origin"] for m in received} == {live_server.url}
    steps = [m["step"] for m in received if m["type"] == "firma:step"]
    assert steps[:4] == ["welcome", "consent", "read", "selfie"] and steps[-1] == "done"
    assert page.context.cookies() == []


def test_decline_inside_a_portal_iframe_tells_the_parent(live_server, make_envelope, launch_phone, serve_static,
                                                         tmp_path):
    portal = serve_static({"placeholder.html": ""})
    live = make_envelope(document_photo=False, origins=portal)
    (tmp_path / "site0" / "portal.html").write_text(
        PORTAL.format(src=live.embed_url, origin=json.dumps(live_server.url)), encoding="utf-8")
    page = launch_phone(faces.challenge_loop_y4m(tmp_path / "face.y4m"))
    page.goto(f"{portal}/portal.html")
    frame = page.frame_locator("#firma")
    frame.locator("text=Não quero assinar").click()
    frame.locator("#reason").fill("Não contratei este plano")
    frame.locator("button:has-text('Recusar assinatura')").click()
    frame.locator('[data-step="done"][data-outcome="declined"]').wait_for()
    assert "Você recusou a assinatura. O provedor foi avisado." in frame.locator("#step").inner_text()
    page.wait_for_function("window.received.some(m => m.type === 'firma:declined')")
    assert {m["origin"] for m in page.evaluate("window.received")} == {live_server.url}
