"""One writer per run folder: an exclusive lock on <run>/.writebot.lock, taken by every command and session that
writes the run (simulate, demo, resume, check --repair, the notebook's workbench).

It is an `fcntl.flock` lock: the operating system releases it when the process ends, however it ends (kill -9
included), so a crash never leaves a stale lock. The file also says who holds it, for the message a second writer
gets. Readers never take it (taking it would mean writing the folder).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

from writebot.errors import RunInUse

LOCK_FILE = ".writebot.lock"


class RunLock:
    def __init__(self, handle, folder: Path):
        self._handle = handle
        self.folder = folder

    @classmethod
    def acquire(cls, folder: Path | str, command: str) -> RunLock:
        folder = Path(folder)
        handle = os.fdopen(os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666), "r+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            text = handle.read()
            handle.close()
            if _pid(text) == os.getpid():
                raise RunInUse(f"{folder}: this process already has the run open for writing ({_holder(text)}); "
                               "close that first (run.close(), or workbench.close() in a notebook)") from None
            raise RunInUse(f"{folder}: run folder in use by {_holder(text)}; wait for it to finish (or stop it), "
                           "or open it read-only (writebot report, notebook 04)") from None
        info = json.dumps({"pid": os.getpid(), "command": command, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        handle.seek(0)
        handle.write(info.ljust(max(len(info), 255)) + "\n")  # one write over the old text: never seen empty
        handle.truncate()
        handle.flush()
        return cls(handle, folder)

    def release(self) -> None:
        if self._handle is not None and not self._handle.closed:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
        self._handle = None

    @property
    def held(self) -> bool:
        return self._handle is not None and not self._handle.closed


def _pid(text: str) -> int | None:
    try:
        return int(json.loads(text)["pid"])
    except (ValueError, KeyError, TypeError):
        return None


def _holder(text: str) -> str:
    try:
        info = json.loads(text)
        return f"pid {info['pid']} ({info['command']}), started at {info['started']}"
    except (ValueError, KeyError, TypeError):
        return "another process"
