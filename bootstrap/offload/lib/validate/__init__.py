"""`offload validate`: a file through its schema locally, as the worker would load it, writing nothing to AWS.

The worker's own stages do the work (its format reader, the schema's compiled encoder and
the row loop with its duplicates policy); only the batch writer is left out: no AWS client
is ever created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from offload_worker.batch_writer import WriteStats
from offload_worker.errors import FileRejected
from offload_worker.formats.reader import Reader
from offload_worker.load import Counts, Loader, report_line
from offload_worker.results import REJECTS_HEADER
from offload_worker.schema import SchemaError, load_schema

FIRST_REJECTS = 10  # shown on the terminal; the report has them all


class Unreadable(Exception):
    """The schema or the file cannot be read at all (exit 2); str() is the one line to show."""


@dataclass
class Validation:
    counts: Counts
    first_rejects: list[tuple[int, str]] = field(default_factory=list)
    rejects_path: Path | None = None
    notes: list[str] = field(default_factory=list)
    duplicates: str = "last"  # the schema's policy: with reject, the duplicates are among the rejected rows

    @property
    def exit_code(self) -> int:
        return 1 if self.counts.rejected else 0

    def summary(self) -> str:
        """ "5 rows, 2 valid, 3 rejected (2 of them duplicate keys)", or "..., 1 duplicate key(s)"."""
        counts = self.counts
        line = f"{counts.rows} rows, {counts.loaded} valid, {counts.rejected} rejected"
        if self.duplicates == "reject":
            return line + (f" ({counts.duplicate} of them duplicate keys)" if counts.duplicate else "")
        return line + f", {counts.duplicate} duplicate key(s)"


class _NoWrites:
    """The batch writer's place: the items are built and checked, and go nowhere."""

    def put(self, key: str, item: str) -> None:
        pass

    def close(self) -> WriteStats:
        return WriteStats()

    def abort(self) -> None:
        pass


class _Report:
    """The rejects report, written as the worker writes it, only once a row is rejected."""

    def __init__(self, path: Path, first: int) -> None:
        self.path, self._first = path, first
        self._handle: IO[str] | None = None
        self.first: list[tuple[int, str]] = []

    def add(self, line: int, reason: str, raw: str) -> None:
        if self._handle is None:
            self._handle = self.path.open("w", encoding="utf-8", newline="")
            self._handle.write(report_line(REJECTS_HEADER))
        self._handle.write(report_line((str(line), reason, raw)))
        if len(self.first) < self._first:
            self.first.append((line, reason))

    def close(self) -> bool:
        """True when a report was written."""
        if self._handle is None:
            return False
        self._handle.close()
        return True


def validate(schema_path: Path, data_path: Path, rejects_path: Path | None = None) -> Validation:
    """Load `data_path` (csv or jsonl, plain or gzip) through the schema at `schema_path`, without AWS."""
    try:
        schema = load_schema(schema_path.read_bytes(), str(schema_path))
    except (OSError, SchemaError) as error:
        raise Unreadable(str(error)) from None
    report = _Report(rejects_path or Path(data_path.name + ".rejects.csv"), FIRST_REJECTS)
    report.path.unlink(missing_ok=True)  # an older run's report would describe a file that changed since
    try:
        with data_path.open("rb", buffering=0) as raw:
            names, rows = Reader(schema.file).open(raw)
            encoder = schema.compile(names, bucket="", key=str(data_path), etag="")
            loader = Loader(encoder, schema.duplicates, _NoWrites(), lambda *_: None, report.add)
            loader.load(rows)
            counts = loader.finish()
    except FileRejected as error:
        raise Unreadable(f"{data_path}{f':{error.line}' if error.line else ''}: {error}") from None
    except OSError as error:
        raise Unreadable(f"{data_path}: {error.strerror or error}") from None
    finally:
        written = report.close()
    notes = [f"ignored column(s) not in the schema: {', '.join(encoder.ignored)}"] if encoder.ignored else []
    return Validation(counts, report.first, report.path if written else None, notes, schema.duplicates)
