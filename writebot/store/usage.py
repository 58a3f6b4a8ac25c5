"""usage.csv: what each Claude call used and cost, one row per call (docs/FORMATS.md). Storage, so that the run
folder needs nothing from the API module: the Claude client (writebot.claude.llm) appends to it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from writebot.errors import KeepLine
from writebot.files import LineLog, Scan, append_bytes

USAGE_COLUMNS = ["purpose", "model", "input_tokens", "output_tokens", "cache_read_input_tokens",
                 "cache_creation_input_tokens", "latency_s", "cost_usd", "epoch", "thinking_tokens", "stop_reason",
                 "message_id"]


class UsageLog(LineLog):
    """usage.csv: one row per call, appended, flushed and fsynced. Reading never writes; an older file keeps its own
    columns. Without a path (no run folder), rows are kept in memory only."""

    def __init__(self, path: Path | str | None):
        super().__init__(path or ".")
        self.stored = path is not None
        self.columns = USAGE_COLUMNS
        self.epoch: int | None = None  # the loop stamps it, so rows say which epoch (or round) they belong to
        scan = self.scan() if self.stored else Scan([], [])
        self.rows: list[dict] = scan.records
        self.bad = scan.bad

    @classmethod
    def create(cls, path: Path | str) -> UsageLog:
        """A new usage.csv with its header (writers only)."""
        append_bytes(Path(path), (",".join(USAGE_COLUMNS) + "\n").encode())
        return cls(path)

    def parse(self, line: bytes, number: int) -> dict | None:
        try:
            values = next(csv.reader(io.StringIO(line.decode("utf-8"))), [])
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ValueError(f"not a CSV row ({exc})") from None
        if number == 1:
            if values not in (USAGE_COLUMNS, USAGE_COLUMNS[:9]):  # this release's header, or the first release's
                raise KeepLine(f"not a usage.csv header; line 1 must read: {','.join(USAGE_COLUMNS)}")
            self.columns = values
            return None
        if len(values) != len(self.columns):
            raise ValueError(f"{len(values)} fields, the header has {len(self.columns)}")
        return dict(zip(self.columns, values, strict=True))

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if self.stored:
            if not self.path.exists() or self.path.stat().st_size == 0:
                self.append_line(",".join(self.columns) + "\n")
            out = io.StringIO()
            csv.DictWriter(out, self.columns, extrasaction="ignore", lineterminator="\n").writerow(row)
            self.append_line(out.getvalue())

    @property
    def cost(self) -> float:
        return sum(float(r.get("cost_usd") or 0) for r in self.rows)
