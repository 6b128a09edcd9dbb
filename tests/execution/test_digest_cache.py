"""The digest cache: a warm scan gives the cold scan's AIBOM and findings byte for byte,
analyses only what changed, and never trusts an entry across a changed stat."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aibom import sources
from aibom.bom import render_bom
from aibom.config import Config, ScanRequest, build_config
from aibom.execution import digest_cache, scheduling
from aibom.execution.file_tasks import FileJob, FileResult
from aibom.formats import render_report
from aibom.scan import scan

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
AIBOM = [sys.executable, "-m", "aibom"]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the model and project fixtures; racy-write protection off (files are new)."""
    monkeypatch.setattr(digest_cache, "RACY_SECONDS", 0.0)
    root = tmp_path / "tree"
    shutil.copytree(FIXTURES / "models", root / "models")
    shutil.copytree(FIXTURES / "projects", root / "projects")
    return root


def _outputs(root: Path, cache: Path | None, **request: Any) -> tuple[str, str, str]:
    config = build_config(
        ScanRequest(
            paths=(root,),
            reproducible=True,
            use_cache=cache is not None,
            cache_dir=cache,
            jobs=1,
            **request,
        )
    )
    result = scan(config)
    return (
        render_bom(result, "json", "1.6"),
        render_report(result, "json"),
        render_report(result, "sarif"),
    )


def _count_analyses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real: Callable[[FileJob, Config], FileResult] = scheduling.analyze

    def counting(job: FileJob, config: Config) -> FileResult:
        seen.append(job.file.rel)
        return real(job, config)

    monkeypatch.setattr(scheduling, "analyze", counting)
    return seen


def test_warm_scan_is_byte_identical_and_analyses_nothing_cached(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    uncached = _outputs(tree, None)
    seen = _count_analyses(monkeypatch)
    cold = _outputs(tree, cache)
    cold_count = len(seen)
    seen.clear()
    warm = _outputs(tree, cache)
    assert cold == uncached
    assert warm == cold
    assert (cache / digest_cache.FILE_NAME).is_file()
    # re-analysed: files recognised by name (dependency files, code), and files whose
    # analysis did not finish (re-tried every time)
    assert 0 < len(seen) < cold_count / 2
    by_content = {p for p in seen if sources.classify(p) is None}
    inventory = scan(Config(roots=(tree,))).inventory
    unfinished = {e.location.path for e in inventory.errors} | {
        a.path for a in inventory.artifacts if a.incomplete or a.facts.get("external_data")
    }  # ONNX external data: the facts depend on other files
    assert by_content and by_content <= unfinished


def test_a_changed_file_is_analysed_again(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    target = tree / "models" / "benign" / "logreg.pkl"
    _outputs(tree, cache)
    # same size, same mtime, new bytes: ctime (and the inode, when replaced) differ
    st = target.stat()
    original = target.read_bytes()
    replacement = tree / "replacement"
    shutil.copy(tree / "models" / "malicious" / "proto2_global.pkl", replacement)
    data = replacement.read_bytes()
    replacement.write_bytes((data + b"." * len(original))[: len(original)])
    os.replace(replacement, target)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert target.stat().st_size == st.st_size and target.stat().st_mtime_ns == st.st_mtime_ns
    seen = _count_analyses(monkeypatch)
    warm = _outputs(tree, cache)
    assert "models/benign/logreg.pkl" in seen
    assert warm == _outputs(tree, None)


def test_entries_are_namespaced_by_analysis_settings(tree: Path, tmp_path: Path) -> None:
    base = Config()
    assert digest_cache.namespace(base) == digest_cache.namespace(base.replace(online=True))
    assert digest_cache.namespace(base) != digest_cache.namespace(base.replace(max_archive_depth=1))
    assert digest_cache.namespace(base) != digest_cache.namespace(
        base.replace(safe_globals=frozenset({"a.b"}))
    )


def test_damaged_cache_is_reported_and_the_scan_still_right(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / digest_cache.FILE_NAME).write_bytes(b"not a database" * 100)
    assert _outputs(tree, cache) == _outputs(tree, None)
    assert "digest cache not used" in capsys.readouterr().err


def test_a_payload_that_does_not_decode_is_a_miss(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = _outputs(tree, cache)
    with sqlite3.connect(cache / digest_cache.FILE_NAME) as db:
        db.execute("UPDATE entries SET payload = '[1, 2'")
    assert _outputs(tree, cache) == cold


def test_the_cache_stays_within_its_bound(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    config = Config(roots=(tree,), scan_cache=cache)
    ns = digest_cache.namespace(config)
    store = digest_cache.DigestCache(cache, ns, max_bytes=10_000, racy_seconds=0)
    from aibom.walk import walk

    files = walk((tree,)).files
    for file in files:
        assert file.stamp is not None
        store.put(file, file.stamp, "x" * 1000)
    store.close()
    with sqlite3.connect(cache / digest_cache.FILE_NAME) as db:
        (total,) = db.execute("SELECT SUM(LENGTH(payload)) FROM entries").fetchone()
    assert len(files) > 20 and total <= 10_000


def test_racy_files_are_not_stored(tmp_path: Path) -> None:
    (tmp_path / "m.pkl").write_bytes(b"\x80\x04K\x01.")
    cache = tmp_path / "cache"
    _outputs(tmp_path, cache)  # default window: the file was written just now
    with sqlite3.connect(cache / digest_cache.FILE_NAME) as db:
        assert db.execute("SELECT COUNT(*) FROM entries").fetchone() == (0,)


def test_cache_folder_never_comes_from_the_scanned_tree(tree: Path, tmp_path: Path) -> None:
    (tree / ".aibom.toml").write_text('cache-dir = "planted"\n', encoding="utf-8")
    config = build_config(ScanRequest(paths=(tree,), use_cache=True, cache_dir=tmp_path / "c"))
    assert config.scan_cache == tmp_path / "c"
    scan(config)
    assert not (tree / "planted").exists()
    assert (tmp_path / "c" / digest_cache.FILE_NAME).is_file()


def test_concurrent_scans_share_one_cache(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "AIBOM_CACHE_DIR": str(cache)}
    outs = [tmp_path / f"out{i}.json" for i in range(3)]
    procs = [
        subprocess.Popen(
            [*AIBOM, "scan", str(tree), "--reproducible", "-q", "--exit-zero", "-o", str(out)],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for out in outs
    ]
    assert [p.wait(timeout=120) for p in procs] == [2, 2, 2]  # fixtures hold unreadable files
    texts = {out.read_bytes() for out in outs}
    assert len(texts) == 1


def test_verify_never_opens_the_cache(tmp_path: Path) -> None:
    model = tmp_path / "tree" / "m.safetensors"
    model.parent.mkdir()
    shutil.copy(FIXTURES / "models" / "formats" / "tiny.safetensors", model)
    cache = tmp_path / "cache"
    env = {**os.environ, "AIBOM_CACHE_DIR": str(cache)}
    bom = tmp_path / "bom.json"
    run = [sys.executable, "-m", "aibom"]
    subprocess.run([*run, "scan", str(model.parent), "-q", "--no-cache", "-o", str(bom)], env=env)
    assert not cache.exists()
    done = subprocess.run([*run, "verify", str(bom), "--root", str(model.parent)], env=env)
    assert done.returncode == 0
    assert not cache.exists()
