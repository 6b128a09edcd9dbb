"""One file's analysis, the unit the scan runs in threads, worker processes or on a cluster.

`analyze(job, config)` picks the file's collector as `aibom.scan.collector_for` does (by name:
dependency files and source code; by content: model artifacts), runs it under
`aibom.scan.guarded`, and says whether the result may be cached. `analyze_batch` is the same for a list of files with JSON results
(`aibom.execution.collected_json`), the form results travel in between processes and machines.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from .. import sources
from ..config import Config
from ..model import Collected, FileKind, FileRef, FileStamp, Location, ScanError
from ..scan import analyzer_for, by_name, collector_for, guarded
from . import collected_json


@dataclass(frozen=True, slots=True)
class FileJob:
    file: FileRef
    as_requirements: bool = False  # named with -r: a requirements file whatever its name


@dataclass
class FileResult:
    collected: Collected
    # the file's stat when its facts may be cached: identified by content (not by name), fully
    # analysed, depending on no other file, and unchanged while it was read
    cache_stamp: FileStamp | None = None


def analyze(job: FileJob, config: Config) -> FileResult:
    file = job.file
    named = sources.classify(file.rel) is not None
    if job.as_requirements:
        collector = sources.get_collector(FileKind.REQUIREMENTS)
        if named:
            return FileResult(by_name(file, collector, config))
        return FileResult(guarded(lambda: collector(file, config), file.rel))
    if named:
        task = collector_for(file)
        assert task is not None and not isinstance(task, ScanError)  # chosen by name
        return FileResult(by_name(file, task, config))
    try:
        before = FileStamp.of(os.stat(file.path))
    except OSError as exc:
        reason = f"cannot read: {exc.strerror or exc}"
        return FileResult(Collected(errors=[ScanError(Location(file.rel), reason)]))
    found = analyzer_for(file)
    if isinstance(found, ScanError):
        return FileResult(Collected(errors=[found]))
    if found is None:
        collected = Collected()  # not an artifact: remembered too, so a re-scan skips it
    else:
        analyzer = found
        collected = guarded(lambda: analyzer(file, config), file.rel)
    return FileResult(collected, before if _cacheable(file, before, collected) else None)


def _cacheable(file: FileRef, before: FileStamp, collected: Collected) -> bool:
    if collected.errors or any(a.incomplete for a in collected.artifacts):
        return False  # a read error may be transient; a stopped analysis is re-tried
    if any(a.facts.get("external_data") for a in collected.artifacts):
        return False  # ONNX external data: the facts depend on the files next to it
    try:
        return FileStamp.of(os.stat(file.path)) == before
    except OSError:
        return False


# (JSON text of the Collected, cache stamp) per file
EncodedResult = tuple[str, FileStamp | None]


# One batch at a time per process: a Dask worker may run tasks in several threads, and
# CPython 3.11's parser is not thread-safe (see aibom.execution.scheduling).
_ONE_AT_A_TIME = threading.Lock()


def analyze_batch(jobs: list[FileJob], config: Config) -> list[EncodedResult]:
    """`analyze` for each job, results as JSON: what a worker process or a cluster returns."""
    with _ONE_AT_A_TIME:
        return [encode(analyze(job, config), job.file) for job in jobs]


def encode(result: FileResult, file: FileRef) -> EncodedResult:
    """The result as JSON; one that cannot be encoded becomes that file's scan error (and is
    never cached: its stamp is None)."""
    try:
        return collected_json.dumps(result.collected), result.cache_stamp
    except collected_json.UnsupportedValue as exc:  # a bug: visible, never a silent loss
        reason = f"internal error: result cannot be encoded ({exc})"
        failed = Collected(errors=[ScanError(Location(file.rel), reason)])
        return collected_json.dumps(failed), None


def decode(encoded: EncodedResult) -> FileResult:
    return FileResult(collected_json.loads(encoded[0]), encoded[1])
