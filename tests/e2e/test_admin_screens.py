"""Every admin screen in real Chromium at 1366 and 390 px with the demo data: no console errors, no CSP
violations, no raw vocabulary codes on screen, no serious/critical axe-core violations; screenshots are
written under tests/output/screens/ for a reviewer."""
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from firma import demo
from firma.envelopes import batches
from firma.extensions import db
from firma.models import (
    BatchItemStatus, Contact, Contract, Customer, Delivery, DeliveryStatus, DocumentTemplate, Envelope, Integration,
    User, utcnow, vocabulary,
)
from firma.models.org import Branch
from firma.platform.outbox import commit
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "vendor" / "axe-core-4.14.1" / "axe.min.js"
SCREENS = ROOT / "output" / "screens"
LOANWORDS = {"link", "selfie"}  # codes that are also everyday pt-BR words
VIEWPORTS = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}
# Screens that are files, fragments or actions rather than pages.
NOT_PAGES = {"admin.envelope_download", "admin.evidence_file", "admin.history_csv", "admin.batch_progress",
             "admin.template_preview_image", "admin.account_signature_png", "admin.login"}


def raw_codes() -> set[str]:
    """Every code of the shared vocabulary that a person should never read (its label is shown instead)."""
    codes = set()
    for name in dir(vocabulary):
        enum = getattr(vocabulary, name)
        if isinstance(enum, type) and issubclass(enum, vocabulary.LabelledEnum) and enum is not vocabulary.LabelledEnum:
            codes.update(str(member) for member in enum)
    return codes


@pytest.fixture(scope="module")
def world(live_server) -> dict:
    """The `make run` demo plus what a working day leaves behind: retrying e-mails, a finished batch."""
    with live_server.app_context():
        login = demo.seed()
        demo.demo_links()
        contract = db.session.scalar(select(Contract).where(Contract.number == "CT-0001"))
        envelope = db.session.scalar(select(Envelope).where(Envelope.contract_id == contract.id)
                                     .order_by(Envelope.id.desc()))
        client = next(s for s in envelope.signers if s.role == "client")
        for n in range(4):
            db.session.add(Delivery(dedupe_key=f"walk-{envelope.id}-{n}", channel="email", purpose="resend",
                                    envelope_id=envelope.id, signer_id=client.id, target=client.email or "x@example.com",
                                    status=DeliveryStatus.RETRY, attempts=n + 1,
                                    last_error="ConnectionRefusedError: [Errno 111] Connection refused",
                                    next_attempt_at=utcnow() + timedelta(minutes=5)))
        client.token_expires_at = utcnow() + timedelta(hours=20)
        batch = batches.start("check_status", [contract.id])
        commit()
        ids = {
            "envelope_id": envelope.id, "contract_id": contract.id, "customer_id": contract.customer_id,
            "batch_id": batch.id,
            "contact_id": db.session.scalar(select(Contact.id)),
            "template_id": db.session.scalar(select(DocumentTemplate.id)),
            "integration_id": db.session.scalar(select(Integration.id)),
            "branch_id": db.session.scalar(select(Branch.id)),
            "user_id": db.session.scalar(select(User.id).where(User.email == login.email)),
            "subject_id": None,
        }
        assert db.session.get(Customer, ids["customer_id"]) is not None
        assert {i.status for i in db.session.get(type(batch), batch.id).items} <= set(BatchItemStatus)
        return {"login": login, "ids": ids}


def admin_urls(app, ids: dict) -> list[tuple[str, str]]:
    """(name, path) of every GET page of the admin blueprint, path arguments filled from the demo data."""
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("admin.") or "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        if any(ids.get(arg) is None for arg in rule.arguments):
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = re.sub(rf"<(?:\w+:)?{arg}>", str(ids[arg]), path)
        name = path.strip("/").replace("/", "-") or "admin"
        urls.append((name, path))
    return urls


@pytest.fixture()
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def visible_codes(page, codes: set[str]) -> set[str]:
    """Vocabulary codes that appear as whole words in the page's visible text (e-mail addresses left out)."""
    text = re.sub(r"\S+@\S+", " ", page.locator("body").inner_text())
    return codes & set(re.findall(r"[a-z][a-z0-9_.]*[a-z0-9]", text))


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_every_admin_screen(live_server, world, browser, width):
    urls = admin_urls(live_server.app, world["ids"])
    assert len(urls) >= 20, urls
    codes = {c for c in raw_codes() if len(c) > 3} - LOANWORDS
    SCREENS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORTS[width], locale="pt-BR")
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    axe_source = AXE.read_text()
    failures = []

    def check(name: str, path: str) -> None:
        problems.clear()
        response = page.goto(live_server.url + path)
        assert response.status == 200, (path, response.status)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SCREENS / f"{width}-{name}.png"), full_page=True)
        shown = visible_codes(page, codes)
        page.evaluate(axe_source)
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        serious = [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}" for v in result["violations"]
                   if v["impact"] in ("serious", "critical")]
        for what, found in (("console/CSP", problems), ("raw codes", sorted(shown)), ("axe", serious)):
            if found:
                failures.append(f"{path} {what}: {found}")

    check("admin-entrar", "/admin/entrar")
    page.fill("#email", world["login"].email)
    page.fill("#password", world["login"].password)
    page.click("button[type=submit]")
    page.wait_for_selector("nav.sidebar", state="attached")
    for name, path in urls:
        check(name, path)
    if width == "390":  # on a phone the menu folds behind its button and opens on a tap
        page.goto(live_server.url + "/admin/")
        assert not page.is_visible("nav.sidebar")
        page.click(".menu-toggle")
        assert page.is_visible("nav.sidebar a[href='/admin/historico']")
        assert page.get_attribute(".menu-toggle", "aria-expanded") == "true"
    context.close()
    assert not failures, "\n".join(failures)
