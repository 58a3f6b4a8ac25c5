"""writebot export (docs/FORMATS.md §7): each format read back the way its consumer reads it."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from writebot import bundled
from writebot.claude.llm import DEFAULT_MODEL, LLM
from writebot.loop.registry import build_engine
from writebot.text.pipeline import Pipeline, without_comments
from writebot.text.topics import Topic

TRAINED = Pipeline.load(bundled.starter_pipeline())


def writebot(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "writebot", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


def trained(tmp_path) -> Path:
    """A pipeline with learned rules: the demo's last version."""
    out = tmp_path / "demo"
    assert writebot("demo", "--out", out).returncode == 0
    return out


def claude_code_imports(path: Path, depth: int = 0) -> str:
    """CLAUDE.md as Claude Code loads it: `@path` imports (relative to the importing file) are replaced by the
    file's text, except inside code spans and blocks, up to five hops
    (https://docs.anthropic.com/en/docs/claude-code/memory, "CLAUDE.md imports")."""
    text, out, fenced = path.read_text("utf-8"), [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if fenced or depth >= 5:
            out.append(line)
            continue
        unquoted = re.sub(r"`[^`]*`", "", line)
        for ref in re.findall(r"(?:^|\s)@([^\s`]+)", unquoted):
            target = path.parent / ref
            assert target.is_file(), f"{path}: @{ref} resolves to no file"
            line = line.replace(f"@{ref}", claude_code_imports(target, depth + 1))
        out.append(line)
    return "\n".join(out)


@pytest.mark.slow
def test_claude_code_folder_holds_the_guide_the_steps_and_imports_every_example(tmp_path):
    run = trained(tmp_path)
    out = tmp_path / "cc"
    done = writebot("export", run, "--format", "claude-code", "--out", out)
    assert done.returncode == 0, done.stderr
    pipeline = Pipeline.load(out)  # the pipeline's own files sit beside CLAUDE.md: trainable again
    memory = claude_code_imports(out / "CLAUDE.md")
    assert pipeline.style.rules and all(rule in memory for rule in pipeline.style.rules)
    for step in pipeline.steps.values():
        assert step.strip().splitlines()[-1] in memory
    for example in pipeline.examples.values():
        assert example.strip() in memory  # imported whole
    assert "<!--" not in memory  # notes for the optimizer stay out of the writer's view


def test_skill_front_matter_follows_the_agent_skills_spec_and_its_links_resolve(tmp_path):
    out = tmp_path / "skills" / "my-blog-voice"
    done = writebot("export", bundled.starter_pipeline(), "--format", "skill", "--out", out)
    assert done.returncode == 0, done.stderr
    text = (out / "SKILL.md").read_text("utf-8")
    assert text.startswith("---\n")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["name"] == out.name and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", front["name"])
    assert 1 <= len(front["description"]) <= 1024 and "Use when" in front["description"]
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in front["metadata"].items())
    links = re.findall(r"\]\(([^)]+)\)", text.split("---\n", 2)[2])
    assert links and all((out / link).is_file() for link in links)
    assert (out / "references" / "STYLE.md").read_text("utf-8").strip() == \
        without_comments(TRAINED.files["STYLE.md"]).strip()
    assert {f"assets/{p}" for p in TRAINED.examples} <= set(links)
    # round trip: the skill's files are the pipeline, as the writer reads it
    files = {"STYLE.md": (out / "references" / "STYLE.md").read_text("utf-8")}
    steps = {p.relative_to(out / "references").as_posix(): p.read_text("utf-8")
             for p in (out / "references" / "steps").glob("*.md")}
    # a step names the guide where the skill keeps it (the starter's step 1 says "Read STYLE.md")
    mentions = [m for text in steps.values() for m in re.findall(r"[\w/.]*STYLE\.md", text)]
    assert mentions and set(mentions) == {"references/STYLE.md"}
    files |= {p: text.replace("references/STYLE.md", "STYLE.md") for p, text in steps.items()}
    files |= {p.relative_to(out / "assets").as_posix(): p.read_text("utf-8") for p in (out / "assets").rglob("*.md")}
    back = Pipeline(files)
    assert back.steps == TRAINED.steps and back.examples == TRAINED.examples
    assert back.style.rules == TRAINED.style.rules


@pytest.mark.slow
@pytest.mark.parametrize("name", ["My_Voice", "-voice", "voice--two", "a" * 65])
def test_a_skill_folder_whose_name_the_spec_forbids_is_a_clear_error(tmp_path, name):
    done = writebot("export", bundled.starter_pipeline(), "--format", "skill", "--out", tmp_path / name)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "agentskills.io/specification" in done.stderr and not (tmp_path / name).exists()


@pytest.mark.slow
def test_system_prompt_is_exactly_what_the_claude_engine_sends(tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key-never-sent")  # no request is made
    run = trained(tmp_path)
    out = tmp_path / "sp"
    assert writebot("export", run, "--format", "system-prompt", "--out", out).returncode == 0
    from writebot.store.run_folder import RunStore

    store = RunStore.open(run)
    last = store.load_version(max(store.versions()))
    request = build_engine("claude", llm=LLM(DEFAULT_MODEL)).draft_request(last, Topic("t", "T", ("p",), None, "train"))
    assert (out / "system_prompt.md").read_text("utf-8") == request["system"][0]["text"]


def test_export_never_writes_into_a_folder_that_holds_something(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "keep.txt").write_text("mine")
    done = writebot("export", bundled.starter_pipeline(), "--format", "claude-code", "--out", tmp_path / "mine")
    assert done.returncode == 2 and "not an empty folder" in done.stderr
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["keep.txt"]
