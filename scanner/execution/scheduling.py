"""Run every file's analysis: digest cache first, then in this process, in worker
processes or on a Dask cluster; results come back in the walk's order whatever finished first.

**How the local mode is chosen** (`plan`). Worker processes cost a start-up (a fork and a
pipe each, tens of milliseconds) and every result is encoded as JSON to come back, so they
are used only when the estimated serial work pays for them: at least two jobs and two files,
and an estimate of `FILE_COST` seconds per file plus `BYTE_COST` per byte of at least
`PROCESS_MIN_SECONDS`. Smaller scans run in this process, one file after the other: a single
big file is hashed at the speed of `hashlib` alone. Never in threads: CPython 3.11's parser is
not thread-safe (`ast.parse` in two threads at once fails with "AST constructor recursion
depth mismatch"), and Python code, `setup.py` and NumPy headers are all parsed with it.

**Batches and the window.** Files are sent in batches (at most `BATCH_FILES` files and
`BATCH_BYTES` bytes, so a big file travels alone), at most `WINDOW_PER_WORKER` batches per
worker in flight. Finished batches wait in a re-order buffer bounded by the window and are
merged in walk order, so memory held for pending work stays flat however many files there are.

**Failures.** A batch whose worker died (or raised) is sent once more; if it fails again each
of its files becomes a scan error ("analysis worker failed"), so nothing is silently missing.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol

from ..config import Config
from ..model import Collected, FileRef, Location, ScanError
from .digest_cache import DigestCache, open_cache
from .file_tasks import FileJob, FileResult, analyze, analyze_batch, decode, encode

FILE_COST = 0.0005  # seconds of serial work per file (sniff, parse, bookkeeping)
BYTE_COST = 1 / 800e6  # seconds per byte (hashing and parsing, on one core)
PROCESS_MIN_SECONDS = 0.4
BATCH_FILES = 32
BATCH_BYTES = 64 * 1024 * 1024
WINDOW_PER_WORKER = 4

Progress = Callable[[FileRef], None]


def available_cores() -> int:
    """The cores this process may run on (its affinity mask where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Plan:
    mode: str  # "serial" or "processes"
    workers: int


def plan(jobs: Sequence[FileJob], workers: int) -> Plan:
    if workers <= 1 or len(jobs) <= 1:
        return Plan("serial", 1)
    estimate = sum(FILE_COST + job.file.size * BYTE_COST for job in jobs)
    if estimate >= PROCESS_MIN_SECONDS:
        return Plan("processes", min(workers, len(jobs)))
    return Plan("serial", 1)


def run_files(
    jobs: list[FileJob], config: Config, progress: Progress | None = None
) -> list[Collected]:
    """Each job's facts, in the order of `jobs` (results that hold nothing left out)."""
    cache: DigestCache | None = None
    if config.scan_cache is not None:
        cache = open_cache(config.scan_cache, config)
    results: list[Collected | None] = [None] * len(jobs)
    todo: list[int] = []
    for i, job in enumerate(jobs):
        hit = cache.get(job.file) if cache is not None and not job.as_requirements else None
        if hit is not None:
            results[i] = _kept(hit)
            if progress is not None:
                progress(job.file)
        else:
            todo.append(i)

    def done(i: int, result: FileResult, payload: str | None) -> None:
        results[i] = _kept(result.collected)
        if cache is not None and result.cache_stamp is not None:
            if payload is None:
                payload, stamp = encode(result, jobs[i].file)
                if stamp is None:
                    payload = None  # could not be encoded: reported by encode, never cached
            if payload is not None:
                cache.put(jobs[i].file, result.cache_stamp, payload)
        if progress is not None:
            progress(jobs[i].file)

    pending = [jobs[i] for i in todo]
    if config.dask_scheduler:
        from .dask_backend import dask_executor

        with dask_executor(config.dask_scheduler) as (executor, count):
            _run_windowed(
                Workers(executor, count),
                pending,
                config,
                _absolute,
                lambda k, r, p: done(todo[k], r, p),
            )
    else:
        chosen = plan(pending, config.workers or available_cores())
        if chosen.mode == "processes":
            pool = Workers(
                _process_pool(chosen.workers), chosen.workers, lambda: _process_pool(chosen.workers)
            )
            try:
                _run_windowed(pool, pending, config, None, lambda k, r, p: done(todo[k], r, p))
            finally:
                shutdown = getattr(pool.executor, "shutdown", None)
                if shutdown is not None:
                    shutdown(wait=True)
        else:
            for k, job in enumerate(pending):
                done(todo[k], analyze(job, config), None)
    if cache is not None:
        cache.close()
        if cache.problem is not None:
            sys.stderr.write(f"aibom: digest cache not used: {cache.problem}\n")
    return [c for c in results if c is not None]


def _kept(collected: Collected) -> Collected | None:
    """None for a result that holds nothing (most files of a large tree): an empty Collected
    is eleven empty lists, about a kilobyte, and 200,000 of them would be 200 MB."""
    if collected.project is not None:
        return collected
    for value in vars(collected).values():
        if value:
            return collected
    return None


def _absolute(job: FileJob) -> FileJob:
    """Workers elsewhere open the file by its absolute path (a path they share)."""
    if job.file.path.is_absolute():
        return job
    file = job.file
    return FileJob(
        FileRef(file.path.absolute(), file.rel, file.size, file.stamp), job.as_requirements
    )


class Executor(Protocol):
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]: ...


def batches(jobs: Sequence[FileJob]) -> Iterator[tuple[int, list[FileJob]]]:
    """(index of the first job, jobs) groups of at most BATCH_FILES files and BATCH_BYTES bytes."""
    start = 0
    current: list[FileJob] = []
    size = 0
    for i, job in enumerate(jobs):
        if current and (len(current) >= BATCH_FILES or size + job.file.size > BATCH_BYTES):
            yield start, current
            start, current, size = i, [], 0
        current.append(job)
        size += job.file.size
    if current:
        yield start, current


Done = Callable[[int, FileResult, str | None], None]


class Workers:
    """The executor batches go to; a local process pool whose worker died is replaced."""

    def __init__(self, executor: Executor, count: int, renew: Callable[[], Executor] | None = None):
        self.executor = executor
        self.count = count
        self._renew = renew

    def replace_broken(self) -> None:
        if self._renew is not None:
            shutdown = getattr(self.executor, "shutdown", None)
            if shutdown is not None:
                shutdown(wait=False, cancel_futures=True)
            self.executor = self._renew()


def _run_windowed(
    workers: Workers,
    jobs: Sequence[FileJob],
    config: Config,
    prepare: Callable[[FileJob], FileJob] | None,
    done: Done,
) -> None:
    """Submit batches with a bounded number in flight; hand results to `done` in job order."""
    window = max(1, workers.count * WINDOW_PER_WORKER)
    source = batches(jobs)
    in_flight: dict[cf.Future[Any], tuple[int, list[FileJob], int]] = {}
    # finished batches waiting for earlier ones: (result, its JSON) per file
    ready: dict[int, list[tuple[FileResult, str | None]]] = {}
    order: list[int] = []  # batch starts in submission order
    next_out = 0

    def submit(start: int, group: list[FileJob], attempt: int) -> None:
        sent = [prepare(j) for j in group] if prepare is not None else group
        try:
            future = workers.executor.submit(analyze_batch, sent, config)
        except BrokenProcessPool:
            workers.replace_broken()
            future = workers.executor.submit(analyze_batch, sent, config)
        in_flight[future] = (start, group, attempt)

    def fill() -> None:
        while len(in_flight) + len(ready) < window:
            item = next(source, None)
            if item is None:
                return
            order.append(item[0])
            submit(item[0], item[1], 0)

    fill()
    while in_flight:
        finished, _ = cf.wait(list(in_flight), return_when=cf.FIRST_COMPLETED)
        broken = False
        retry: list[tuple[int, list[FileJob]]] = []
        for future in finished:
            start, group, attempt = in_flight.pop(future)
            try:
                encoded = future.result()
                ready[start] = [(decode(e), e[0]) for e in encoded]
            except Exception as exc:  # a dead worker, a lost connection, a bug
                broken = broken or isinstance(exc, BrokenProcessPool)
                if attempt == 0:
                    retry.append((start, group))
                    continue
                reason = f"analysis worker failed ({type(exc).__name__}: {exc})"
                ready[start] = [
                    (FileResult(Collected(errors=[ScanError(Location(j.file.rel), reason)])), None)
                    for j in group
                ]
        if broken:
            workers.replace_broken()
        for start, group in retry:
            submit(start, group, 1)
        while next_out < len(order) and order[next_out] in ready:
            start = order[next_out]
            for k, (result, payload) in enumerate(ready.pop(start)):
                done(start + k, result, payload)
            next_out += 1
        fill()


def _process_pool(workers: int) -> cf.ProcessPoolExecutor:
    # fork is the cheapest start and safe while this process runs no other thread
    method = (
        "fork" if sys.platform.startswith("linux") and threading.active_count() == 1 else "spawn"
    )
    context = multiprocessing.get_context(method)
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=context)
