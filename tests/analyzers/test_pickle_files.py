"""Pickle-bearing files end to end: the committed malicious corpus and the benign models
made by the real libraries, each with its exact globals, format, framework and rules."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from aibom.analyzers import get_analyzer
from aibom.config import Config
from aibom.model import Artifact, ComponentKind, FileRef
from aibom.scan import scan
from aibom.sniff import sniff

MODELS = Path(__file__).resolve().parent.parent.parent / "fixtures" / "models"
MALICIOUS = MODELS / "malicious"
BENIGN = MODELS / "benign"
SMALL_BUDGET = 10 * 1024 * 1024  # the bomb fixture expands to 20 MiB


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_malicious", MODELS / "make_malicious.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # builds the bytes in memory; writes nothing
    return module


CORPUS = _load_script()


def analyze(path: Path, config: Config | None = None) -> Artifact:
    fmt = sniff(path)
    assert fmt is not None, path
    collected = get_analyzer(fmt)(
        FileRef(path, path.name, path.stat().st_size), fmt, config or Config()
    )
    assert collected.errors == []
    (artifact,) = collected.artifacts
    return artifact


def test_committed_corpus_matches_the_script() -> None:
    on_disk = sorted(p.name for p in MALICIOUS.iterdir() if p.name != "EXPECTED.md")
    assert on_disk == sorted(CORPUS.CASES)
    for name, data in CORPUS.CASES.items():
        assert (MALICIOUS / name).read_bytes() == data, name


@pytest.fixture(scope="module")
def corpus_scan() -> dict[str, tuple[Artifact, list[str]]]:
    config = Config(roots=(MALICIOUS,), max_decompressed_bytes=SMALL_BUDGET)
    result = scan(config)
    assert result.inventory.errors == []
    rules: dict[str, set[str]] = {}
    for finding in result.findings:
        rules.setdefault(finding.location.path, set()).add(finding.rule_id)
    return {a.path: (a, sorted(rules.get(a.path, ()))) for a in result.inventory.artifacts}


@pytest.mark.parametrize("name", sorted(CORPUS.EXPECTED))
def test_malicious_file_exact_globals_and_rules(
    name: str, corpus_scan: dict[str, tuple[Artifact, list[str]]]
) -> None:
    expected_globals, expected_rules = CORPUS.EXPECTED[name]
    artifact, rules = corpus_scan[name]
    assert list(dict.fromkeys(i.qualname for i in artifact.pickle_imports)) == expected_globals
    assert rules == sorted(expected_rules)
    assert artifact.sha256 == hashlib.sha256((MALICIOUS / name).read_bytes()).hexdigest()


def test_payload_then_garbage_reason() -> None:
    artifact = analyze(MALICIOUS / "payload_then_garbage.pkl")
    assert artifact.incomplete == ["invalid opcode 0xff at byte 30"]
    assert [(i.qualname, i.offset, i.called) for i in artifact.pickle_imports] == [
        ("posix.system", 2, True)
    ]


def test_legacy_checkpoints() -> None:
    legacy = analyze(MALICIOUS / "legacy_payload.pt")
    assert (legacy.format, legacy.framework) == ("pytorch-legacy", "pytorch")
    assert [p["streams"] for p in legacy.facts["pickles"]] == [5]
    # the magic number computed by eval() is not the magic: scanned as a plain pickle stream
    evil = analyze(MALICIOUS / "legacy_magic_eval.pt")
    assert evil.format == "pickle"
    assert [(i.qualname, i.offset) for i in evil.pickle_imports] == [
        ("builtins.eval", 2),
        ("posix.system", 56),
    ]


def test_trailing_data_issue() -> None:
    artifact = analyze(MALICIOUS / "trailing_junk.pkl")
    assert [(i.kind, i.detail, i.arg_dict) for i in artifact.issues] == [
        (
            "pickle:trailing-data",
            "24 bytes after the last pickle are not a pickle",
            {"offset": "41", "size": "24"},
        )
    ]


def test_nested_pickle_facts() -> None:
    artifact = analyze(MALICIOUS / "nested_loads.pkl")
    assert artifact.facts["nested_pickles"] == [
        {
            "member": None,
            "offset": 21,
            "via": "pickle.loads",
            "inner_member": "[pickle at byte 21]",
            "globals": ["posix.system"],
        }
    ]


# Benign models made by the real libraries (fixtures/models/make_benign.py):
# file -> (format, framework, kind, exact set of globals)
TORCH = {"collections.OrderedDict", "torch.FloatStorage", "torch._utils._rebuild_tensor_v2"}
FOREST = {
    "joblib.numpy_pickle.NumpyArrayWrapper",
    "numpy._core.multiarray.scalar",
    "numpy.dtype",
    "numpy.ndarray",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._tree.Tree",
}
LOGREG = {
    "numpy._core.multiarray._reconstruct",
    "numpy.dtype",
    "numpy.ndarray",
    "sklearn.linear_model._logistic.LogisticRegression",
}
MODEL, DATA = ComponentKind.MODEL, ComponentKind.DATA
BENIGN_EXPECTED: dict[str, tuple[str, str, ComponentKind, set[str]]] = {
    "linear.pt": ("pytorch-zip", "pytorch", MODEL, TORCH),
    "linear_legacy.pt": ("pytorch-legacy", "pytorch", MODEL, TORCH),
    "checkpoint.ckpt": ("pytorch-zip", "pytorch", MODEL, TORCH),
    "scripted.pt": (
        "torchscript",
        "pytorch",
        MODEL,
        TORCH | {"__torch__.fixture_linear.Linear", "torch.jit._pickle.build_intlist"},
    ),
    "logreg.pkl": ("pickle", "scikit-learn", MODEL, LOGREG),
    "logreg_p2.pkl": ("pickle", "scikit-learn", MODEL, LOGREG | {"_codecs.encode"}),
    "forest.joblib": ("joblib", "scikit-learn", MODEL, FOREST),
    "forest_zlib.joblib": ("joblib", "scikit-learn", MODEL, FOREST),
    "forest_gzip.joblib": ("joblib", "scikit-learn", MODEL, FOREST),
    "forest_bz2.joblib": ("joblib", "scikit-learn", MODEL, FOREST),
    "forest_xz.joblib": ("joblib", "scikit-learn", MODEL, FOREST),
    "forest_lzma.joblib": ("joblib", "scikit-learn", MODEL, FOREST),
    "xgb.pkl": (
        "pickle",
        "xgboost",
        MODEL,
        {"xgboost.core.Booster", "xgboost.sklearn.XGBClassifier"},
    ),
    "lgbm.pkl": (
        "pickle",
        "lightgbm",
        MODEL,
        {
            "collections.OrderedDict",
            "collections.defaultdict",
            "lightgbm.basic.Booster",
            "lightgbm.sklearn.LGBMClassifier",
            "numpy._core.multiarray._reconstruct",
            "numpy._core.multiarray.scalar",
            "numpy.dtype",
            "numpy.ndarray",
            "sklearn.preprocessing._label.LabelEncoder",
        },
    ),
    "arange.npy": ("numpy", "numpy", DATA, set()),
    "arrays.npz": ("npz", "numpy", DATA, set()),
    "arrays_compressed.npz": ("npz", "numpy", DATA, set()),
}


def test_every_benign_fixture_is_in_the_table() -> None:
    assert sorted(p.name for p in BENIGN.iterdir()) == sorted(BENIGN_EXPECTED)


@pytest.mark.parametrize("name", sorted(BENIGN_EXPECTED))
def test_benign_model_facts(name: str) -> None:
    fmt, framework, kind, globals_ = BENIGN_EXPECTED[name]
    artifact = analyze(BENIGN / name)
    assert (artifact.format, artifact.framework, artifact.kind) == (fmt, framework, kind)
    assert {i.qualname for i in artifact.pickle_imports} == globals_
    assert artifact.incomplete == []
    assert artifact.sha256 == hashlib.sha256((BENIGN / name).read_bytes()).hexdigest()
    assert artifact.size == (BENIGN / name).stat().st_size


def test_benign_models_raise_no_dangerous_or_unknown_finding() -> None:
    result = scan(Config(roots=(BENIGN,)))
    assert result.inventory.errors == []
    fired = sorted({(f.location.path, f.rule_id) for f in result.findings})
    expected = sorted(
        [(name, "AIB205") for name, v in BENIGN_EXPECTED.items() if v[2] is MODEL]
        + [("scripted.pt", "AIB207")]
    )
    assert fired == expected


def test_pickle_properties() -> None:
    artifact = analyze(BENIGN / "logreg.pkl")
    assert artifact.properties == {
        "aibom:pickle": "true",
        "aibom:pickle:global-count": "4",
        "aibom:pickle:protocol": "4",
    }
    assert artifact.facts["pickles"] == [
        {
            "member": None,
            "format": "pickle",
            "streams": 1,
            "protocol": 4,
            "opcodes": artifact.facts["pickles"][0]["opcodes"],
            "globals": sorted(LOGREG),
        }
    ]


def test_unknown_model_file(tmp_path: Path) -> None:
    path = tmp_path / "weights.bin"
    path.write_bytes(b"\x00\x01\x02\x03 not a model")
    assert sniff(path) == "unknown-model"
    artifact = analyze(path)
    assert artifact.format == "unknown"
    assert artifact.incomplete == ["unrecognised content for a model file (named .bin)"]
    assert artifact.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_text_that_looks_like_protocol_0_is_not_a_model(tmp_path: Path) -> None:
    readme = tmp_path / "README"
    readme.write_bytes(b"cat\nfile\nSee the docs.\n")  # GLOBAL-like lines, then text
    assert sniff(readme) == "pickle"
    fmt = "pickle"
    collected = get_analyzer(fmt)(FileRef(readme, "README", readme.stat().st_size), fmt, Config())
    assert collected.artifacts == [] and collected.errors == []
    # text under a weight-like name that does not parse as protocol 0 is not a model file
    named = tmp_path / "weights.pt"
    named.write_bytes(b"(dp0\nnot a pickle at all")
    assert sniff(named) is None
    # binary content under that name that matches no format still is (fail closed)
    named.write_bytes(b"\x00\x01(dp0\n")
    artifact = analyze(named)
    assert artifact.format == "unknown"
    assert artifact.incomplete == ["unrecognised content for a model file (named .pt)"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        # a recorded HTTP reply, a launcher script, a JSON config, prose, UTF-8 text
        ("reply.bin", b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"ok": true}'),
        ("launcher.pt", b"#!/usr/bin/env python3\nfrom pkg.runner import main\nmain()\n"),
        ("imports.pt", b"import torch\nprint(torch.__version__)\n"),
        ("config.bin", b'{"model_type": "bert", "hidden_size": 8}'),
        ("notes.ckpt", "Entraîné sur des données réelles.\n".encode()),
        ("big.bin", b"GET /v1/models HTTP/1.1\nHost: example.org\n\n" * 50),
    ],
)
def test_text_under_a_model_name_is_not_a_model_file(
    name: str, content: bytes, tmp_path: Path
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert sniff(path) is None


@pytest.mark.parametrize(
    "obj",
    [{"a": [1, 2.5, "x"]}, list(range(400)), ValueError("x")],  # the last one imports a class
)
def test_protocol_0_pickles_are_text_and_still_pickles(obj: object, tmp_path: Path) -> None:
    import pickle

    path = tmp_path / "weights.bin"
    path.write_bytes(pickle.dumps(obj, protocol=0))
    assert sniff(path) == "pickle"
    path.write_bytes(b"cos\nsystem\n(S'echo hi'\ntR.")  # the classic one, hand-written
    assert sniff(path) == "pickle"


def test_mutated_corpus_never_crashes_the_analyzers(tmp_path: Path) -> None:
    """Hostile input: flipped bytes, cuts and insertions in every fixture give an artifact
    (possibly incomplete) or nothing, never an exception."""
    import random

    rng = random.Random(20260101)
    sources = [
        p
        for folder in (MALICIOUS, BENIGN)
        for p in sorted(folder.iterdir())
        if p.suffix != ".md" and p.name != "bomb.zip"
    ]
    config = Config(max_decompressed_bytes=1 << 24)
    analysed = 0
    for round_ in range(1500):
        source = sources[round_ % len(sources)]
        data = bytearray(source.read_bytes())
        for _ in range(rng.randint(1, 6)):
            choice = rng.random()
            if choice < 0.5 and data:
                data[rng.randrange(len(data))] = rng.randrange(256)
            elif choice < 0.75 and data:
                del data[rng.randrange(len(data)) :]
            else:
                at = rng.randrange(len(data) + 1)
                data[at:at] = rng.randbytes(rng.randint(1, 16))
        path = tmp_path / source.name
        path.write_bytes(bytes(data))
        fmt = sniff(path)
        if fmt is None:
            continue
        collected = get_analyzer(fmt)(FileRef(path, path.name, len(data)), fmt, config)
        assert len(collected.artifacts) <= 1
        for artifact in collected.artifacts:
            assert artifact.sha256 == hashlib.sha256(bytes(data)).hexdigest()
        analysed += 1
    assert analysed > 1000


def test_sentencepiece_tokenizer_is_not_an_unknown_model(tmp_path: Path) -> None:
    # the first bytes of a tokenizer.model written by sentencepiece 0.2.3
    path = tmp_path / "tokenizer.model"
    path.write_bytes(
        b"\n\x0e\n\x05<unk>\x15\x00\x00\x00\x00\x18\x02\n\x0c\n\x03<s>\x15" + bytes(40)
    )
    assert sniff(path) is None
    other = tmp_path / "weights.model"
    other.write_bytes(b"\x01\x02\x03\x04 something else")
    assert sniff(other) == "unknown-model"
