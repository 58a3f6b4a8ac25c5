"""writebot share (docs/FORMATS.md §9): notebook 04 executed on a run and converted to one page that needs
nothing else; never written with a secret in it; the run folder only read. The page opened in Chromium."""

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from writebot.share import local_only, secrets_in

from .test_browser import CHROMIUM, FLAGS


def writebot(*args, env=None):
    return subprocess.run([sys.executable, "-m", "writebot", *map(str, args)], capture_output=True, text=True,
                          env=env)


def checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """The demo run and its page."""
    tmp = tmp_path_factory.mktemp("share")
    assert writebot("demo", "--out", tmp / "demo").returncode == 0
    before = checksums(tmp / "demo")
    done = writebot("share", tmp / "demo", "--out", tmp / "page.html")
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr and len(done.stderr.strip().splitlines()) == 2  # what it does, what it wrote
    return tmp / "demo", tmp / "page.html", before


def test_the_page_is_one_file_that_fetches_nothing_and_shows_what_a_reader_wants(shared):
    run, page, before = shared
    html = page.read_text("utf-8")
    assert checksums(run) == before  # the run folder was only read
    assert not re.search(r"""\b(?:src|href)=["']https?://""", html)
    for script in re.findall(r"<script\b[^>]*>.*?</script>", html, re.S):
        assert not re.search(r"https?://", script), script[:200]
    images = re.findall(r"<img\b[^>]*\bsrc=[\"']([^\"']+)", html)
    assert len(images) >= 4 and all(src.startswith("data:image/png;base64,") for src in images)
    last = sorted((run / "versions").iterdir())[-1]
    rules = [line[2:] for line in (last / "STYLE.md").read_text().splitlines() if line.startswith("- ")]
    assert rules and all(rule.replace('"', "&quot;") in html or rule in html for rule in rules)  # the learned guide
    assert "Update after epoch 0: accepted" in html  # what each update changed, and why
    assert "def " not in html and "RunStore.open" not in html  # code is left out of a reader's page


def test_a_page_with_a_secret_in_it_is_never_written(tmp_path, shared):
    run, _, _ = shared
    key = "sk-ant-api03-" + "x" * 40
    copy = tmp_path / "run"
    subprocess.run(["cp", "-r", str(run), str(copy)], check=True)
    style = sorted((copy / "versions").iterdir())[-1] / "STYLE.md"
    style.write_text(style.read_text() + f"\n- Sign every post with {key}\n")
    done = writebot("share", copy, "--out", tmp_path / "page.html")
    assert done.returncode == 2 and "an Anthropic API key (sk-ant-api" in done.stderr and key not in done.stderr
    assert not (tmp_path / "page.html").exists()


def test_secrets_are_found_by_value_and_by_shape(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "my-own-proxy-key-123")
    assert secrets_in("… my-own-proxy-key-123 …") == ["the value of ANTHROPIC_API_KEY"]
    assert secrets_in("nothing here, sk-ant- alone") == []
    assert local_only('<script src="https://cdn.x/y.js"></script><script>var a = 1;</script>') == \
        "<script>var a = 1;</script>"


def test_the_page_is_never_written_into_the_run_it_reads(shared):
    run, _, before = shared
    for target in (run / "history.csv", run / "page.html"):
        done = writebot("share", run, "--out", target)
        assert done.returncode == 2 and "inside the run folder" in done.stderr
    done = writebot("export", run, "--format", "system-prompt", "--out", run / "prompt")
    assert done.returncode == 2 and "inside the run folder" in done.stderr
    assert checksums(run) == before


def test_a_folder_that_is_not_a_run_is_a_clear_error(tmp_path):
    done = writebot("share", tmp_path, "--out", tmp_path / "page.html")
    assert done.returncode == 2 and "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_the_page_opens_in_chromium_with_every_plot_visible(shared, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    _, page_file, _ = shared
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_file.as_uri(), wait_until="load")
        images = page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => ({w: i.naturalWidth, h: i.naturalHeight, shown: i.getBoundingClientRect()"
                   ".width > 100 && getComputedStyle(i).visibility !== 'hidden'}))")
        page.screenshot(path=str(tmp_path / "share.png"), full_page=True)
        browser.close()
    assert len(images) >= 4 and all(i["w"] > 100 and i["h"] > 100 and i["shown"] for i in images), images
    assert all(url.startswith(("file://", "data:")) for url in requests), requests  # nothing fetched
