"""The digest cache: each analysed file's digest and analysis facts, so re-scanning an
unchanged tree costs about a `stat()` per file.

- **Key.** An entry is found by the file's absolute path and shown path, and trusted only when
  (device, inode, size, mtime_ns, ctime_ns) are exactly the ones recorded: the fields git's
  index trusts. Any change is a miss, and the file is analysed again. A file whose stat changed
  while it was read is not stored, nor one modified less than `RACY_SECONDS` before the scan
  started (a second write within the file system's timestamp granularity could otherwise keep
  the same stat).
- **Namespace.** Entries are kept under a namespace hashed from the aibom version, the code of
  the installed package (names, sizes, mtimes), the rule data, the encoding version and every
  configuration value analysis can depend on: an upgrade or a changed limit re-analyses.
- **Where.** One SQLite file per user in the platform cache folder (`--cache-dir` or
  `AIBOM_CACHE_DIR` override it; never the scanned tree's configuration), folder mode 0700.
  Payloads are JSON (`aibom.execution.collected_json`), never pickle.
- **Safety.** Each scan writes its new entries in one transaction (atomic; concurrent scans
  wait for each other's short write, readers never see half an entry). A damaged or locked
  cache is reported and the scan runs without it; a payload that does not decode is a miss.
- **Bounded.** After writing, the oldest-used entries are deleted until the payloads fit in
  `max_bytes` (256 MiB by default).

`aibom verify` never uses it: it exists to re-hash.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import sqlite3
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any

from .. import __version__
from ..model import Collected, FileRef, FileStamp
from . import collected_json

FILE_NAME = "digests-v1.sqlite3"
MAX_BYTES = 256 * 1024 * 1024
RACY_SECONDS = 2.0
_TOUCH_AFTER_NS = 24 * 3600 * 10**9  # refresh an entry's last use at most once a day

# Config fields analysis never reads (walk, policy, network, output): changing them keeps the
# cache. Every other field is part of the namespace, so a new analysis setting is safe by default.
_NOT_ANALYSIS = frozenset(
    {
        "roots",
        "envs",
        "extra_files",
        "exclude",
        "follow_symlinks",
        "tracked_only",
        "fail_on",
        "exit_zero",
        "disabled_rules",
        "baseline",
        "severity_overrides",
        "project_kind",
        "require_hashes",
        "allowed_packages",
        "online",
        "index_url",
        "new_package_days",
        "cache_dir",
        "cache_ttl_seconds",
        "timeout_seconds",
        "audit",
        "vuln_service",
        "vuln_db",
        "reproducible",
        "workers",
        "config_file",
        "scan_cache",
        "dask_scheduler",
    }
)


def platform_cache_dir() -> Path:
    """The per-user cache folder of this platform (XDG on Linux and BSDs)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "aibom" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "aibom"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "aibom"


def namespace(config: Any) -> str:
    """Hash of everything a cached analysis depends on besides the file itself."""
    digest = hashlib.sha256()
    for part in (__version__, str(collected_json.VERSION), _code_stamp(), _rule_data_hash()):
        digest.update(part.encode() + b"\0")
    for field in dataclasses.fields(config):
        if field.name not in _NOT_ANALYSIS:
            digest.update(f"{field.name}={_stable(getattr(config, field.name))}\0".encode())
    return digest.hexdigest()[:32]


def _stable(value: Any) -> str:
    if isinstance(value, (set, frozenset)):
        return repr(sorted(map(repr, value)))
    return repr(value)


def _code_stamp() -> str:
    """Names, sizes and mtimes of the installed package's modules: an edited analyzer (in a
    development install) changes the namespace as an upgrade does."""
    package = Path(__file__).parent
    parts = []
    for path in sorted(package.rglob("*.py")):
        st = path.stat()
        parts.append(f"{path.relative_to(package).as_posix()}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _rule_data_hash() -> str:
    digest = hashlib.sha256()
    root = resources.files("aibom.rule_data")
    for item in sorted(root.iterdir(), key=lambda p: p.name):
        if item.is_file():
            digest.update(item.name.encode() + b"\0" + item.read_bytes() + b"\0")
    return digest.hexdigest()


def entry_key(file: FileRef) -> str:
    return f"{os.path.abspath(file.path)}\0{file.rel}"


class DigestCache:
    """One scan's view of the cache: `get` before analysing, `put` after, `close` writes."""

    def __init__(
        self,
        folder: Path,
        ns: str,
        max_bytes: int | None = None,
        racy_seconds: float | None = None,
    ) -> None:
        self.folder = folder
        self.ns = ns
        self.max_bytes = MAX_BYTES if max_bytes is None else max_bytes
        self.started_ns = time.time_ns()
        self.racy_ns = int((RACY_SECONDS if racy_seconds is None else racy_seconds) * 1e9)
        self.problem: str | None = None  # why the cache was not (fully) used
        self.hits = 0
        self.misses = 0
        self._pending: list[tuple[Any, ...]] = []
        self._touched: list[tuple[int, str, str]] = []
        self._db: sqlite3.Connection | None = None
        try:
            self._db = self._open()
        except (OSError, sqlite3.Error) as exc:
            self._fail(exc)

    def _open(self) -> sqlite3.Connection:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.folder / FILE_NAME
        fresh = not path.exists()
        db = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
        if fresh:
            os.chmod(path, 0o600)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(
            "CREATE TABLE IF NOT EXISTS entries (ns TEXT NOT NULL, key TEXT NOT NULL,"
            " device INTEGER NOT NULL, inode INTEGER NOT NULL, size INTEGER NOT NULL,"
            " mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, payload TEXT NOT NULL,"
            " used_ns INTEGER NOT NULL, PRIMARY KEY (ns, key)) WITHOUT ROWID"
        )
        db.execute("CREATE INDEX IF NOT EXISTS entries_used ON entries (used_ns)")
        return db

    def _fail(self, exc: BaseException) -> None:
        self.problem = f"{type(exc).__name__}: {exc}"
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None

    def get(self, file: FileRef) -> Collected | None:
        """The cached facts of `file` when its stat is exactly the recorded one."""
        stamp = file.stamp
        if self._db is None or stamp is None:
            return None
        key = entry_key(file)
        try:
            row = self._db.execute(
                "SELECT device, inode, size, mtime_ns, ctime_ns, payload, used_ns FROM entries"
                " WHERE ns = ? AND key = ?",
                (self.ns, key),
            ).fetchone()
        except sqlite3.Error as exc:
            self._fail(exc)
            return None
        if row is None or FileStamp(*row[:5]) != stamp:
            self.misses += 1
            return None
        try:
            collected = collected_json.loads(row[5])
        except ValueError:
            self.misses += 1
            return None
        if self.started_ns - row[6] > _TOUCH_AFTER_NS:
            self._touched.append((self.started_ns, self.ns, key))
        self.hits += 1
        return collected

    def put(self, file: FileRef, stamp: FileStamp, payload: str) -> None:
        """Remember `payload` (collected_json text) for `file` as it was at `stamp`."""
        if self._db is None:
            return
        if max(stamp.mtime_ns, stamp.ctime_ns) >= self.started_ns - self.racy_ns:
            return  # racy: a later write could keep this stat
        self._pending.append(
            (
                self.ns,
                entry_key(file),
                stamp.device,
                stamp.inode,
                stamp.size,
                stamp.mtime_ns,
                stamp.ctime_ns,
                payload,
                self.started_ns,
            )
        )

    def close(self) -> None:
        """Write the new entries in one transaction, then keep the cache within its bound."""
        db = self._db
        if db is None:
            return
        try:
            if self._pending or self._touched:
                db.execute("BEGIN IMMEDIATE")
                db.executemany(
                    "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    self._pending,
                )
                db.executemany(
                    "UPDATE entries SET used_ns = ? WHERE ns = ? AND key = ?", self._touched
                )
                db.execute("COMMIT")
                if self._pending:
                    self._evict(db)
        except sqlite3.Error as exc:
            self._fail(exc)
            return
        finally:
            self._pending = []
            self._touched = []
        db.close()
        self._db = None

    def _evict(self, db: sqlite3.Connection) -> None:
        (total,) = db.execute("SELECT COALESCE(SUM(LENGTH(payload)), 0) FROM entries").fetchone()
        if total <= self.max_bytes:
            return
        target = total - int(self.max_bytes * 0.9)
        db.execute("BEGIN IMMEDIATE")
        freed = 0
        doomed: list[tuple[str, str]] = []
        for ns, key, length in db.execute(
            "SELECT ns, key, LENGTH(payload) FROM entries ORDER BY used_ns"
        ):
            doomed.append((ns, key))
            freed += length
            if freed >= target:
                break
        db.executemany("DELETE FROM entries WHERE ns = ? AND key = ?", doomed)
        db.execute("COMMIT")


def open_cache(folder: Path, config: Any, **options: Any) -> DigestCache:
    return DigestCache(folder, namespace(config), **options)
