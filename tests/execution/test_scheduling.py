"""Scheduling: the mode follows the work, processes give the serial scan's output, results
come back in walk order, and a dead worker's files are retried or reported, never dropped."""

from __future__ import annotations

import concurrent.futures as cf
import os
from pathlib import Path
from typing import Any

import pytest

from aibom.bom import render_bom
from aibom.config import Config
from aibom.execution import scheduling
from aibom.execution.file_tasks import EncodedResult, FileJob, FileResult, analyze_batch
from aibom.formats import render_report
from aibom.model import FileRef
from aibom.scan import scan

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _jobs(sizes: list[int]) -> list[FileJob]:
    return [FileJob(FileRef(Path(f"f{i}"), f"f{i}", size)) for i, size in enumerate(sizes)]


def test_plan_follows_the_work() -> None:
    assert scheduling.plan(_jobs([10**9]), 2) == scheduling.Plan("serial", 1)
    assert scheduling.plan(_jobs([100] * 50), 1) == scheduling.Plan("serial", 1)
    assert scheduling.plan(_jobs([100] * 50), 2) == scheduling.Plan("serial", 1)
    assert scheduling.plan(_jobs([100] * 2000), 2) == scheduling.Plan("processes", 2)
    assert scheduling.plan(_jobs([10**9] * 2), 8) == scheduling.Plan("processes", 2)


def test_batches_are_bounded_and_cover_every_job() -> None:
    big = scheduling.BATCH_BYTES
    jobs = _jobs([1] * 70 + [big, 1, big // 2, big // 2 + 1])
    groups = list(scheduling.batches(jobs))
    assert [start for start, _ in groups] == [0, 32, 64, 70, 71, 73]
    assert sum(len(g) for _, g in groups) == len(jobs)
    assert all(len(g) <= scheduling.BATCH_FILES for _, g in groups)


def _outputs(config: Config) -> tuple[str, str]:
    result = scan(config)
    return render_bom(result, "json", "1.6"), render_report(result, "json")


def test_worker_processes_give_the_serial_scan_byte_for_byte(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = Config(roots=(FIXTURES / "models",), reproducible=True)
    serial = _outputs(config.replace(workers=1))
    monkeypatch.setattr(scheduling, "PROCESS_MIN_SECONDS", 0.0)
    monkeypatch.setattr(scheduling, "BATCH_FILES", 3)  # many batches, finishing out of order
    chosen: list[scheduling.Plan] = []
    real_plan = scheduling.plan
    monkeypatch.setattr(
        scheduling, "plan", lambda j, w: chosen.append(real_plan(j, w)) or chosen[-1]
    )
    assert _outputs(config.replace(workers=2)) == serial
    assert chosen == [scheduling.Plan("processes", 2)]


class FlakyExecutor:
    """Runs batches inline, in reverse order of submission, failing chosen batches."""

    def __init__(self, fail: dict[str, int]) -> None:
        self.fail = fail  # file rel -> how many more times its batch fails

    def submit(self, fn: Any, jobs: list[FileJob], config: Config) -> cf.Future[Any]:
        future: cf.Future[Any] = cf.Future()
        names = [j.file.rel for j in jobs]
        failing = [n for n in names if self.fail.get(n, 0) > 0]
        if failing:
            self.fail[failing[0]] -= 1
            future.set_exception(ConnectionError("worker lost"))
        else:
            future.set_result(fn(jobs, config))
        return future


def test_a_failed_batch_is_retried_then_reported(tmp_path: Path) -> None:
    for i in range(10):
        (tmp_path / f"m{i}.pkl").write_bytes(b"\x80\x02cos\nsystem\nq\x00.")
    jobs = [FileJob(FileRef(p, p.name, p.stat().st_size)) for p in sorted(tmp_path.glob("*.pkl"))]
    got: dict[int, FileResult] = {}
    order: list[int] = []

    def done(i: int, result: FileResult, payload: str | None) -> None:
        got[i] = result
        order.append(i)

    executor = FlakyExecutor({"m1.pkl": 1, "m7.pkl": 5})
    workers = scheduling.Workers(executor, 1)
    old = scheduling.BATCH_FILES
    scheduling.BATCH_FILES = 2
    try:
        scheduling._run_windowed(workers, jobs, Config(), None, done)
    finally:
        scheduling.BATCH_FILES = old
    assert order == list(range(10))
    assert [a.path for a in got[1].collected.artifacts] == ["m1.pkl"]  # retried, analysed
    for i in (6, 7):  # the batch holding m7 failed twice: each file is a scan error
        (error,) = got[i].collected.errors
        assert error.location.path == f"m{i}.pkl"
        assert "analysis worker failed" in error.reason


def _exit_on_marked(jobs: list[FileJob], config: Config) -> list[EncodedResult]:
    """Kills the worker process the first time it sees `victim.pkl` (a marker file remembers)."""
    for job in jobs:
        if job.file.rel == "victim.pkl":
            marker = job.file.path.with_name("killed-once")
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                break
            os._exit(17)
    return analyze_batch(jobs, config)


def test_a_killed_worker_process_is_replaced_and_its_files_analysed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ["a.pkl", "victim.pkl", "z.pkl"]:
        (tmp_path / name).write_bytes(b"\x80\x02cos\nsystem\nq\x00.")
    monkeypatch.setattr(scheduling, "PROCESS_MIN_SECONDS", 0.0)
    monkeypatch.setattr(scheduling, "BATCH_FILES", 1)
    monkeypatch.setattr(scheduling, "analyze_batch", _exit_on_marked)
    result = scan(Config(roots=(tmp_path,), workers=2))
    assert (tmp_path / "killed-once").exists()
    assert sorted(a.path for a in result.inventory.artifacts) == ["a.pkl", "victim.pkl", "z.pkl"]
    assert not result.inventory.errors
