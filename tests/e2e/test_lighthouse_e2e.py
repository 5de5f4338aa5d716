"""Lighthouse (mobile profile) on every signing step: accessibility ≥ 95 and best practices ≥ 95.

Playwright walks a phone to each step; the link resumes there, so Lighthouse (its own Chromium, CHROME_PATH)
audits the same URL once per step. Needs `lighthouse@12.2.3` (Node 20): `make lighthouse` installs and runs it;
LIGHTHOUSE_BIN names another binary. Scores are written to tests/output/lighthouse/scores.json.
"""
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests import faces
from tests.e2e.conftest import CHROMIUM
from tests.e2e.drawing import draw_signature
from tests.e2e.test_signer_e2e import big_photo

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
LIGHTHOUSE = Path(os.environ.get("LIGHTHOUSE_BIN", ROOT / "node_modules" / ".bin" / "lighthouse"))
OUT = ROOT / "tests" / "output" / "lighthouse"
MINIMUM = {"accessibility": 0.95, "best-practices": 0.95}


def lighthouse(url: str, name: str) -> dict:
    """Run Lighthouse's mobile profile on `url`; the category scores (0..1) by id."""
    OUT.mkdir(parents=True, exist_ok=True)
    report = OUT / f"{name}.json"
    subprocess.run(
        [str(LIGHTHOUSE), url, "--quiet", "--only-categories=accessibility,best-practices", "--output=json",
         f"--output-path={report}", "--chrome-flags=--headless --no-sandbox --disable-gpu --no-first-run"],
        check=True, timeout=180, env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True)
    data = json.loads(report.read_text(encoding="utf-8"))
    failed = {a["id"]: a.get("title") for a in data["audits"].values() if a.get("score") == 0}
    return {"scores": {k: c["score"] for k, c in data["categories"].items()}, "failed": failed}


@pytest.mark.skipif(not LIGHTHOUSE.exists(), reason="lighthouse not installed (make lighthouse)")
def test_every_signing_step_scores_at_least_95(live_server, make_envelope, launch_phone, tmp_path):
    live = make_envelope()
    page = launch_phone(faces.challenge_loop_y4m(tmp_path / "face.y4m"))
    results = {}

    def audit(step: str) -> None:
        results[step] = lighthouse(live.url, step)

    audit("welcome")
    page.goto(live.url)
    page.fill("#cpf", live.cpf)
    page.click("text=Continuar")
    page.wait_for_selector('[data-step="read"]')
    audit("read")
    page.reload()
    page.locator("[data-page]").last.scroll_into_view_if_needed()
    page.check("input[name=have_read]")
    page.click("form button[type=submit]")
    page.wait_for_selector('[data-step="document"]')
    audit("document")
    page.set_input_files("#photo-front", big_photo(faces.id_card_jpeg(face_px=90)))
    page.wait_for_selector('form[data-capture="front"].sent')
    page.set_input_files("#photo-back", big_photo(faces.no_face_jpeg((1000, 630))))
    page.wait_for_selector('[data-step="selfie"]')
    audit("selfie")
    page.click("[data-live-start]")
    page.wait_for_selector('[data-step="signature"]', timeout=30_000)
    audit("signature")
    page.reload()
    draw_signature(page)
    page.click("text=Salvar assinatura")
    page.wait_for_selector('[data-step="confirm"]')
    audit("confirm")
    page.reload()
    page.check("input[name=consent]")
    page.click("button:has-text('Assinar')")
    page.wait_for_selector('[data-step="done"]', timeout=30_000)
    audit("done")
    (OUT / "scores.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    low = {step: r for step, r in results.items()
           if any(r["scores"][k] < minimum for k, minimum in MINIMUM.items())}
    assert not low, low
