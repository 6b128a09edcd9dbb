"""DVC files as DVC 3 writes them (fixtures/data/dvc-project, made by `dvc add` and
`dvc repro`), and broken ones."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from aibom.analyzers import dvc_files as dvc

PROJECT = Path(__file__).resolve().parents[2] / "fixtures" / "data" / "dvc-project"


def test_dvc_file_of_a_tracked_file() -> None:
    parsed = dvc.parse_dvc_file((PROJECT / "data/raw.csv.dvc").read_text(), "data/raw.csv.dvc")
    (out,) = parsed.outs
    assert out.path == "data/raw.csv"
    assert out.md5 == hashlib.md5((PROJECT / "data/raw.csv").read_bytes()).hexdigest()
    assert out.size == (PROJECT / "data/raw.csv").stat().st_size
    assert not out.is_dir


def test_dvc_dir_md5_matches_what_dvc_recorded() -> None:
    parsed = dvc.parse_dvc_file((PROJECT / "data/images.dvc").read_text(), "data/images.dvc")
    (out,) = parsed.outs
    assert out.is_dir and out.nfiles == 20
    files = sorted((PROJECT / "data/images").iterdir())
    entries = [(p.name, hashlib.md5(p.read_bytes()).hexdigest()) for p in files]
    assert dvc.dir_md5(entries) == out.md5
    # one byte of one image changed: a different directory hash
    changed = [(entries[0][0], "0" * 32), *entries[1:]]
    assert dvc.dir_md5(changed) != out.md5


def test_dir_md5_orders_by_path_parts() -> None:
    # "a/b" sorts before "a-b" in DVC's order (by parts), after it as plain strings
    a = dvc.dir_md5([("a-b", "1" * 32), ("a/b", "2" * 32)])
    b = dvc.dir_md5([("a/b", "2" * 32), ("a-b", "1" * 32)])
    assert a == b


def test_dvc_yaml_stages() -> None:
    stages = dvc.parse_dvc_yaml((PROJECT / "dvc.yaml").read_text(), "dvc.yaml")
    assert [s.name for s in stages] == ["prepare", "train", "evaluate"]
    prepare, train, evaluate = stages
    assert prepare.cmd == ["python src/prepare.py"]
    assert prepare.deps == ["data/raw.csv", "data/labels.tsv", "src/prepare.py"]
    assert prepare.outs == ["data/prepared"]
    assert prepare.params == [("params.yaml", "prepare.split")]
    assert evaluate.metrics == ["metrics.json"]
    assert prepare.line == 2 and train.line is not None


def test_dvc_lock_records_hashes_of_every_dep_and_out() -> None:
    locked = dvc.parse_dvc_lock((PROJECT / "dvc.lock").read_text(), "dvc.lock")
    train = locked["train"]
    by_path = {d.path: d for d in train.locked_deps}
    script = PROJECT / "src/train.py"
    assert by_path["src/train.py"].md5 == hashlib.md5(script.read_bytes()).hexdigest()
    assert [o.path for o in locked["prepare"].locked_outs] == ["data/prepared"]
    assert locked["prepare"].locked_outs[0].is_dir
    assert train.locked_params == [("params.yaml", "train.epochs", "3")]


def test_paths_are_relative_to_the_file_and_wdir() -> None:
    text = "stages:\n  s:\n    wdir: sub\n    cmd: run\n    deps: [../a.csv, b.csv]\n"
    (stage,) = dvc.parse_dvc_yaml(text, "proj/dvc.yaml")
    assert stage.deps == ["proj/a.csv", "proj/sub/b.csv"]


def test_import_records_the_source_repository() -> None:
    text = (
        "md5: 0123\nfrozen: true\ndeps:\n- path: data/x.csv\n  repo:\n"
        "    url: https://github.com/org/registry\n    rev_lock: " + "a" * 40 + "\n"
        "outs:\n- md5: " + "b" * 32 + "\n  size: 3\n  hash: md5\n  path: x.csv\n"
    )
    parsed = dvc.parse_dvc_file(text, "data/x.csv.dvc")
    assert parsed.frozen
    assert parsed.deps[0].remote_url == "https://github.com/org/registry"
    assert parsed.deps[0].remote_rev == "a" * 40
    assert parsed.outs[0].path == "data/x.csv"


def test_templated_stages_are_marked() -> None:
    text = "stages:\n  build:\n    foreach: [a, b]\n    do:\n      cmd: make ${item}\n"
    (stage,) = dvc.parse_dvc_yaml(text, "dvc.yaml")
    assert stage.templated and stage.cmd == ["make ${item}"]


@pytest.mark.parametrize(
    "text",
    ["outs: [", "- a\n- b\n", "outs: 3\n", "frozen: true\n", "&a [*a, *a]"],
)
def test_bad_dvc_files_raise_dvc_error(text: str) -> None:
    with pytest.raises(dvc.DvcError):
        dvc.parse_dvc_file(text, "x.dvc")


def test_yaml_error_has_a_line() -> None:
    with pytest.raises(dvc.DvcError) as info:
        dvc.parse_dvc_yaml("stages:\n  a:\n    cmd: [\n", "dvc.yaml")
    assert info.value.line is not None


def test_dvc_1_wdir_makes_paths_relative_to_it() -> None:
    # DVC 1 wrote `wdir: ../..` in .dvc files kept in a subfolder
    text = (
        "wdir: ../..\nouts:\n- path: tutorials/nlp/Posts.xml.zip\n  md5: " + "c" * 32 + "\n"
        "  size: 10\n  remote: docs\n  desc: posts\n"
    )
    parsed = dvc.parse_dvc_file(text, "tutorials/nlp/Posts.xml.zip.dvc")
    (out,) = parsed.outs
    assert out.path == "tutorials/nlp/Posts.xml.zip"
    assert (out.desc, out.remote) == ("posts", "docs")
