"""Benchmark the offline vulnerability audit (aibom.enrich.vulns) on a synthetic OSV database.

    python tests/benchmarks/bench_vulns.py [ADVISORIES] [PINNED]

Writes ADVISORIES (default 20,000, about the size of OSV's PyPI export) advisory files in
the PyPA layout (`vulns/<package>/PYSEC-*.yaml`, four per package, YAML and JSON mixed) to a
temporary folder, then audits a project of PINNED (default 300) pinned packages against it:
the load (read every file, parse those naming a project package), the queries and alias
merges. Also times the same database as an OSV `all.zip`, and a pip-audit OSV lookup of
the PINNED packages through a local session that answers at once (the overhead around the
network calls: thread pool, cache writes).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import requests
from requests.adapters import BaseAdapter

from aibom.config import Config
from aibom.enrich.vulns import audit_online, enrich_vulnerabilities
from aibom.model import Dependency, Inventory, Location, SourceKind


def write_db(root: Path, advisories: int) -> list[str]:
    packages = [f"pkg-{i:05d}" for i in range(max(1, advisories // 4))]
    for n in range(advisories):
        name = packages[n % len(packages)]
        folder = root / "vulns" / name
        folder.mkdir(parents=True, exist_ok=True)
        lo, hi = n % 5, n % 5 + 2
        if n % 2:
            (folder / f"PYSEC-2099-{n}.yaml").write_text(
                f"id: PYSEC-2099-{n}\ndetails: synthetic advisory {n}\naliases:\n- CVE-2099-{n}\n"
                f"affected:\n- package:\n    name: {name}\n    ecosystem: PyPI\n  ranges:\n"
                f"  - type: ECOSYSTEM\n    events:\n    - introduced: '{lo}.0'\n    - fixed: '{hi}.0'\n"
                "  versions: ['1.0', '1.1', '1.2']\n"
            )
        else:
            record = {
                "id": f"GHSA-2099-{n:04d}",
                "aliases": [f"CVE-2099-{n - 1}"],
                "summary": f"synthetic advisory {n}",
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": name},
                        "ranges": [
                            {
                                "type": "ECOSYSTEM",
                                "events": [{"introduced": "0"}, {"fixed": f"{hi}.1"}],
                            }
                        ],
                    }
                ],
                "database_specific": {"severity": "HIGH"},
            }
            (folder / f"GHSA-2099-{n:04d}.json").write_text(json.dumps(record))
    return packages


def project(packages: list[str], pinned: int) -> Inventory:
    inventory = Inventory(roots=(".",))
    step = max(1, len(packages) // pinned)
    for i, name in enumerate(packages[::step][:pinned]):
        inventory.dependencies.append(
            Dependency(
                name, Location("requirements.txt", i + 1), SourceKind.REQUIREMENTS, version="1.1"
            )
        )
    return inventory


class Instant(BaseAdapter):
    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        response = requests.Response()
        response.status_code, response._content, response.request = 200, b"{}", request
        return response

    def close(self) -> None:
        pass


def main() -> None:
    advisories = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    pinned = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "db"
        start = time.perf_counter()
        packages = write_db(root, advisories)
        print(
            f"wrote {advisories} advisories for {len(packages)} packages in {time.perf_counter() - start:.1f} s"
        )

        for label, db in (("folder", root), ("all.zip", None)):
            if db is None:
                db = Path(tmp) / "all.zip"
                with zipfile.ZipFile(db, "w") as zf:
                    for path in sorted(root.rglob("*")):
                        if path.is_file():
                            zf.write(path, path.relative_to(root).as_posix())
            inventory = project(packages, pinned)
            start = time.perf_counter()
            enrich_vulnerabilities(inventory, Config(vuln_db=db))
            elapsed = time.perf_counter() - start
            print(
                f"offline {label:<8} {pinned} pinned packages: {elapsed:6.2f} s, "
                f"{len(inventory.vulnerabilities)} vulnerabilities, {len(inventory.errors)} errors"
            )

        session = requests.Session()
        session.mount("https://", Instant())
        inventory = project(packages, pinned)
        targets = {(d.key, d.version or ""): d.name for d in inventory.dependencies}
        config = Config(audit=True, cache_dir=Path(tmp) / "cache", cache_ttl_seconds=3600)
        start = time.perf_counter()
        audit_online(targets, config, session=session)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        audit_online(targets, config, session=session)
        warm = time.perf_counter() - start
        print(
            f"online (instant service) {pinned} packages: {cold:6.2f} s cold (incl. pip-audit import), {warm:6.3f} s from the cache"
        )


if __name__ == "__main__":
    main()
