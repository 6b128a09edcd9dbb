"""The ast reader of model, dataset and unsafe-loader references (aibom.sources.code_refs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aibom.config import Config
from aibom.model import CodeReference, FileRef, Location, ScanError, Suppression
from aibom.sources.code_refs import (
    MAX_SOURCE_BYTES,
    analyse_notebook,
    analyse_source,
    collect_notebook,
    collect_python,
    strip_magics,
)

COMMIT = "4f1c2d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e"


def refs_of(fixtures: Path, name: str) -> list[tuple[int | None, str, str, str | None, str | None]]:
    path = fixtures / "code" / name
    collected = collect_python(FileRef(path, name, path.stat().st_size), Config())
    assert collected.errors == []
    return [(r.location.line, r.kind, r.call, r.target, r.revision) for r in collected.code_refs]


def test_hub_references_every_call_form(fixtures: Path) -> None:
    assert refs_of(fixtures, "hub_refs.py") == [
        (21, "hub-model", "AutoTokenizer.from_pretrained", "acme-ai/tokenizer", None),
        (22, "hub-model", "M.from_pretrained", "acme-ai/sentiment-base", COMMIT),
        (23, "hub-model", "M.from_pretrained", "acme-ai/big", "main"),
        (24, "hub-model", "pipeline", "acme-ai/classifier", "v1.0"),
        (25, "hub-model", "pipeline", None, None),
        (26, "hub-model", "hf_hub_download", "acme-ai/weights", COMMIT),
        (27, "hub-dataset", "snapshot_download", "acme-ai/corpus", None),
        (28, "hub-model", "SentenceTransformer", "sentence-transformers/all-MiniLM-L6-v2", None),
        (29, "hub-model", "CrossEncoder", "cross-encoder/ms-marco-MiniLM-L-6-v2", "abc1234"),
        (30, "timm-model", "timm.create_model", "resnet50", None),
        (31, "hub-model", "timm.create_model", "timm/vit_base_patch16_224.augreg_in21k", COMMIT),
        (33, "hub-model", "LLM", "acme-ai/chat-7b", None),
        (33, "trust-remote-code", "LLM", "acme-ai/chat-7b", None),
        (34, "hub-dataset", "datasets.load_dataset", "acme-ai/reviews", COMMIT),
        (35, "hub-dataset", "ld", "acme-ai/reviews-2", None),
        (37, "torch-hub", "t.hub.load", "pytorch/vision", "v0.10.0"),
        (38, "torch-hub", "t.hub.load", "acme-ai/detector", COMMIT),
        (40, "local-model", "M.from_pretrained", "./checkpoints/final", None),
        (41, "hub-model", "__import__('peft').PeftModel.from_pretrained", "acme-ai/adapter", None),
        (44, "hub-dataset", "pd.read_parquet", "acme-ai/reviews", COMMIT),  # hf:// URL
        (45, "hub-dataset", "ld", "acme-ai/files", "main"),  # hf:// URL in data_files
        (46, "hub-model", "HfApi().snapshot_download", "acme-ai/snap", None),
        (47, "hub-model", "pipeline", "acme-ai/gen", None),
        (47, "trust-remote-code", "pipeline", "acme-ai/gen", None),
        (49, "hub-model", "M.from_single_file", "acme-ai/sd", "main"),  # huggingface.co URL
        (50, "hub-model", "t.hub.load_state_dict_from_url", "acme-ai/w", COMMIT),
        (
            50,
            "torch-load",
            "t.hub.load_state_dict_from_url",
            f"https://huggingface.co/acme-ai/w/resolve/{COMMIT}/w.pth",
            None,
        ),
        (51, "hub-dataset", "requests.get", "acme-ai/d", "v1"),
    ]


def test_hub_reference_args_carry_the_facts_checks_need(fixtures: Path) -> None:
    path = fixtures / "code" / "hub_refs.py"
    refs = collect_python(FileRef(path, "hub_refs.py", path.stat().st_size), Config()).code_refs
    by_line = {(r.location.line, r.kind): dict(r.args) for r in refs}
    assert by_line[(21, "hub-model")] == {"revision": "missing"}
    assert by_line[(22, "hub-model")] == {"revision": "commit"}
    assert by_line[(23, "hub-model")] == {"revision": "branch"}
    assert by_line[(25, "hub-model")] == {
        "revision": "missing",
        "default_for_task": "summarization",
    }
    assert by_line[(26, "hub-model")] == {"revision": "commit", "filename": "model.safetensors"}
    assert by_line[(29, "hub-model")] == {"revision": "branch"}  # a short hash is not a commit
    assert by_line[(30, "timm-model")] == {"revision": "missing", "pretrained": "True"}
    assert by_line[(33, "trust-remote-code")] == {"value": "True", "revision": "missing"}
    assert by_line[(37, "torch-hub")] == {"revision": "branch", "entrypoint": "resnet18"}
    assert by_line[(38, "torch-hub")] == {"revision": "commit", "entrypoint": "detector"}
    assert by_line[(44, "hub-dataset")] == {
        "revision": "commit",
        "url": f"hf://datasets/acme-ai/reviews@{COMMIT}/data/train.parquet",
    }


def test_unsafe_loaders(fixtures: Path) -> None:
    path = fixtures / "code" / "unsafe_loaders.py"
    refs = collect_python(FileRef(path, "u.py", path.stat().st_size), Config()).code_refs
    assert [(r.location.line, r.kind, r.call, r.target, r.args) for r in refs] == [
        (21, "torch-load", "torch.load", "weights/model.pt", (("weights_only", "missing"),)),
        (22, "torch-load", "torch.load", "weights/model.pt", (("weights_only", "False"),)),
        (23, "torch-load", "load", "weights/model.pt", (("weights_only", "True"),)),
        (24, "torch-load", "torch.load", "w.pt", (("weights_only", "True"),)),
        (25, "pickle-load", "pk.load", None, ()),
        (26, "pickle-load", "loads", None, ()),
        (27, "pickle-load", "_pickle.Unpickler", None, ()),
        (28, "dill-load", "dill.load", None, ()),
        (29, "cloudpickle-load", "cloudpickle.loads", None, ()),
        (30, "joblib-load", "joblib.load", "classifier.joblib", ()),
        (31, "pandas-read-pickle", "pd.read_pickle", "features.pkl", ()),
        (32, "numpy-load-pickle", "np.load", "embeddings.npz", (("allow_pickle", "True"),)),
        (34, "numpy-load-pickle", "np.load", "x.npy", (("allow_pickle", "True"),)),
        (
            35,
            "keras-unsafe-load",
            "keras.models.load_model",
            "model.keras",
            (("safe_mode", "False"),),
        ),
        (37, "shelve-open", "shelve.open", "cache.db", ()),
        (
            38,
            "torch-load",
            "torch.serialization.load",
            "weights/model.pt",
            (("weights_only", "False"),),
        ),
        (39, "pickle-load", "getattr(pk, 'load')", None, ()),
    ]


def test_dynamic_values_are_unresolved_not_guessed(fixtures: Path) -> None:
    path = fixtures / "code" / "dynamic.py"
    refs = collect_python(FileRef(path, "d.py", path.stat().st_size), Config()).code_refs
    assert [(r.location.line, r.kind, r.target, r.args) for r in refs] == [
        (
            15,
            "hub-model",
            None,
            (("revision", "missing"), ("unresolved", "target"), ("reason", "variable name")),
        ),
        (16, "hub-model", "acme-ai/fixed", (("revision", "dynamic"),)),
        (
            17,
            "hub-model",
            None,
            (("revision", "missing"), ("unresolved", "target"), ("reason", "f-string")),
        ),
        # NAME is assigned twice at module level: which value applies depends on control flow
        (
            18,
            "hub-model",
            None,
            (("revision", "missing"), ("unresolved", "target"), ("reason", "variable NAME")),
        ),
        # the parameter TEMPLATE hides the module constant of the same name
        (
            23,
            "hub-model",
            None,
            (("revision", "missing"), ("unresolved", "target"), ("reason", "variable TEMPLATE")),
        ),
        (27, "torch-load", "x.pt", (("weights_only", "dynamic"),)),
        (28, "hub-model", "acme-ai/remote", (("revision", "missing"),)),
        (
            28,
            "trust-remote-code",
            "acme-ai/remote",
            (("value", "dynamic"), ("revision", "missing")),
        ),
        (29, "hub-model", "acme-ai/kw", (("revision", "commit"),)),  # **{dict literal}
        (30, "hub-model", "acme-ai/template", (("revision", "missing"),)),
    ]


def test_aliases_and_star_imports() -> None:
    source = b"""
from transformers import *
from torch import load as L
import torch.hub
import numpy
loader = numpy.load
pipeline("ner", model="acme-ai/ner")
L("a.pt")
torch.hub.load("owner/repo", "m")
loader("a.npz", allow_pickle=True)
"""
    refs = analyse_source(source, "s.py").code_refs
    assert [(r.location.line, r.kind, r.call, r.target) for r in refs] == [
        (7, "hub-model", "pipeline", "acme-ai/ner"),
        (8, "torch-load", "L", "a.pt"),
        (9, "torch-hub", "torch.hub.load", "owner/repo"),
        (10, "numpy-load-pickle", "loader", "a.npz"),
    ]


def test_calls_on_unrelated_names_are_not_references() -> None:
    source = b"""
import json
json.load(open("config.json"))
store.load("x")
yaml_loader = object()
def load(x): return x
load("model.pt")
pipeline("ner")
"""
    # `pipeline` is not imported from transformers here, so it is not transformers.pipeline
    assert analyse_source(source, "s.py").code_refs == []


def test_local_paths_and_packaged_dataset_builders() -> None:
    source = b"""
from transformers import AutoModel
from datasets import load_dataset
AutoModel.from_pretrained("/models/final")
AutoModel.from_pretrained("../up/model")
load_dataset("json", data_files="x.json")
load_dataset("parquet")
"""
    refs = analyse_source(source, "s.py").code_refs
    assert [(r.kind, r.target) for r in refs] == [
        ("local-model", "/models/final"),
        ("local-model", "../up/model"),
    ]


def test_suppression_comments_are_collected() -> None:
    source = (
        b"import pickle\n"
        b"pickle.load(f)  # aibom: ignore[AIB605] our own cache file\n"
        b"pickle.load(g)  # aibom: ignore\n"
    )
    assert analyse_source(source, "s.py").suppressions == [
        Suppression(Location("s.py", 2), ("AIB605",), "our own cache file"),
        Suppression(Location("s.py", 3), (), ""),
    ]


def test_syntax_error_is_a_scan_error_with_the_line(fixtures: Path) -> None:
    path = fixtures / "code" / "broken_syntax.py"
    collected = collect_python(FileRef(path, "broken_syntax.py", path.stat().st_size), Config())
    assert collected.errors == [
        ScanError(Location("broken_syntax.py", 3), "syntax error: '(' was never closed")
    ]
    assert collected.code_refs == []


def test_latin1_source_with_coding_cookie(fixtures: Path) -> None:
    path = fixtures / "code" / "latin1.py"
    collected = collect_python(FileRef(path, "latin1.py", path.stat().st_size), Config())
    assert collected.errors == []
    assert [(r.kind, r.target) for r in collected.code_refs] == [("torch-load", "modèle.pt")]


def test_nul_bytes_are_a_scan_error(fixtures: Path) -> None:
    path = fixtures / "code" / "nul_bytes.py"
    collected = collect_python(FileRef(path, "nul_bytes.py", path.stat().st_size), Config())
    assert collected.errors == [
        ScanError(
            Location("nul_bytes.py"), "syntax error: source code string cannot contain null bytes"
        )
    ]


def test_invalid_utf8_without_cookie_is_a_scan_error() -> None:
    collected = analyse_source(b"import torch\ntorch.load('\xff\xfe')\n", "bad.py")
    assert len(collected.errors) == 1
    error = collected.errors[0]
    assert error.location == Location("bad.py", 2)
    assert error.reason.startswith("syntax error: (unicode error) 'utf-8' codec can't decode")


def test_deeply_nested_source_is_a_scan_error_not_a_crash() -> None:
    source = b"import torch\nx = " + b"(" * 300 + b"1" + b")" * 300 + b"\ntorch.load('a')\n"
    collected = analyse_source(source, "deep.py")
    assert collected.code_refs == []
    assert collected.errors == [
        ScanError(Location("deep.py", 2), "syntax error: too many nested parentheses")
    ]


def test_long_constant_chains_stay_bounded() -> None:
    # deeper than MAX_RESOLVE_DEPTH: unresolved rather than followed without end
    chain = " + ".join(['"a"'] * 200)
    source = f"from transformers import AutoModel\nX = {chain}\nAutoModel.from_pretrained(X)\n"
    collected = analyse_source(source.encode(), "long.py")
    assert collected.errors == []
    assert [(r.target, dict(r.args)["reason"]) for r in collected.code_refs] == [
        (None, "variable X")
    ]


def test_chain_too_deep_for_the_parser_is_a_scan_error() -> None:
    chain = " + ".join(['"a"'] * 5000)
    source = f"from transformers import AutoModel\nX = {chain}\nAutoModel.from_pretrained(X)\n"
    assert analyse_source(source.encode(), "long.py").errors == [
        ScanError(Location("long.py"), "source nested too deeply to parse")
    ]


def test_oversized_source_is_a_scan_error(tmp_path: Path) -> None:
    path = tmp_path / "big.py"
    path.write_bytes(b"# x\n")
    ref = FileRef(path, "big.py", MAX_SOURCE_BYTES + 1)
    assert collect_python(ref, Config()).errors == [
        ScanError(
            Location("big.py"),
            f"source file too large to analyse ({MAX_SOURCE_BYTES + 1} bytes, limit "
            f"{MAX_SOURCE_BYTES}); model references in it are unknown",
        )
    ]


def test_files_without_any_keyword_are_not_parsed() -> None:
    # not parsed at all, so its (deliberate) syntax error is not reported either
    assert analyse_source(b"def f(:\n    return 1\n", "plain.py").errors == []


def test_notebook_cells(fixtures: Path) -> None:
    path = fixtures / "code" / "notebook.ipynb"
    collected = collect_notebook(FileRef(path, "nb.ipynb", path.stat().st_size), Config())
    assert [(r.location, r.kind, r.target, r.revision) for r in collected.code_refs] == [
        (Location("nb.ipynb", 3, "cell 3"), "hub-model", "acme-ai/notebook-base", None),
        (Location("nb.ipynb", 3, "cell 3"), "trust-remote-code", "acme-ai/notebook-base", None),
        (Location("nb.ipynb", 2, "cell 5"), "torch-load", "ckpt.pt", None),
        (Location("nb.ipynb", 5, "cell 5"), "hub-dataset", "acme-ai/nb-data", None),
        # BASE is defined in cell 3: the notebook is one namespace
        (
            Location("nb.ipynb", 4, "cell 7"),
            "hub-dataset",
            "acme-ai/nb-data",
            "acme-ai/notebook-base",
        ),
    ]
    # cell 4 is %%bash (not Python); cell 6 does not compile: Python would not run it, so it
    # is a gap (the notebook is complete), and the rest goes on
    assert collected.errors == []
    assert [(g.location, g.reason.split("(")[1].split(")")[0]) for g in collected.gaps] == [
        (Location("nb.ipynb", 1, "cell 6"), "syntax error: invalid syntax")
    ]


def test_notebook_not_json_and_not_a_notebook() -> None:
    assert analyse_notebook(b'{"cells": [', "a.ipynb").errors == [
        ScanError(Location("a.ipynb", 1), "notebook is not valid JSON: Expecting value")
    ]
    assert analyse_notebook(b"[1, 2]", "b.ipynb").errors == [
        ScanError(Location("b.ipynb"), "not a Jupyter notebook (no `cells` list of cell objects)")
    ]
    assert analyse_notebook(b"\xff\xfe{}", "c.ipynb").errors == [
        ScanError(Location("c.ipynb"), "notebook is not UTF-8 (invalid start byte)")
    ]
    bad_cell = b'{"cells": [{"cell_type": "code", "source": 5}]}'
    assert analyse_notebook(bad_cell, "d.ipynb").errors == [
        ScanError(Location("d.ipynb", None, "cell 1"), "cell source is not text")
    ]


def test_nbformat3_worksheets() -> None:
    doc = b'{"worksheets": [{"cells": [{"cell_type": "code", "input": "import torch\\ntorch.load(\'a\')"}]}]}'
    refs = analyse_notebook(doc, "old.ipynb").code_refs
    assert [(r.location, r.kind) for r in refs] == [
        (Location("old.ipynb", 2, "cell 1"), "torch-load")
    ]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("!pip install x\nimport torch", "pass\nimport torch"),
        ("%matplotlib inline", "pass"),
        ("files = !ls\nx?", "files = None\npass"),
        ("for i in a:\n    !echo $i", "for i in a:\n    pass"),
        ("%%time\nx = 1", "\nx = 1"),
        ("%%bash\necho hi", None),
        ("%%writefile a.py\nimport torch", None),
        ("a != b\nx = y % z", "a != b\nx = y % z"),
    ],
)
def test_strip_magics(cell: str, expected: str | None) -> None:
    assert strip_magics(cell) == expected


def test_code_reference_records_are_plain_data() -> None:
    ref = analyse_source(b"import torch\ntorch.load('m.pt')\n", "m.py").code_refs[0]
    assert ref == CodeReference(
        "torch-load",
        "torch.load",
        Location("m.py", 2),
        target="m.pt",
        args=(("weights_only", "missing"),),
    )


def test_function_scopes_are_precise() -> None:
    source = b"""
from transformers import AutoModel
MODEL = "acme-ai/base"
def outer():
    def inner():
        MODEL = "acme-ai/other"  # local to inner only
        return MODEL
    return AutoModel.from_pretrained(MODEL)
def with_global():
    global MODEL
    return AutoModel.from_pretrained(MODEL)
"""
    refs = analyse_source(source, "s.py").code_refs
    # `MODEL` is rebound in inner(): not a constant any more anywhere (flow-insensitive)
    assert [(r.location.line, r.target, dict(r.args).get("reason")) for r in refs] == [
        (8, None, "variable MODEL"),
        (11, None, "variable MODEL"),
    ]
    source = b"""
from transformers import AutoModel
MODEL = "acme-ai/base"
def outer(name):
    lambda MODEL: MODEL
    return AutoModel.from_pretrained(MODEL), AutoModel.from_pretrained(name)
"""
    refs = analyse_source(source, "t.py").code_refs
    assert [(r.location.line, r.target) for r in refs] == [(6, "acme-ai/base"), (6, None)]


def test_notebook_prefilter_spans_cells() -> None:
    doc = {
        "nbformat": 4,
        "cells": [
            {"cell_type": "code", "source": ["from torch import load as L"]},
            {"cell_type": "code", "source": "state = L('a.pt')"},
        ],
    }
    import json as _json

    refs = analyse_notebook(_json.dumps(doc).encode(), "n.ipynb").code_refs
    assert [(r.location, r.kind) for r in refs] == [
        (Location("n.ipynb", 1, "cell 2"), "torch-load")
    ]


def test_load_without_a_loader_module_is_not_parsed() -> None:
    # `load` alone (json, yaml, a method) is not enough to parse the file
    assert analyse_source(b"import json\njson.load(f)\ndef g(:\n", "j.py").errors == []
    # with a loader module named, the file is parsed (and its syntax error reported)
    assert analyse_source(b"import pickle\npickle.load(f)\ndef g(:\n", "p.py").errors == [
        ScanError(Location("p.py", 3), "syntax error: invalid syntax")
    ]


def test_relative_ids_that_exist_on_disk_are_local_folders(tmp_path: Path) -> None:
    (tmp_path / "checkpoints" / "final").mkdir(parents=True)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "tok").mkdir()
    source = tmp_path / "src" / "train.py"
    source.write_text(
        "from transformers import AutoModel, AutoTokenizer\n"
        'AutoModel.from_pretrained("checkpoints/final")\n'  # under the scan root
        'AutoTokenizer.from_pretrained("tok")\n'  # next to the source file
        'AutoModel.from_pretrained("acme-ai/final")\n'
    )
    ref = FileRef(source, "src/train.py", source.stat().st_size)
    refs = collect_python(ref, Config(roots=(tmp_path,))).code_refs
    assert [(r.location.line, r.kind, r.target) for r in refs] == [
        (2, "local-model", "checkpoints/final"),
        (3, "local-model", "tok"),
        (4, "hub-model", "acme-ai/final"),
    ]
