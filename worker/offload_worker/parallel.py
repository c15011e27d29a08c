"""Load one file with several processes: the host's cores, not one Python thread's.

This process reads the file once (the same streaming, resuming CSV reader as a
single-process run, so rows, line numbers and parse rejects are identical) and
deals each row to a load process by the hash of its key (the schema's Encoder.key). A key's
rows therefore all reach one process, in file order: the later row wins, and each process
counts its own repeated keys exactly (and applies a first-wins or reject policy exactly).
Each load process writes its share to DynamoDB and
spills its output and rejects lines, tagged with line numbers, to a local file;
those are merged back into file order here. Memory stays flat in every process.
"""

from __future__ import annotations

import contextlib
import heapq
import multiprocessing
import os
import signal
import struct
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import IO, Any

from offload_worker.batch_writer import BatchWriter, WriteStats
from offload_worker.clients import wire_client
from offload_worker.errors import RowRejected, WorkerError
from offload_worker.job_schema import SchemaFile
from offload_worker.load import Counts, Loader, Row
from offload_worker.settings import Settings

_DEAL = 512  # rows per message to a load process
_RECORD = struct.Struct("<qII")  # line number, lengths of the key and the text that follow


@dataclass
class Share:
    """What one load process reports back."""

    counts: Counts
    output: str  # spill file paths
    rejects: str
    error: WorkerError | None = None


def _spill(handle: IO[bytes], line: int, key: str, text: str) -> None:
    data, key_data = text.encode("utf-8", "surrogateescape"), key.encode("utf-8", "surrogateescape")
    handle.write(_RECORD.pack(line, len(key_data), len(data)) + key_data + data)


def _read_spill(path: str) -> Iterator[tuple[int, bytes, bytes]]:
    with open(path, "rb", buffering=1 << 16) as handle:
        while head := handle.read(_RECORD.size):
            line, key_size, size = _RECORD.unpack(head)
            yield line, handle.read(key_size), handle.read(size)


def merged(paths: Iterable[str]) -> Iterator[tuple[int, bytes, bytes]]:
    """The spilled lines of every share, in file order."""
    return heapq.merge(*(_read_spill(p) for p in paths))


def _load_share(
    settings: Settings, schema: SchemaFile, names: list[str] | None, etag: str, concurrency: int, inbox: Connection
) -> None:
    """A load process: rows from the pipe until None, then its Share back on the same pipe."""
    from offload_worker.stop import ignore_in_load_process

    ignore_in_load_process()
    spill_dir = tempfile.mkdtemp(prefix="offload-share-")
    output_path, rejects_path = os.path.join(spill_dir, "output"), os.path.join(spill_dir, "rejects")
    with open(output_path, "wb", buffering=1 << 16) as out, open(rejects_path, "wb", buffering=1 << 16) as rej:
        loaded = schema.load()
        encoder = loaded.compile(names, bucket=settings.bucket, key=settings.key, etag=etag)
        # a fresh client (and connection pool) per process
        writer = BatchWriter(
            wire_client(settings.region, concurrency), settings.table, concurrency, settings.write_deadline_seconds
        )
        loader = Loader(
            encoder,
            loaded.duplicates,
            writer,
            lambda line, key, text: _spill(out, line, key, text),
            lambda line, reason, raw: _spill(rej, line, "", f"{reason}\x00{raw}"),
        )
        try:
            while (rows := inbox.recv()) is not None:
                loader.load(rows)
            counts = loader.finish()
        except Exception as error:  # noqa: BLE001 - the reading process reports it, in these words
            loader.abort()
            failure = error if isinstance(error, WorkerError) else WorkerError(f"{type(error).__name__}: {error}")
            inbox.send(Share(loader.counts, output_path, rejects_path, failure))
            return
    inbox.send(Share(counts, output_path, rejects_path))


def _route(key_of: Any, processes: int) -> Any:
    def share_of(line: int, record: Any) -> int:
        if not isinstance(record, RowRejected):
            try:
                return hash(key_of(record)) % processes
            except (ValueError, LookupError, TypeError):  # RowRejected too: its share says why
                pass
        return line % processes  # a row that will be rejected: any share

    return share_of


def load_in_processes(
    settings: Settings,
    schema: SchemaFile,
    names: list[str] | None,
    key_of: Any,
    etag: str,
    rows: Iterable[Row],
    processes: int,
) -> list[Share]:
    """Deal the rows to `processes` load processes by `key_of(record)`; their Shares, or raise the first one's error."""
    context = multiprocessing.get_context("spawn")  # no threads or sockets of this process are inherited
    concurrency = max(1, -(-settings.write_concurrency // processes))
    pipes, children = [], []
    for _ in range(processes):
        ours, theirs = context.Pipe()
        child = context.Process(
            target=_load_share, args=(settings, schema, names, etag, concurrency, theirs), daemon=True
        )
        child.start()
        theirs.close()  # the child has its own copy: when it ends, a send here fails instead of blocking
        pipes.append(ours)
        children.append(child)
    share_of = _route(key_of, processes)
    dealt: list[list[Row]] = [[] for _ in range(processes)]
    try:
        for line, fields in rows:
            index = share_of(line, fields)
            batch = dealt[index]
            batch.append((line, fields))
            if len(batch) >= _DEAL:
                _send(pipes, children, index, batch)
                dealt[index] = []
        for index, batch in enumerate(dealt):
            if batch:
                _send(pipes, children, index, batch)
            _send(pipes, children, index, None)
        shares: list[Share] = [_receive(pipes, children, index) for index in range(processes)]
    except BaseException:
        for child in children:
            child.kill()
        raise
    finally:
        for child in children:
            child.join(timeout=30)
    failed = next((s.error for s in shares if s.error is not None), None)
    if failed is not None:
        raise failed
    return shares


def _send(pipes: list[Connection], children: list[Any], index: int, rows: list[Row] | None) -> None:
    try:
        pipes[index].send(rows)
    except OSError:  # it stopped reading: it failed, and says why on its pipe
        raise _failure(pipes, children, index) from None


def _receive(pipes: list[Connection], children: list[Any], index: int) -> Share:
    try:
        share: Share = pipes[index].recv()
    except (EOFError, OSError):
        raise _failure(pipes, children, index) from None
    return share


def _failure(pipes: list[Connection], children: list[Any], index: int) -> WorkerError:
    """Why load process `index` stopped: its own error, or how it ended when it could not say."""
    with contextlib.suppress(EOFError, OSError):
        if pipes[index].poll(10):
            share: Share = pipes[index].recv()
            if share.error is not None:
                return share.error
    children[index].join(timeout=10)
    code = children[index].exitcode
    how = "was killed (SIGKILL: out of memory?)" if code == -signal.SIGKILL else f"ended with exit code {code}"
    return WorkerError(f"load process {index + 1} of {len(children)} {how} before loading its rows")


def total(shares: list[Share]) -> Counts:
    """The shares' counts added up; throttled time is the longest any share spent (they overlap)."""
    counts = Counts(writes=WriteStats())
    assert counts.writes is not None
    for share in shares:
        counts.rows += share.counts.rows
        counts.loaded += share.counts.loaded
        counts.rejected += share.counts.rejected
        counts.duplicate += share.counts.duplicate
        writes = share.counts.writes or WriteStats()
        counts.writes.requests += writes.requests
        counts.writes.retries += writes.retries
        counts.writes.throttled_seconds = max(counts.writes.throttled_seconds, writes.throttled_seconds)
    return counts


def remove_spills(shares: list[Share]) -> None:
    for share in shares:
        for path in (share.output, share.rejects):
            with contextlib.suppress(OSError):
                os.remove(path)
        with contextlib.suppress(OSError):
            os.rmdir(os.path.dirname(share.output))
