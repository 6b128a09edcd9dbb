"""`--dask`: a LocalCluster of worker processes gives the local scan's AIBOM byte for byte; a
worker killed mid-scan has its files retried, and a file that keeps killing workers is
reported, never silently missing."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")

from aibom.bom import render_bom  # noqa: E402
from aibom.config import Config  # noqa: E402
from aibom.execution import scheduling  # noqa: E402
from aibom.execution.file_tasks import EncodedResult, FileJob, analyze_batch  # noqa: E402
from aibom.formats import render_report  # noqa: E402
from aibom.scan import scan  # noqa: E402

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EVIL = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    import dask

    # the functions below travel by value: workers cannot import this test module
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local,
    ):
        yield local.scheduler_address
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def _outputs(config: Config) -> tuple[str, str]:
    result = scan(config)
    return render_bom(result, "json", "1.6"), render_report(result, "json")


def test_cluster_scan_is_the_local_scan(cluster: str) -> None:
    config = Config(roots=(FIXTURES / "models",), reproducible=True)
    remote = _outputs(config.replace(dask_scheduler=cluster))
    local = _outputs(config)
    assert remote[0].splitlines() == local[0].splitlines()
    assert remote[1].splitlines() == local[1].splitlines()


def _kill_on_victim(jobs: list[FileJob], config: Config) -> list[EncodedResult]:
    """Kills its worker process when the batch holds `victim.pkl`: once (a marker file
    remembers) or, when `always` sits next to it, every time."""
    for job in jobs:
        if job.file.rel == "victim.pkl":
            folder = job.file.path.parent
            if (folder / "always").exists():
                os._exit(17)
            try:
                os.close(os.open(folder / "killed-once", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                break
            os._exit(17)
    return analyze_batch(jobs, config)


def _tree(root: Path) -> Path:
    root.mkdir()
    for name in ["a.pkl", "b.pkl", "victim.pkl", "y.pkl", "z.pkl"]:
        (root / name).write_bytes(EVIL)
    return root


def test_a_killed_worker_is_retried(
    cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = _tree(tmp_path / "tree")
    monkeypatch.setattr(scheduling, "BATCH_FILES", 1)
    monkeypatch.setattr(scheduling, "analyze_batch", _kill_on_victim)
    result = scan(Config(roots=(tree,), dask_scheduler=cluster))
    assert (tree / "killed-once").exists()
    assert [a.path for a in result.inventory.artifacts] == [
        "a.pkl",
        "b.pkl",
        "victim.pkl",
        "y.pkl",
        "z.pkl",
    ]
    assert result.inventory.errors == []
    assert {f.location.path for f in result.findings} >= {"victim.pkl"}


def test_a_file_that_keeps_killing_workers_is_reported(
    cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = _tree(tmp_path / "tree")
    (tree / "always").write_text("", encoding="utf-8")
    monkeypatch.setattr(scheduling, "BATCH_FILES", 1)
    monkeypatch.setattr(scheduling, "analyze_batch", _kill_on_victim)
    result = scan(Config(roots=(tree,), dask_scheduler=cluster))
    analysed = {a.path for a in result.inventory.artifacts}
    failed = {e.location.path for e in result.inventory.errors}
    # the victim, and any file whose batch was on the worker when it died (twice: sent again)
    assert "victim.pkl" in failed and "victim.pkl" not in analysed
    assert analysed | failed == {"a.pkl", "b.pkl", "victim.pkl", "y.pkl", "z.pkl"}
    assert all("analysis worker failed" in e.reason for e in result.inventory.errors)
    assert not result.complete


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path: Path) -> None:
    from aibom.errors import InputError

    (tmp_path / "m.pkl").write_bytes(EVIL)
    with pytest.raises(InputError, match="Dask scheduler"):
        scan(Config(roots=(tmp_path,), dask_scheduler="tcp://127.0.0.1:9"))
