"""Reading input files with clear errors, and the one way writebot writes: atomically or append + fsync."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from writebot.errors import InputError, KeepLine


def read_text(path: Path | str, what: str = "file") -> str:
    """Read a UTF-8 text file or raise InputError naming the file and the fix."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path}: expected a {what}, found a folder") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} ({exc.strerror}); check its permissions") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not valid UTF-8 (byte {exc.start}); save the {what} as UTF-8"
        ) from None


def read_yaml(path: Path | str, what: str = "YAML file") -> Any:
    """Parse a YAML file; malformed YAML becomes an InputError with line and column."""
    text = read_text(path, what)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{path}{where}: malformed YAML ({problem}); fix the syntax there") from None


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_UMASK = os.umask(0)
os.umask(_UMASK)


def write_all(fd: int, data: bytes, name: str) -> None:
    """Every byte writebot writes goes through here, unbuffered, so a failure is seen where it happens (tests put a
    full disk or an I/O error in its place; `name` is the file's path)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _mode_for(path: Path) -> int:
    """A replaced file keeps its permissions; a new one gets the usual ones (0666 less the umask)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o666 & ~_UMASK


def write_atomic(path: Path | str, content: str | bytes) -> None:
    """Write to path via a temp file in the same folder and a rename: readers see old or new, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        try:
            os.fchmod(fd, _mode_for(path))
            write_all(fd, data, str(path))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_json_atomic(path: Path | str, data: Any) -> None:
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_tree_atomic(path: Path | str, files: dict[str, str]) -> None:
    """Write a whole folder of text files so that `path` holds either the old tree or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        os.chmod(tmp, 0o777 & ~_UMASK)
        for rel, text in files.items():
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            try:
                write_all(fd, text.encode("utf-8"), str(path / rel))
                os.fsync(fd)
            finally:
                os.close(fd)
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(path.parent)


def utc_stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def append_bytes(path: Path, data: bytes) -> None:
    """The one way writebot appends: write (unbuffered), fsync. If the write fails (a full disk, an I/O error), the
    bytes of this failed append are cut back off, so the file never keeps half a record of ours; if even that fails,
    the next writer moves the torn tail aside (RunStore.open_for_writing)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        start = os.lseek(fd, 0, os.SEEK_END)
        try:
            write_all(fd, data, str(path))
            os.fsync(fd)
        except OSError:
            try:
                os.ftruncate(fd, start)
                os.fsync(fd)
            except OSError:
                pass
            raise
    finally:
        os.close(fd)


def lines_of(raw: bytes) -> list[bytes]:
    """The lines of a log, each with its newline. Only a newline ends a line (a stray carriage return does not), so
    only the very last line can lack one."""
    lines = raw.split(b"\n")
    return [line + b"\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def aside_path(path: Path, kind: str) -> Path:
    """<file>.<kind>-<UTC time>, beside the file, never an existing one."""
    stamp = utc_stamp()
    candidate, n = path.with_name(f"{path.name}.{kind}-{stamp}"), 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{kind}-{stamp}-{n}")
    return candidate


@dataclass(frozen=True)
class BadLine:
    """A line of a log that is not a whole record: unparseable, missing fields, or torn (the last line, without its
    newline: a crash in the middle of an append)."""

    path: Path
    line: int  # 1-based
    offset: int  # byte offset of the line in the file
    data: bytes
    reason: str
    movable: bool = True  # False: a line the log cannot do without (usage.csv's header); a person must fix it

    @property
    def torn(self) -> bool:
        return not self.data.endswith(b"\n")

    def __str__(self) -> str:
        return f"{self.path.name}:{self.line}: {self.reason}"


@dataclass
class Scan:
    records: list[Any]
    bad: list[BadLine]


class LineLog:
    """An append-only log of one record per line, flushed and fsynced before append() returns. Reading never
    writes: scan() returns the whole records and names the lines it could not use. Subclasses parse a line."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.failed: OSError | None = None

    def append_line(self, text: str) -> None:
        if self.failed is not None:  # after a failed append, nothing more goes in behind it
            raise self.failed
        try:
            append_bytes(self.path, text.encode("utf-8"))
        except OSError as exc:
            self.failed = exc
            raise

    def parse(self, line: bytes, number: int) -> Any:
        """The record of one whole line (with its newline); raise ValueError saying what is wrong."""
        raise NotImplementedError

    def scan(self) -> Scan:
        if not self.path.exists():
            return Scan([], [])
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read ({exc.strerror}); check the disk and its permissions") from None
        records: list[Any] = []
        bad: list[BadLine] = []
        offset = 0
        for number, line in enumerate(lines_of(raw), 1):
            try:
                if not line.endswith(b"\n"):
                    raise ValueError(f"torn last line ({len(line)} bytes, no newline: a write that did not finish)")
                record = self.parse(line, number)
                if record is not None:
                    records.append(record)
            except ValueError as exc:
                bad.append(BadLine(self.path, number, offset, line, str(exc), not isinstance(exc, KeepLine)))
            offset += len(line)
        return Scan(records, bad)

    def read(self) -> list[Any]:
        """The whole records (lines that are not are skipped; scan() says which)."""
        return self.scan().records

    def move_aside(self, bad: list[BadLine], kind: str) -> Path:
        """Writers only: move these lines to <file>.<kind>-<UTC time> and keep the rest. The moved bytes are written
        (and fsynced) first, then the log is replaced atomically, so a crash in between loses nothing."""
        aside = aside_path(self.path, kind)
        write_atomic(aside, b"".join(b.data for b in bad))
        drop = {b.offset for b in bad}
        raw = self.path.read_bytes()
        kept, offset = [], 0
        for line in lines_of(raw):
            if offset not in drop:
                kept.append(line)
            offset += len(line)
        write_atomic(self.path, b"".join(kept))
        return aside


class JsonlLog(LineLog):
    """JSON lines; a record must be an object that fits `model` when one is given (a writebot.store.formats.Record:
    its `read` gives the line as that model, or says why it does not fit)."""

    def __init__(self, path: Path | str, model: Any = None):
        super().__init__(path)
        self.model = model

    def append(self, record: dict[str, Any]) -> None:
        self.append_line(json.dumps(record, ensure_ascii=False) + "\n")

    def parse(self, line: bytes, number: int) -> Any:
        try:
            record = json.loads(line)
        except UnicodeDecodeError:
            raise ValueError("not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a JSON record ({exc.msg})") from None
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
        return record if self.model is None else self.model.read(record)
