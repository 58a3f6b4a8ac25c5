"""A real browser: JupyterLab on a loopback port, Debian's Chromium driven by Playwright, notebook 02 run and its
widgets used by typing and clicking. Saves a screenshot. `.ci/run` installs chromium when it is missing."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow  # JupyterLab and Chromium start for each test

CHROMIUM = os.environ.get("WRITEBOT_TEST_CHROMIUM", "/usr/bin/chromium")  # the variable: to test the skip below
# the reason pytest prints (-rs, pyproject.toml) for each browser test it skips, with the one command that installs
# what they need
NO_CHROMIUM = (f"{CHROMIUM} not installed, so this browser test is skipped; install Debian's Chromium with: "
               "sudo apt-get update && sudo apt-get install -y chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} missing: .ci/run installs it with apt-get")
        pytest.skip(NO_CHROMIUM)
    root = tmp_path / "lab"
    root.mkdir()
    shutil.copy(ROOT / "notebooks" / "02_train_with_feedback.ipynb", root)
    port = free_port()
    env = {**os.environ, "WRITEBOT_NB_RUN": str(tmp_path / "run"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--ServerApp.port={port}",
         "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
         f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("JupyterLab did not start in 40 s")
    yield url, tmp_path / "run"
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()


def accept_kernel_dialog(page, seconds: float) -> None:
    """JupyterLab sometimes asks which kernel to start: take the notebook's own (python3)."""
    button = page.locator(".jp-Dialog button", has_text="Select")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if button.count():
            button.first.click()
            return
        time.sleep(0.1)


def run_all(page) -> None:
    """Run every cell from JupyterLab's Run menu and wait for the widgets."""
    accept_kernel_dialog(page, 3)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    accept_kernel_dialog(page, 2)
    page.wait_for_selector(".wb-feedback textarea", timeout=40_000)


def test_notebook_02_in_jupyterlab_with_chromium(lab, tmp_path):
    from playwright.sync_api import sync_playwright

    url, run = lab
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.goto(f"{url}/lab/tree/02_train_with_feedback.ipynb", wait_until="domcontentloaded")
        page.wait_for_selector(".jp-Notebook", timeout=30_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'], "
                               ".jp-Toolbar-kernelStatus", timeout=30_000)
        try:
            run_all(page)
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"))
            shutil.copy(tmp_path / "failure.png", ROOT / "results" / "browser-failure.png")
            raise

        draft = page.input_value(".wb-draft textarea")
        assert "utilize" in draft.lower()
        page.fill(".wb-feedback textarea", 'Say "use", not "utilize".')
        page.fill(".wb-ground-truth textarea", draft.replace("utilize", "use").replace("Utilize", "Use"))
        page.wait_for_selector(".wb-diff ins", timeout=10_000)
        page.click("button.wb-submit")
        page.wait_for_function("document.querySelector('.wb-status').innerText.includes('saved')", timeout=15_000)
        saved = [json.loads(x) for x in (run / "feedback.jsonl").read_text().splitlines()]
        assert saved and saved[0]["feedback"] == ['Say "use", not "utilize".']

        page.click("button.wb-train")
        page.wait_for_selector("button.wb-apply", timeout=20_000)
        page.click("button.wb-apply")
        page.wait_for_function("document.querySelector('.wb-epoch').innerText.includes('Epoch 1')", timeout=20_000)
        # widget updates reach the page one by one: wait for the status line too, rather than read it at once
        page.wait_for_function("document.querySelector('.wb-status').innerText.includes('new pipeline version saved')",
                               timeout=20_000)
        assert (run / "versions" / "epoch_001" / "STYLE.md").exists()
        assert 'Replace "utilize" with "use".' in (run / "versions" / "epoch_001" / "STYLE.md").read_text()

        # the next epoch's draft is written by the new version, which now swaps "utilize" for "use"
        page.wait_for_function("!document.querySelector('.wb-draft textarea').value.toLowerCase()"
                               ".includes('utilize')", timeout=20_000)
        shots = ROOT / "results" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "notebook-02.png"), full_page=True)
        page.locator(".wb-epoch").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "notebook-02-dashboard.png"))
        browser.close()
    assert time.monotonic() - started < 60


@pytest.mark.slow
def test_without_chromium_the_run_says_which_browser_tests_it_skipped_and_how_to_install_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"WRITEBOT_TEST_CHROMIUM": str(tmp_path / "none")}
    done = subprocess.run([sys.executable, "-m", "pytest", "tests/test_browser.py::"
                           "test_notebook_02_in_jupyterlab_with_chromium"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    skipped = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 1 and "test_browser.py" in skipped[0]
    assert f"{tmp_path / 'none'} not installed" in skipped[0]
    assert "sudo apt-get update && sudo apt-get install -y chromium" in skipped[0]
