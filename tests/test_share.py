"""writebot share (docs/FORMATS.md §9): notebook 04 executed on a run and converted to one page that needs
nothing else; never written with a secret in it; the run folder only read. The page opened in Chromium."""

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from writebot.report.share import local_only, secrets_in

from .test_browser import CHROMIUM, FLAGS, NO_CHROMIUM


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


@pytest.mark.slow
def test_the_page_is_one_file_that_fetches_nothing_and_shows_what_a_reader_wants(shared):
    run, page, before = shared
    html = page.read_text("utf-8")
    assert checksums(run) == before  # the run folder was only read
    assert not re.search(r"""\b(?:src|href)=["']https?://""", html)
    for script in re.findall(r"<script\b[^>]*>.*?</script>", html, re.S):
        assert not re.search(r"https?://", script), script[:200]
    images = re.findall(r"<img\b[^>]*\bsrc=[\"']([^\"']+)", html)
    # the learning curve, the cumulative cost against no learning, STYLE.md's size (an offline run has no cost figure)
    assert len(images) >= 3 and all(src.startswith("data:image/png;base64,") for src in images)
    last = sorted((run / "versions").iterdir())[-1]
    rules = [line[2:] for line in (last / "STYLE.md").read_text().splitlines() if line.startswith("- ")]
    assert rules and all(rule.replace('"', "&quot;") in html or rule in html for rule in rules)  # the learned guide
    assert "Update after epoch 0: accepted" in html  # what each update changed, and why
    assert "def " not in html and "RunStore.open" not in html  # code is left out of a reader's page


@pytest.mark.slow
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


@pytest.mark.slow
def test_an_existing_page_is_replaced_only_with_force(shared):
    run, page, _ = shared
    before = page.read_bytes()
    done = writebot("share", run, "--out", page)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().endswith("exists; pass --force to overwrite it, or another --out")
    assert page.read_bytes() == before
    done = writebot("share", run, "--out", page, "--force")
    assert done.returncode == 0, done.stderr
    assert page.stat().st_size > 0 and "<html" in page.read_text().lower()


@pytest.mark.slow  # the fixture executes notebook 04 in a kernel: not quick
def test_the_page_is_never_written_into_the_run_it_reads(shared):
    run, _, before = shared
    for target in (run / "history.csv", run / "page.html"):
        done = writebot("share", run, "--out", target)
        assert done.returncode == 2 and "inside the run folder" in done.stderr
    done = writebot("export", run, "--format", "system-prompt", "--out", run / "prompt")
    assert done.returncode == 2 and "inside the run folder" in done.stderr
    assert checksums(run) == before


def test_a_folder_that_is_not_a_run_is_a_clear_error(tmp_path, cli):
    code, _, err = cli("share", tmp_path, "--out", tmp_path / "page.html")
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_the_page_opens_in_chromium_with_every_plot_visible(shared, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(NO_CHROMIUM)
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
    assert len(images) >= 3 and all(i["w"] > 100 and i["h"] > 100 and i["shown"] for i in images), images
    assert all(url.startswith(("file://", "data:")) for url in requests), requests  # nothing fetched


def reader_text(html: str) -> str:
    """What a reader of the page reads: its text, without tags, scripts, styles or embedded images."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S))


@pytest.mark.slow  # the fixture executes notebook 04 in a kernel: not quick
def test_the_page_is_written_for_its_reader(shared):
    """No notebook instructions, no raw settings dict, no NaN: the run in words, the no-learning baseline beside the
    curve, and for a run without LLM calls one line saying so instead of an empty figure and a header-only table."""
    _, page, _ = shared
    html = page.read_text("utf-8")
    text = reader_text(html)
    assert "RUN_DIR" not in text and "Point " not in text  # the notebook user's instructions stay in the notebook
    assert "&#x27;engine&#x27;" not in html and "'engine'" not in text and "{&#x27;" not in html
    assert "NaN" not in text
    assert "3 epochs" in text and "warm-casual" in text and "16 train topics" in text
    assert "no learning: the starting guide" in text or "never updated" in text
    assert "no LLM calls" in text and "input_tokens" not in text and "no LLM calls in this run" not in text


@pytest.mark.slow
def test_every_box_on_the_page_shows_all_it_holds(shared):
    """The diffs and the guide are in boxes the notebook caps in height; on the static page nothing scrolls
    inside the page, so each update's change is in sight."""
    if not Path(CHROMIUM).exists():
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    _, page_file, _ = shared
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(page_file.as_uri(), wait_until="load")
        scrolling = page.eval_on_selector_all(
            "body *", "els => els.filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowY) && "
                      "e.scrollHeight > e.clientHeight + 1).map(e => e.outerHTML.slice(0, 120))")
        diffs = page.eval_on_selector_all("del, ins, [style*='#ccf2d1']", "els => els.length")
        browser.close()
    assert diffs > 0 and scrolling == []


@pytest.fixture(scope="module")
def shared_online(tmp_path_factory):
    """An online run (PRELUDE's protocol: 2 passes over 6 train topics, val in the first and last rounds) and its
    page."""
    import yaml

    from writebot import bundled

    from .conftest import make_topics

    tmp = tmp_path_factory.mktemp("share-online")
    (tmp / "topics.yaml").write_text(yaml.safe_dump([t.to_dict() for t in make_topics(8)], sort_keys=False))
    done = writebot("simulate", "--online", "--epochs", "2", "--topics", tmp / "topics.yaml", "--persona",
                    bundled.persona("warm-casual"), "--out", tmp / "online")
    assert done.returncode == 0, done.stderr
    before = checksums(tmp / "online")
    done = writebot("share", tmp / "online", "--out", tmp / "page.html")
    assert done.returncode == 0, done.stderr
    return tmp / "online", tmp / "page.html", before


@pytest.mark.slow
def test_an_online_runs_page_speaks_of_passes_and_rounds(shared_online):
    run, page, before = shared_online
    html = page.read_text("utf-8")
    assert checksums(run) == before
    assert "2 passes over the 6 train topics, 12 rounds" in html and "&#x27;epochs&#x27;: 2" not in html
    assert "before training (round 0)" in html and "after training (round 12)" in html  # val where it was measured
    text = reader_text(html)
    assert "NaN" not in text and "Update after round 0:" in text and "Update after epoch" not in text


def test_share_does_not_load_a_grammar_no_notebook_needs():
    """jsonschema loads rfc3987_syntax (39 Lark grammars, about 0.9 s) for formats the notebook schema never uses;
    share imports its converters without it."""
    probe = ("import sys; from writebot.report import share; share._import_converters(); import nbformat, papermill; "
             "print('rfc3987_syntax' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr
