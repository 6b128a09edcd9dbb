"""Vendored wheels and sdists are library components with their own metadata."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

from packageurl import PackageURL

from aibom.bom.graph import build_graph
from aibom.config import Config
from aibom.model import ComponentKind
from aibom.scan import scan

VENDORED = Path(__file__).resolve().parent.parent.parent / "fixtures" / "locks-real" / "vendored"


def _libraries(root: Path) -> dict[str, tuple[ComponentKind, str, str | None, str | None]]:
    graph = build_graph(scan(Config(roots=(root,), reproducible=True)).inventory)
    return {
        c.bom_ref: (c.kind, c.name, c.version, c.purl)
        for c in graph.components
        if c.bom_ref.startswith("file:")
    }


def test_wheel_and_sdist_made_by_uv_build_are_libraries_from_their_metadata() -> None:
    found = _libraries(VENDORED)
    wheel = found["file:third_party/tiny_vendored-1.2.3-py3-none-any.whl"]
    sdist = found["file:third_party/tiny_vendored-1.2.3.tar.gz"]
    assert wheel == (
        ComponentKind.LIBRARY,
        "tiny-vendored",
        "1.2.3",
        "pkg:pypi/tiny-vendored@1.2.3?file_name=tiny_vendored-1.2.3-py3-none-any.whl",
    )
    assert sdist[:3] == (ComponentKind.LIBRARY, "tiny-vendored", "1.2.3")
    for _, _, _, purl in (wheel, sdist):
        assert purl is not None and PackageURL.from_string(purl).to_string() == purl


def test_sdist_without_pkg_info_falls_back_to_the_file_name(tmp_path: Path) -> None:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        body = b"print('hi')\n"
        info = tarfile.TarInfo("odd_pkg-0.3/setup.py")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    (tmp_path / "odd_pkg-0.3.tar.gz").write_bytes(gzip.compress(data.getvalue()))
    kind, name, version, _ = _libraries(tmp_path)["file:odd_pkg-0.3.tar.gz"]
    assert (kind, name, version) == (ComponentKind.LIBRARY, "odd_pkg", "0.3")
