"""`aibom verify`: an AIBOM written by `aibom scan -o` on a copy of real model fixtures, then
files tampered with, deleted and added."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from aibom.cli import main
from aibom.commands.verify import verify
from aibom.errors import InputError

FORMATS = Path(__file__).resolve().parents[2] / "fixtures" / "models" / "formats"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def deployed(tmp_path: Path) -> tuple[Path, Path]:
    """A folder with two real model files and the AIBOM `aibom scan -o` writes for it."""
    root = tmp_path / "deploy"
    (root / "model").mkdir(parents=True)
    shutil.copy(FORMATS / "tiny.safetensors", root / "model" / "tiny.safetensors")
    shutil.copy(FORMATS / "tiny.gguf", root / "model" / "tiny.gguf")
    bom = tmp_path / "aibom.cdx.json"
    done = CliRunner().invoke(main, ["scan", "--quiet", "-o", str(bom), str(root)])
    assert bom.is_file(), done.output
    return root, bom


def _verify(bom: Path, root: Path, *extra: str) -> tuple[int, str]:
    done = CliRunner().invoke(main, ["verify", str(bom), "--root", str(root), *extra])
    return done.exit_code, done.stdout


def test_untouched_folder_verifies(deployed: tuple[Path, Path]) -> None:
    root, bom = deployed
    assert _verify(bom, root) == (0, "")
    result = verify(bom, root)
    assert result.checked == ["model/tiny.gguf", "model/tiny.safetensors"]


def test_tampered_missing_and_added_files(deployed: tuple[Path, Path]) -> None:
    root, bom = deployed
    gguf = root / "model" / "tiny.gguf"
    before = _sha(gguf)
    with gguf.open("ab") as fh:
        fh.write(b"\x00")
    after = _sha(gguf)
    st_sha = _sha(root / "model" / "tiny.safetensors")
    (root / "model" / "tiny.safetensors").unlink()
    shutil.copy(FORMATS / "tiny.onnx", root / "model" / "extra.onnx")
    (root / "notes.txt").write_text("not a model\n", "utf-8")
    code, out = _verify(bom, root)
    assert code == 1
    assert out.splitlines() == [
        "model/extra.onnx: AIB163 onnx file that the AIBOM does not record",
        f"model/tiny.gguf: AIB161 SHA-256 is {after}, but the AIBOM records {before}",
        f"model/tiny.safetensors: AIB162 recorded in the AIBOM (SHA-256 {st_sha}) but not on disk",
    ]
    code, out = _verify(bom, root, "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and data["verified"] == []
    assert [(f["rule"], f["location"]["path"], f["severity"]) for f in data["findings"]] == [
        ("AIB163", "model/extra.onnx", "high"),
        ("AIB161", "model/tiny.gguf", "critical"),
        ("AIB162", "model/tiny.safetensors", "high"),
    ]


def _handmade_bom(tmp_path: Path, components: list[dict[str, object]]) -> Path:
    bom = tmp_path / "hand.cdx.json"
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": components}
    bom.write_text(json.dumps(doc), "utf-8")
    return bom


def _file_comp(name: str, path: str, sha: str | None) -> dict[str, object]:
    comp: dict[str, object] = {
        "type": "machine-learning-model",
        "name": name,
        "bom-ref": f"file:{path}",
        "properties": [{"name": "aibom:path", "value": path}],
    }
    if sha:
        comp["hashes"] = [{"alg": "SHA-256", "content": sha}]
    return comp


def test_escaping_paths_missing_hash_and_lfs_pointer_are_unverifiable(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret.bin").write_bytes(b"outside")
    (root / "link.bin").symlink_to(tmp_path / "secret.bin")
    (root / "nohash.bin").write_bytes(b"x")
    real = b"real weights"
    oid = hashlib.sha256(real).hexdigest()
    (root / "lfs.bin").write_text(
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(real)}\n",
        "utf-8",
    )
    bom = _handmade_bom(
        tmp_path,
        [
            _file_comp("a", "../secret.bin", "00" * 32),
            _file_comp("b", "link.bin", _sha(tmp_path / "secret.bin")),
            _file_comp("c", "nohash.bin", None),
            _file_comp("d", "lfs.bin", oid),
        ],
    )
    result = verify(bom, root)
    facts = {(f.kind.value, f.path): dict(f.args) for f in result.facts}
    assert facts == {
        ("unverifiable", "../secret.bin"): {
            "problem": "the recorded path leaves the verified folder"
        },
        ("unverifiable", "link.bin"): {"problem": "a symlink that leaves the verified folder"},
        ("unverifiable", "nohash.bin"): {"problem": "the AIBOM records no SHA-256 for this file"},
        ("unverifiable", "lfs.bin"): {
            "problem": "a Git LFS pointer to the recorded content: run `git lfs pull` first"
        },
    }
    assert {f.rule_id for f in result.findings} == {"AIB164"}
    assert not result.ok


def test_unreadable_or_empty_bom_exits_two(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    assert _verify(bad, tmp_path)[0] == 2
    empty = _handmade_bom(tmp_path, [{"type": "library", "name": "six", "version": "1.17.0"}])
    with pytest.raises(InputError, match="records no files"):
        verify(empty, tmp_path)
    done = CliRunner().invoke(main, ["verify", str(empty), "--root", str(tmp_path)])
    assert done.exit_code == 2
    assert "records no files" in done.stderr


def test_xml_aibom_is_verified_too(deployed: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = deployed
    xml = tmp_path / "aibom.cdx.xml"
    done = CliRunner().invoke(main, ["scan", "--quiet", "-o", str(xml), str(root)])
    assert xml.is_file(), done.output
    assert verify(xml, root).checked == ["model/tiny.gguf", "model/tiny.safetensors"]
    (root / "model" / "tiny.gguf").write_bytes(b"GGUF")
    assert [f.rule_id for f in verify(xml, root).findings] == ["AIB161"]


def test_hostile_recorded_paths_never_crash(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    bom = _handmade_bom(
        tmp_path,
        [
            _file_comp("a", "bad\x00name.bin", "00" * 32),
            _file_comp("b", "x" * 5000, "00" * 32),
            _file_comp("c", "C:\\Windows\\evil.dll", "00" * 32),
            _file_comp("d", ".", "00" * 32),
        ],
    )
    result = verify(bom, root)
    facts = sorted(
        (f.kind.value, f.path[:12], dict(f.args).get("problem", "")[:40]) for f in result.facts
    )
    assert facts == [
        ("unverifiable", ".", "the recorded path is not a valid file pa"),
        ("unverifiable", "C:\\Windows\\e", "the recorded path leaves the verified fo"),
        ("unverifiable", "bad\x00name.bin", "the recorded path is not a valid file pa"),
        ("unverifiable", "xxxxxxxxxxxx", "cannot look it up: File name too long"),
    ]


DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "projects" / "demo"


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The README's flow: `aibom scan . -o aibom.cdx.json` in the demo, then verify."""
    work = tmp_path / "demo"
    shutil.copytree(DEMO, work)
    monkeypatch.chdir(work)
    done = CliRunner().invoke(main, ["scan", ".", "-q", "-o", "aibom.cdx.json"])
    assert (work / "aibom.cdx.json").is_file(), done.output
    return work


def test_readme_example_path_is_a_filter_below_the_root(demo: Path) -> None:
    """Before: `aibom verify aibom.cdx.json models/` gave "0 verified, 5 missing, 2
    unrecorded": PATH was taken as the scan root, and the model folder was "missing"."""
    done = CliRunner().invoke(
        main, ["verify", "aibom.cdx.json", "models/", "--fail-on-flagged", "none"]
    )
    assert done.exit_code == 0, done.output
    assert done.stderr.strip() == "aibom verify: 4 verified"
    result = verify(Path("aibom.cdx.json"), Path("."), only=Path("models"), fail_on_flagged=None)
    assert sorted(result.checked) == [
        "models/classifier/README.md",
        "models/classifier/config.json",
        "models/classifier/model.safetensors",
        "models/legacy_head.pkl",
    ]
    assert result.findings == []
    # the filter is a filter: a changed file outside it is not reported, one inside it is
    (demo / "requirements.txt").write_text("changed\n", "utf-8")
    (demo / "models" / "classifier" / "config.json").write_text("{}\n", "utf-8")
    changed = verify(Path("aibom.cdx.json"), Path("."), only=Path("models/classifier"))
    assert [(f.rule_id, f.location.path) for f in changed.findings] == [
        ("AIB161", "models/classifier/config.json")
    ]


def test_folders_are_never_missing_files(demo: Path) -> None:
    shutil.rmtree(demo / "models" / "classifier")
    result = verify(Path("aibom.cdx.json"), Path("."), fail_on_flagged=None)
    missing = sorted(f.location.path for f in result.findings if f.rule_id == "AIB162")
    assert missing == [
        "models/classifier/README.md",
        "models/classifier/config.json",
        "models/classifier/model.safetensors",
    ]  # the folder component itself is not a "missing file"


def test_a_file_the_aibom_flags_as_critical_is_refused(demo: Path) -> None:
    """Before: verify passed legacy_head.pkl although the same AIBOM records AIB201 on it."""
    done = CliRunner().invoke(main, ["verify", "aibom.cdx.json", "--format", "json"])
    assert done.exit_code == 1
    data = json.loads(done.stdout)
    assert data["schema"] == "aibom-verify/1"
    flagged = [f for f in data["findings"] if f["rule"] == "AIB165"]
    assert [f["location"]["path"] for f in flagged] == ["models/legacy_head.pkl"]
    assert flagged[0]["args"]["rule"] == "AIB201" and flagged[0]["severity"] == "critical"
    assert "models/legacy_head.pkl" not in data["verified"]
    # a threshold above the finding, or `none`, lets the matching file pass
    relaxed = CliRunner().invoke(main, ["verify", "aibom.cdx.json", "--fail-on-flagged", "none"])
    assert relaxed.exit_code == 0, relaxed.output


def test_path_outside_the_root_is_a_clear_error(demo: Path, tmp_path: Path) -> None:
    done = CliRunner().invoke(main, ["verify", "aibom.cdx.json", str(tmp_path)])
    assert done.exit_code == 2
    assert done.stderr.startswith("error: PATH is not inside the verified root")
    assert "--root" in done.stderr
