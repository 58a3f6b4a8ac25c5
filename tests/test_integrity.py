"""Run record integrity: readers never change a run folder, writers move a torn last line aside and stop at any other
damage, one writer at a time, `writebot check [--repair]`, and full disks or I/O errors that lose nothing."""

import errno
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from writebot import bundled, files
from writebot.report import before_after, summary_table
from writebot.report.analysis import epoch_summary, load_history, load_usage, style_sizes, updates_table
from writebot.store.run_folder import RunStore

from .conftest import ROOT

PLOTS = {"learning_curve.png", "style_size.png", "cost_per_epoch.png"}  # what `report` may write


def checksums(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in PLOTS}


@pytest.fixture
def sound(cli, tmp_path, topics_file):
    out = tmp_path / "sound"
    assert cli("simulate", "--topics", topics_file, "--persona", bundled.persona("warm-casual"), "--epochs", "2",
               "--out", out)[0] == 0
    return out


def damage(folder: Path) -> None:
    """A stray edit in the middle of feedback.jsonl, a torn last line in updates.jsonl, a bad usage.csv row."""
    log = folder / "feedback.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    lines[3] = b'{"epoch": 0, "topic_id": "topic-3", BROKEN\n'
    log.write_bytes(b"".join(lines))
    updates = folder / "updates.jsonl"
    updates.write_bytes(updates.read_bytes() + b'{"epoch": 9, "sta')
    with open(folder / "usage.csv", "a") as usage:
        usage.write("draft,model,1,2\n")


def readers(cli, folder: Path):
    """Every way to read a run: the CLI's report and check, RunStore and each analysis helper."""
    yield "report", lambda: cli("report", folder)
    yield "check", lambda: cli("check", folder)
    yield "helpers", lambda: [f(RunStore.open(folder)) for f in (style_sizes, updates_table, summary_table,
                                                                   before_after)] + [
        load_history(folder), load_usage(folder), epoch_summary(load_history(folder))]


@pytest.mark.slow
@pytest.mark.parametrize("damaged", [False, True], ids=["sound", "damaged"])
def test_readers_never_change_a_run_folder(cli, sound, damaged):
    if damaged:
        damage(sound)
    before = checksums(sound)
    for name, read in readers(cli, sound):
        read()
        assert checksums(sound) == before, f"{name} changed the folder"


@pytest.mark.slow
def test_a_damaged_folder_shows_what_it_can_and_says_what_it_skipped(cli, sound):
    damage(sound)
    code, out, err = cli("report", sound)
    assert code == 0 and "epoch" in out
    warnings = err.splitlines()
    assert len(warnings) == 3 and all(w.startswith("writebot: warning: skipped ") for w in warnings)
    assert "feedback.jsonl:4 (not a JSON record" in err and "updates.jsonl:" in err and "torn last line" in err
    assert "usage.csv:2 (4 fields, the header has 12)" in err
    assert len(RunStore.open(sound).draft_records) == 23  # 24 drafts, one line unreadable: the other 23 are all there


@pytest.mark.slow
def test_notebook_04_reads_a_damaged_run_without_changing_it(sound, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    damage(sound)
    before = checksums(sound)
    notebook = nbformat.read(ROOT / "notebooks" / "04_inspect_run.ipynb", as_version=4)
    os.environ["WRITEBOT_NB_INSPECT"] = str(sound)
    try:
        NotebookClient(notebook, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        del os.environ["WRITEBOT_NB_INSPECT"]
    assert checksums(sound) == before
    said = "".join(o.get("text", "") for cell in notebook.cells for o in cell.get("outputs", []))
    assert "skipped feedback.jsonl:4" in said


@pytest.mark.slow
def test_ten_thousand_records_and_one_bad_line_lose_nothing_to_readers(cli, tmp_path, sound):
    log = sound / "feedback.jsonl"
    one = log.read_bytes().splitlines(keepends=True)[0]
    body = [one] * 10_000
    body[5] = b"this line was damaged\n"
    log.write_bytes(b"".join(body))
    before = log.read_bytes()
    for _, read in readers(cli, sound):
        read()
    assert log.read_bytes() == before and len(RunStore.open(sound).draft_records) == 9_999


# -- the writer --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_resume_moves_a_torn_last_line_aside_and_says_so(cli, sound):
    log = sound / "feedback.jsonl"
    whole = log.read_bytes()
    lines = whole.splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:-1]) + lines[-1][:30])  # the last draft's record, half written
    json.loads((sound / "run.json").read_text())
    (sound / "run.json").write_text(json.dumps({**json.loads((sound / "run.json").read_text()),
                                                "status": "interrupted"}))
    code, _, err = cli("resume", sound)
    assert code == 0, err
    aside = next(sound.glob("feedback.jsonl.torn-*"))
    assert aside.read_bytes() == lines[-1][:30]
    assert f"writebot: warning: feedback.jsonl:{len(lines)}: a torn last line (30 bytes" in err and aside.name in err
    def records(raw):
        return [{k: v for k, v in json.loads(x).items() if k != "time"} for x in raw.splitlines()]

    assert records(log.read_bytes()) == records(whole)  # the record was made again, whole


def test_resume_stops_at_a_damaged_line_and_changes_nothing(cli, sound):
    damage(sound)
    before = checksums(sound)
    code, _, err = cli("resume", sound)
    assert code == 2 and err.count("\n") == 1
    assert f"{sound}/feedback.jsonl:4: not a JSON record" in err and f"writebot check {sound} --repair" in err
    assert checksums(sound) == before


@pytest.mark.slow
def test_a_second_writer_is_refused_and_nothing_is_doubled(cli, tmp_path, write_yaml):
    from writebot.testing.topics import generate_topics, to_yaml

    topics = tmp_path / "many.yaml"
    topics.write_text(to_yaml(generate_topics(600, seed=5)), encoding="utf-8")
    out = tmp_path / "busy"
    writer = subprocess.Popen([sys.executable, "-m", "writebot", "simulate", "--topics", str(topics), "--persona",
                               str(bundled.persona("warm-casual")), "--epochs", "2", "--out", str(out)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = out / "feedback.jsonl"
    deadline = time.monotonic() + 60
    while not (log.exists() and log.read_bytes().count(b"\n") > 50) and time.monotonic() < deadline:
        time.sleep(0.01)
    code, _, err = cli("resume", out)
    second = subprocess.run([sys.executable, "-m", "writebot", "resume", str(out)], capture_output=True, text=True)
    assert writer.wait(timeout=120) == 0, writer.stderr.read()
    assert code == 2 and err.count("\n") == 1 and f"run folder in use by pid {writer.pid} (simulate), started at" in err
    assert second.returncode == 2 and "in use by pid" in second.stderr and "Traceback" not in second.stderr
    keys = [(r.epoch, r.topic_id) for r in RunStore.open(out).draft_records]
    assert len(keys) == len(set(keys)) == 3 * 600


@pytest.mark.slow
def test_the_lock_dies_with_its_process(cli, sound):
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; "
                               "from writebot.store.run_folder import RunStore; "
                               "held = RunStore.open_for_writing(sys.argv[1], 'resume'); print('locked', flush=True);"
                               " time.sleep(60)", str(sound)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    assert cli("check", sound, "--repair")[0] == 2
    holder.kill()
    holder.wait()
    assert cli("check", sound, "--repair")[0] == 0  # kill -9 leaves no stale lock


# -- writebot check ----------------------------------------------------------------------------------------
def test_check_a_sound_folder(cli, sound):
    code, out, err = cli("check", sound)
    assert (code, out) == (0, "") and "sound (24 drafts)" in err


def corrupt_semantics(folder: Path) -> None:
    style = folder / "versions" / "epoch_001" / "STYLE.md"
    style.write_text(style.read_text() + "\n- Added by hand.\n")
    history = folder / "history.csv"
    history.write_text(history.read_text().replace("topic-0", "topic-X", 1))
    records = (folder / "feedback.jsonl").read_text().splitlines()
    late = json.loads(records[0])
    with open(folder / "feedback.jsonl", "a") as log:
        log.write(json.dumps({**late, "epoch": 7}) + "\n")
        log.write(json.dumps({"epoch": 1, "topic_id": "topic-1"}) + "\n")  # no draft, no ground truth


def test_check_names_every_problem_by_file_and_line(cli, sound):
    corrupt_semantics(sound)
    damage(sound)
    before = checksums(sound)
    code, out, err = cli("check", sound)
    assert code == 2 and checksums(sound) == before
    found = out.splitlines()
    expected = [
        "feedback.jsonl:4: not a JSON record", "feedback.jsonl:26: missing split, version, draft, feedback, "
        "ground_truth", "updates.jsonl:3: torn last line (17 bytes", "usage.csv:2: 4 fields, the header has 12",
        "feedback.jsonl:25: epoch 7 is past the last version (epoch 2)",
        "feedback.jsonl:9: 8 drafts of epoch 1 name version", "updates.jsonl:1: the accepted update should leave",
        "updates.jsonl:2: from_version", "history.csv: differs from what feedback.jsonl holds"]
    for text in expected:
        assert any(text in line for line in found), (text, found)
    assert len(found) == len(expected)  # one line per problem
    assert "--repair" in err


@pytest.mark.slow
def test_repair_moves_bad_lines_to_quarantine_and_deletes_nothing(cli, sound):
    damage(sound)
    feedback = (sound / "feedback.jsonl").read_bytes()
    code, out, _ = cli("check", sound, "--repair")
    assert "feedback.jsonl: moved line 4 to feedback.jsonl.quarantine-" in out
    quarantine = next(sound.glob("feedback.jsonl.quarantine-*")).read_bytes()
    assert quarantine == b'{"epoch": 0, "topic_id": "topic-3", BROKEN\n'
    kept = (sound / "feedback.jsonl").read_bytes()
    assert sorted(kept.splitlines() + quarantine.splitlines()) == sorted(feedback.splitlines())
    assert next(sound.glob("updates.jsonl.quarantine-*")).read_bytes() == b'{"epoch": 9, "sta'
    assert code == 2  # what is left is history.csv, which a writer rebuilds
    assert cli("resume", sound)[0] == 0 and cli("check", sound)[0] == 0


# -- a full disk, an I/O error ------------------------------------------------------------------------------
def failing_after(n: int, where: str, error: int, monkeypatch):
    """The n-th write to a file whose path contains `where` writes half its bytes, then fails as a full disk (or a
    bad sector) would."""
    real = files.write_all
    count = [0]

    def write_all(fd, data, name):
        count[0] += where in name
        if count[0] == n and where in name:
            real(fd, data[: len(data) // 2], name)  # these bytes reach the file, as they would on a real disk
            raise OSError(error, os.strerror(error), name)
        real(fd, data, name)

    monkeypatch.setattr(files, "write_all", write_all)


@pytest.mark.slow
@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EIO])
@pytest.mark.parametrize("nth, where", [(10, "feedback.jsonl"), (3, "epoch_001")])
def test_a_failing_disk_loses_nothing_and_resume_continues(cli, tmp_path, topics_file, monkeypatch, sound,
                                                           error, nth, where):
    out = tmp_path / "r"
    failing_after(nth, where, error, monkeypatch)
    code, _, err = cli("simulate", "--topics", topics_file, "--persona", bundled.persona("warm-casual"),
                       "--epochs", "2", "--out", out)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, where
    assert os.strerror(error) in err and f"writebot resume {out}" in err
    run = RunStore.open(out)
    assert run.config["status"] == "failed" and os.strerror(error) in run.config["error"]
    assert run.skipped == []  # no half-written record was left behind
    assert not any(p.name.startswith(".") and p.name.endswith(".tmp") for p in out.rglob("*"))
    monkeypatch.undo()  # space freed
    assert cli("resume", out)[0] == 0
    clean = {(r.epoch, r.topic_id, r.draft, r.ground_truth) for r in RunStore.open(sound).draft_records}
    records = RunStore.open(out).draft_records
    assert {(r.epoch, r.topic_id, r.draft, r.ground_truth) for r in records} == clean


def test_an_append_the_kernel_cuts_short_takes_its_own_bytes_back(tmp_path):
    """A real failure from the kernel (a file size limit, as a full disk would), not a stand-in."""
    script = (
        "import resource, signal, sys\n"
        "from writebot.files import JsonlLog\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "log = JsonlLog(sys.argv[1])\n"
        "log.append({'n': 0, 'text': 'x' * 100})\n"
        "size = log.path.stat().st_size\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (size + 40, size + 40))\n"
        "try:\n"
        "    log.append({'n': 1, 'text': 'y' * 100})\n"
        "except OSError as exc:\n"
        "    print(exc.errno)\n")
    log = tmp_path / "log.jsonl"
    done = subprocess.run([sys.executable, "-c", script, str(log)], capture_output=True, text=True)
    assert done.stdout.strip() == str(errno.EFBIG), done.stderr
    assert log.read_bytes().count(b"\n") == 1 and log.read_bytes().endswith(b"}\n")  # no half record of ours


@pytest.mark.slow
def test_a_failing_usage_row_stops_the_claude_run_and_resume_finishes(cli, sim, tmp_path, topics_file,
                                                                      monkeypatch):
    out = tmp_path / "r"
    real = files.write_all
    failing_after(4, "usage.csv", errno.ENOSPC, monkeypatch)
    code, _, err = cli("simulate", "--engine", "claude", "--topics", topics_file, "--persona",
                       bundled.persona("warm-casual"), "--epochs", "0", "--concurrency", "1", "--out", out)
    assert code == 1 and err.count("\n") == 1 and "No space left on device" in err
    run = RunStore.open(out)
    assert run.skipped == [] and len(run.draft_records) == 1 and len(run.usage.rows) == 2  # the warm-up, one draft
    monkeypatch.setattr(files, "write_all", real)  # space freed (the simulator's settings stay)
    code, _, err = cli("resume", out)
    assert code == 0, err
    assert len(RunStore.open(out).draft_records) == 8


def test_a_disk_error_before_training_is_one_line_too(cli, tmp_path, topics_file, monkeypatch):
    from writebot.store import run_folder

    def full(path, content):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(run_folder, "write_json_atomic", full)  # run.json, the first thing a new run writes
    code, _, err = cli("simulate", "--topics", topics_file, "--persona", bundled.persona("warm-casual"),
                       "--out", tmp_path / "r")
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert f"could not write {tmp_path / 'r' / 'run.json'} (No space left on device)" in err


# -- a reader beside a writer -------------------------------------------------------------------------------
@pytest.mark.slow
def test_report_in_a_loop_beside_a_writer_loses_nothing(cli, tmp_path):
    from writebot.testing.topics import generate_topics, to_yaml

    topics = tmp_path / "many.yaml"
    topics.write_text(to_yaml(generate_topics(400, seed=9)), encoding="utf-8")
    common = ["simulate", "--topics", str(topics), "--persona", str(bundled.persona("terse-technical")),
              "--epochs", "2"]
    out = tmp_path / "busy"
    writer = subprocess.Popen([sys.executable, "-m", "writebot", *common, "--out", str(out)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    reads = 0
    while writer.poll() is None:
        if (out / "history.csv").exists():
            code, _, err = cli("report", out)
            assert code in (0, 2) and "Traceback" not in err
            reads += 1
    assert writer.returncode == 0, writer.stderr.read()
    subprocess.run([sys.executable, "-m", "writebot", *common, "--out", str(tmp_path / "clean")], check=True,
                   capture_output=True)
    assert reads >= 3
    got, want = RunStore.open(out), RunStore.open(tmp_path / "clean")
    assert [(r.epoch, r.topic_id, r.draft) for r in got.draft_records] == \
        [(r.epoch, r.topic_id, r.draft) for r in want.draft_records]
    assert got.skipped == [] and not list(out.glob("*.torn-*"))


@pytest.mark.slow
def test_a_writer_clears_what_an_interrupted_atomic_write_left(cli, sound):
    (sound / ".history.csv.abc123.tmp").write_text("half")
    (sound / "versions" / ".epoch_009.xyz.tmp").mkdir()
    (sound / "versions" / ".epoch_009.xyz.tmp" / "STYLE.md").write_text("half a version")
    (sound / "versions" / "epoch_002").rename(sound / "versions" / ".epoch_002.old")  # killed between two renames
    assert RunStore.open(sound).versions() == [0, 1]  # a reader sees what is there, and touches nothing
    with RunStore.open_for_writing(sound, "test") as run:
        assert run.versions() == [0, 1, 2]
    assert sorted(p.name for p in sound.rglob(".*") if p.name != ".writebot.lock") == []


# -- what a careful review broke --------------------------------------------------------------------------
def test_stray_carriage_returns_mid_file_never_cost_a_record(cli, sound):
    log = sound / "feedback.jsonl"
    lines = log.read_bytes().split(b"\n")[:-1]
    lines[2] = lines[2][:-1] + b"\r"  # two records whose last byte a stray edit turned into a carriage return
    lines[5] = lines[5][:-1] + b"\r"
    log.write_bytes(b"\n".join(lines) + b"\n")
    whole = {json.loads(x)["topic_id"] + str(json.loads(x)["epoch"]) for i, x in enumerate(lines) if i not in (2, 5)}
    code, _, err = cli("resume", sound)
    assert code == 2 and "feedback.jsonl:3: not a JSON record" in err  # damage, not a torn line: nothing moved
    cli("check", sound, "--repair")
    kept = {r.topic_id + str(r.epoch) for r in RunStore.open(sound).draft_records}
    assert whole <= kept and len(next(sound.glob("feedback.jsonl.quarantine-*")).read_bytes().split(b"\n")) == 3


@pytest.mark.slow
def test_a_quarantined_update_never_lets_resume_replace_a_version_in_use(cli, sound):
    updates = sound / "updates.jsonl"
    lines = updates.read_bytes().split(b"\n")
    updates.write_bytes(b"\n".join([b"{not json"] + lines[1:]))  # the record of epoch 0's update is damaged
    version_1 = RunStore.open(sound).load_version(1)
    assert cli("check", sound, "--repair")[0] in (0, 2)
    assert cli("resume", sound)[0] == 0
    run = RunStore.open(sound)
    assert run.load_version(1) == version_1
    recovered = [u for u in run.update_records if u.epoch == 0]
    assert [u.status for u in recovered] == ["recovered"] and recovered[0].to_version == version_1.version_hash
    assert cli("check", sound)[0] == 0


def test_a_damaged_usage_header_is_never_moved_and_stops_a_writer(cli, sound):
    usage = sound / "usage.csv"
    usage.write_text(usage.read_text().replace("purpose", "purp0se"))
    code, out, _ = cli("check", sound)
    assert code == 2 and "usage.csv:1: not a usage.csv header; line 1 must read: purpose,model," in out
    assert "(restore it by hand)" in out
    cli("check", sound, "--repair")
    assert usage.read_text().startswith("purp0se") and not list(sound.glob("usage.csv.quarantine-*"))
    code, _, err = cli("resume", sound)
    assert code == 2 and "usage.csv:1" in err and "restore it by hand" in err


@pytest.mark.slow
def test_lines_of_the_wrong_type_are_damage_not_a_traceback(cli, sound):
    with open(sound / "feedback.jsonl", "a") as log:
        log.write('{"epoch": "0", "topic_id": "x", "split": "train", "version": "v", "draft": "d", '
                  '"feedback": [], "ground_truth": "g"}\n[1, 2]\n')
    code, out, err = cli("check", sound)
    assert code == 2 and "Traceback" not in err
    assert "feedback.jsonl:25: epoch is str, not int" in out and "feedback.jsonl:26: not a JSON object" in out


def test_check_finds_duplicates(cli, sound):
    log = sound / "feedback.jsonl"
    first = log.read_bytes().split(b"\n")[0]
    with open(log, "ab") as handle:
        handle.write(first + b"\n")
    updates = sound / "updates.jsonl"
    with open(updates, "ab") as handle:
        handle.write(updates.read_bytes().split(b"\n")[0] + b"\n")
    code, out, _ = cli("check", sound)
    assert code == 2 and "feedback.jsonl:25: topic topic-0 of epoch 0 again (first at line 1)" in out
    assert "a second update for epoch 0" in out


@pytest.mark.slow
def test_check_is_quiet_about_sound_runs_of_every_kind(cli, sim, tmp_path, topics_file):
    from writebot.testing.replies import echo_writer, scripted, text_reply, tool_reply

    persona = bundled.persona("warm-casual")
    common = ["simulate", "--engine", "claude", "--topics", topics_file, "--persona", persona]

    def worse(body):  # an update that makes every draft worse: the deferred gate rolls it back
        reply = echo_writer(body)
        if not body.get("tools") and "- Ramble." in json.dumps(body.get("system")):
            reply["content"][0]["text"] = reply["content"][0]["text"].rstrip("\n") + " Utilize it all.\n"
        return reply

    sim.responder = scripted(tool_reply({"command": "str_replace", "path": "/pipeline/STYLE.md",
                                         "old_str": "## Rules\n", "new_str": "## Rules\n\n- Ramble.\n"}),
                             text_reply("Ramble."), drafts=worse)
    assert cli(*common, "--epochs", "3", "--out", tmp_path / "rolled")[0] == 0
    assert any(u.status == "rolled_back" for u in RunStore.open(tmp_path / "rolled").update_records)
    assert cli(*common, "--epochs", "1", "--concurrency", "1", "--max-cost-usd", "0.0005",
               "--out", tmp_path / "stopped")[0] == 0
    assert RunStore.open(tmp_path / "stopped").config["status"] == "stopped"
    assert cli(*common, "--epochs", "1", "--batch-api", "--out", tmp_path / "batched")[0] == 0
    for name in ("rolled", "stopped", "batched"):
        code, out, _ = cli("check", tmp_path / name)
        assert (code, out) == (0, ""), (name, out)


def test_a_finished_run_stays_complete_whatever_its_report_meets(cli, tmp_path, topics_file, monkeypatch):
    from writebot import cli as cli_module

    def no_room(run):
        raise OSError(errno.EACCES, os.strerror(errno.EACCES), str(run.path / "learning_curve.png"))

    monkeypatch.setattr(cli_module, "write_plots", no_room)
    code, out, err = cli("simulate", "--topics", topics_file, "--persona", bundled.persona("warm-casual"),
                         "--out", tmp_path / "r")
    assert code == 0 and "epoch" in out and "the plots were not written (Permission denied" in err
    assert RunStore.open(tmp_path / "r").config["status"] == "complete"


def test_a_second_writer_in_the_same_process_is_told_to_close_the_first(tmp_path, sound):
    first = RunStore.open_for_writing(sound, "notebook workbench")
    with pytest.raises(Exception, match="this process already has the run open for writing"):
        RunStore.open_for_writing(sound, "resume")
    first.close()
    RunStore.open_for_writing(sound, "resume").close()


def test_a_folder_whose_creation_a_crash_cut_short_can_be_used_again(cli, tmp_path, topics_file):
    out = tmp_path / "r"
    (out / "inputs").mkdir(parents=True)
    (out / "inputs" / "topics.yaml").write_text("- half")
    (out / ".writebot.lock").write_text("")
    assert cli("simulate", "--topics", topics_file, "--persona", bundled.persona("warm-casual"), "--epochs", "0",
               "--out", out)[0] == 0
