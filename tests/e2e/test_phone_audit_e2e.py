"""The whole phone flow at 360 px, audited on every screen: console, CSP, raw codes, axe-core, screenshots.

Walks accept (camera granted), accept after a denied camera (guidance, then "Tentar de novo"), and decline.
Screenshots go to tests/output/screens/ (gitignored) for a reviewer to look at.
"""
import re
from pathlib import Path

import pytest

from firma.models import vocabulary
from tests import faces
from tests.e2e.conftest import ANDROID_UA, CAMPINAS, CHROMIUM, CHROMIUM_ARGS
from tests.e2e.drawing import draw_signature
from tests.e2e.test_signer_e2e import big_photo

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "vendor" / "axe-core-4.14.1" / "axe.min.js"
SCREENS = ROOT / "output" / "screens"
# Codes that must never reach a screen: the vocabulary's values with "_" or ".", and its English statuses.
CODES = sorted({m.value for enum in vars(vocabulary).values()
                if isinstance(enum, type) and issubclass(enum, vocabulary.LabelledEnum) for m in enum
                if "_" in m.value or "." in m.value} | {
    "pending", "signed", "declined", "cancelled", "completed", "expired", "client", "validator", "granted",
    "denied", "unavailable", "viewed"}, key=len, reverse=True)
RAW = re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, CODES)) + r")(?![\w])")
# The browser's own note of a refused form (422 is how a step says "fix this field"): not an error of the page.
EXPECTED = re.compile(r"^Failed to load resource: the server responded with a status of 422 ")
# Watch CSP violations from the first byte (an init script is injected by the browser, not bound by the CSP).
WATCH_CSP = """window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});"""


class Audit:
    """Collects console errors and page errors of one page; `check(name)` audits the current screen."""

    def __init__(self, page) -> None:
        self.page, self.errors = page, []
        page.add_init_script(WATCH_CSP)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" and not EXPECTED.search(m.text)
                else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_timeout(150)  # let htmx settle
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
        text = page.evaluate("document.body.innerText")
        assert not RAW.findall(text), (name, RAW.findall(text))
        # axe is evaluated over CDP: a <script> tag with its text would itself be an inline script under our CSP.
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(AXE.read_text(encoding="utf-8"))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})"
                               ".then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')"
                               ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))")
        assert result == [], (name, result)
        assert page.evaluate("window.__csp") == [], (name, page.evaluate("window.__csp"))
        assert self.errors == [], (name, self.errors)


@pytest.fixture()
def phone(playwright_driver, tmp_path):
    """A 360-px Android Chrome page with a fake camera; `camera=False` leaves the permission ungranted."""
    browsers = []

    def open_phone(*, camera: bool = True):
        video = faces.challenge_loop_y4m(tmp_path / "face.y4m")
        browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                    args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={video}"])
        browsers.append(browser)
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True,
            user_agent=ANDROID_UA, locale="pt-BR", geolocation=CAMPINAS,
            permissions=["camera", "geolocation"] if camera else ["geolocation"])
        context.set_default_timeout(20_000)
        page = context.new_page()
        return page, Audit(page)

    yield open_phone
    for browser in browsers:
        browser.close()


def welcome_and_read(page, audit, live, prefix: str) -> None:
    page.goto(live.url)
    audit.check(f"{prefix}-01-welcome")
    page.fill("#cpf", "111.111.111-11")  # a wrong CPF: the 422 swap must not break CSP or accessibility
    page.click("text=Continuar")
    page.wait_for_selector("#step .error")
    audit.check(f"{prefix}-02-welcome-wrong-cpf")
    page.fill("#cpf", live.cpf)
    page.click("text=Continuar")
    page.wait_for_selector('[data-step="consent"]')
    audit.check(f"{prefix}-02b-consent")
    page.check("input[name=terms]")
    page.click("#step button.primary")
    page.wait_for_selector('[data-step="read"]')
    page.wait_for_selector("[data-page-frame] img")  # the page image, rendered while the signer consented
    audit.check(f"{prefix}-03-read")
    page.locator("[data-zoom]").first.click()  # enlarge in place: no new tab, the page stays
    assert page.locator("figure.page.zoomed").count() == 1 and len(page.context.pages) == 1
    audit.check(f"{prefix}-04-read-zoomed")
    page.locator("[data-zoom]").first.click()
    page.locator("[data-page]").last.scroll_into_view_if_needed()
    page.check("input[name=have_read]")
    page.click("form button[type=submit]")


def photos(page, audit, prefix: str) -> None:
    page.wait_for_selector('[data-step="document"]')
    audit.check(f"{prefix}-05-document")
    page.set_input_files("#photo-front", big_photo(faces.id_card_jpeg(face_px=90)))
    page.wait_for_selector('form[data-capture="front"].sent')
    page.set_input_files("#photo-back", big_photo(faces.no_face_jpeg((1000, 630))))
    page.wait_for_selector('[data-step="selfie"]')
    audit.check(f"{prefix}-06-selfie")


def signature_and_confirm(page, audit, prefix: str) -> None:
    page.wait_for_selector('[data-step="signature"]', timeout=30_000)
    audit.check(f"{prefix}-08-signature")
    draw_signature(page)
    page.click("text=Salvar assinatura")
    page.wait_for_selector('[data-step="confirm"]')
    cpf = page.locator("dd.nowrap")
    assert cpf.bounding_box()["height"] < 40  # the masked CPF fits on one line at 360 px
    audit.check(f"{prefix}-09-confirm")
    page.check("input[name=consent]")
    page.click("[data-geo-button]")
    page.wait_for_selector("#geo-status:has-text('registr')")
    page.click("button:has-text('Assinar')")
    page.wait_for_selector('[data-step="done"]', timeout=30_000)
    page.wait_for_selector("text=Baixar documento assinado", timeout=30_000)
    audit.check(f"{prefix}-10-done")


def test_accept_with_the_camera_granted(live_server, make_envelope, phone):
    live = make_envelope()
    page, audit = phone()
    welcome_and_read(page, audit, live, "accept")
    photos(page, audit, "accept")
    page.click("[data-live-start]")
    signature_and_confirm(page, audit, "accept")


def test_a_denied_camera_gets_guidance_and_a_retry_before_any_fallback(live_server, make_envelope, phone):
    live = make_envelope()
    page, audit = phone(camera=False)
    welcome_and_read(page, audit, live, "denied")
    photos(page, audit, "denied")
    page.click("[data-live-start]")
    guidance = page.wait_for_selector("[data-camera-denied]:visible")
    assert "Permissões" in page.locator('[data-guide="chrome-android"]').inner_text()
    assert page.locator('[data-guide="ios"]').is_hidden() and page.locator("[data-fallback]").is_hidden()
    assert guidance.is_visible()
    # Denial is reported by the browser on the console as no error of ours: the page must stay clean.
    audit.check("denied-07-camera-denied")
    page.context.grant_permissions(["camera", "geolocation"])
    page.click("[data-camera-retry]")
    signature_and_confirm(page, audit, "denied")


def test_decline(live_server, make_envelope, phone):
    live = make_envelope(document_photo=False, selfie=False)
    page, audit = phone()
    page.goto(live.url)
    page.fill("#cpf", live.cpf)
    page.click("text=Continuar")
    page.wait_for_selector('[data-step="consent"]')
    page.check("input[name=terms]")
    page.click("#step button.primary")
    page.wait_for_selector('[data-step="read"]')
    page.click("text=Não quero assinar")
    page.wait_for_selector("textarea#reason")
    audit.check("decline-01-form")
    page.fill("#reason", "O plano não é o que eu contratei.")
    page.click("button:has-text('Recusar assinatura')")
    page.wait_for_load_state()
    assert "Página não encontrada" not in page.content()
    audit.check("decline-02-confirmation")
