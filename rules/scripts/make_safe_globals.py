"""Regenerate the [safe] list of rules/pickle_globals.toml from the real libraries.

Never prefix matching: every name on the list is one a real model pickle imports. The script
pickles real objects made by torch, numpy, scikit-learn, XGBoost, LightGBM and joblib (with
protocols 2, 4 and 5, torch.save in both formats, TorchScript, joblib.dump), scans the bytes
with aibom's own static scanner (nothing is unpickled), and adds the globals PyTorch's
`weights_only` unpickler allows (its documented rebuild functions and storage types).

Run it in a throwaway environment with the libraries installed:

    pip install torch numpy scikit-learn xgboost lightgbm joblib
    python rules/scripts/make_safe_globals.py   # rewrites the generated block in place
"""

from __future__ import annotations

import collections
import io
import pickle
import re
import sys
import tempfile
import tomllib
from collections.abc import Iterable
from pathlib import Path

from aibom.analyzers import get_analyzer
from aibom.analyzers.pickle_vm import scan_pickle
from aibom.config import Config
from aibom.model import PickleImport
from aibom.sniff import sniff
from aibom.walk import FileRef

TOML = Path(__file__).resolve().parent.parent / "pickle_globals.toml"
BEGIN = "# BEGIN GENERATED SAFE NAMES"
END = "# END GENERATED SAFE NAMES"

# Standard-library and builtin names benign pickles use (documented by `pickle` itself:
# how protocol 0-2 write bytes, sets, plain objects; common containers and value types).
STDLIB_SAFE = [
    "builtins.set",
    "builtins.frozenset",
    "builtins.bytearray",
    "builtins.bytes",
    "builtins.complex",
    "builtins.slice",
    "builtins.range",
    "builtins.list",
    "builtins.dict",
    "builtins.tuple",
    "builtins.int",
    "builtins.float",
    "builtins.str",
    "builtins.bool",
    "builtins.object",
    "builtins.NoneType",
    "builtins.Ellipsis",
    "copyreg._reconstructor",
    "copyreg.__newobj__",
    "copyreg.__newobj_ex__",
    "_codecs.encode",
    "collections.OrderedDict",
    "collections.defaultdict",
    "collections.Counter",
    "collections.deque",
    "datetime.datetime",
    "datetime.date",
    "datetime.time",
    "datetime.timedelta",
    "datetime.timezone",
    "decimal.Decimal",
    "fractions.Fraction",
    "argparse.Namespace",
    "pathlib.PosixPath",
    "pathlib.WindowsPath",
    "pathlib.PurePosixPath",
    "pathlib.PureWindowsPath",
    "enum.Enum",
    "re._compile",
]

# numpy < 2 spells its reconstruction helpers under numpy.core (numpy 2 pickles still load
# them): the same functions as the numpy._core names generated below.
NUMPY1_SAFE = [
    "numpy.core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar",
    "numpy.core.numeric._frombuffer",
    "numpy.matrixlib.defmatrix.matrix",  # numpy.matrix
    "numpy.ma.core.MaskedArray",  # numpy.ma.MaskedArray
    "numpy.core.records.recarray",  # numpy.rec.recarray
    "numpy.core.records.record",  # numpy.record
]


def _names(imports: Iterable[PickleImport]) -> set[str]:
    """Qualnames, plus `G.name` for every getattr(G, "name") (judged as that dotted name)."""
    names = set()
    for imp in imports:
        names.add(imp.qualname)
        if imp.qualname == "builtins.getattr":
            for sig in imp.call_args:
                args = sig.split(", ")
                if len(args) == 2 and args[1].startswith("<str:"):
                    names.add(f"{args[0]}.{args[1][5:-1]}")
    return names


def _scan_bytes(data: bytes) -> set[str]:
    return _names(scan_pickle(data).all_imports())


def _scan_file(path: Path) -> set[str]:
    fmt = sniff(path)
    assert fmt is not None, path
    collected = get_analyzer(fmt)(FileRef(path, path.name, path.stat().st_size), fmt, Config())
    return _names(i for a in collected.artifacts for i in a.pickle_imports)


def collect() -> dict[str, set[str]]:
    import joblib
    import lightgbm
    import numpy as np
    import sklearn
    import torch
    import xgboost
    from sklearn import (
        cluster,
        ensemble,
        linear_model,
        neural_network,
        pipeline,
        preprocessing,
        svm,
        tree,
    )
    from sklearn.feature_extraction.text import TfidfVectorizer

    found: dict[str, set[str]] = collections.defaultdict(set)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    y = (x[:, 0] > 0).astype(int)
    text = ["a cat", "a dog", "the cat sat", "dogs run"] * 5

    estimators = [
        linear_model.LogisticRegression(),
        linear_model.LinearRegression(),
        linear_model.Ridge(),
        ensemble.RandomForestClassifier(n_estimators=3, random_state=0),
        ensemble.GradientBoostingClassifier(n_estimators=3, random_state=0),
        ensemble.HistGradientBoostingClassifier(max_iter=3),
        tree.DecisionTreeClassifier(),
        preprocessing.StandardScaler(),
        preprocessing.MinMaxScaler(),
        preprocessing.OneHotEncoder(),
        preprocessing.LabelEncoder(),
        cluster.KMeans(n_clusters=2, n_init=1, random_state=0),
        svm.SVC(),
        neural_network.MLPClassifier(max_iter=5),
        pipeline.make_pipeline(preprocessing.StandardScaler(), linear_model.LogisticRegression()),
    ]
    for est in estimators:
        if isinstance(est, preprocessing.LabelEncoder):
            est.fit(y)
        elif isinstance(est, preprocessing.OneHotEncoder):
            est.fit(x[:, :1].round())
        elif hasattr(est, "predict") and not isinstance(est, cluster.KMeans):
            est.fit(x, y)
        else:
            est.fit(x)
        for proto in (2, 4, 5):
            found[f"scikit-learn {sklearn.__version__}"] |= _scan_bytes(pickle.dumps(est, proto))
    tfidf = TfidfVectorizer().fit(text)
    found[f"scikit-learn {sklearn.__version__}"] |= _scan_bytes(pickle.dumps(tfidf, 4))
    xgb = xgboost.XGBClassifier(n_estimators=2, max_depth=2).fit(x, y)
    lgb = lightgbm.LGBMClassifier(n_estimators=2, verbose=-1).fit(x, y)
    for proto in (2, 4, 5):
        found[f"xgboost {xgboost.__version__}"] |= _scan_bytes(pickle.dumps(xgb, proto))
        found[f"xgboost {xgboost.__version__}"] |= _scan_bytes(
            pickle.dumps(xgb.get_booster(), proto)
        )
        found[f"lightgbm {lightgbm.__version__}"] |= _scan_bytes(pickle.dumps(lgb, proto))
        found[f"lightgbm {lightgbm.__version__}"] |= _scan_bytes(pickle.dumps(lgb.booster_, proto))
    arrays = [
        np.arange(5),
        np.zeros((2, 2), dtype=np.float32),
        np.array(["a", "bc"]),
        np.array([1 + 2j]),
        np.float64(1.5),
        np.int64(3),
        np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")]),
        np.dtype("float16"),
        np.array([True]),
        np.array(["2020-01-01"], dtype="datetime64[D]"),
        np.matrix([[1, 2]]),
        np.ma.masked_array([1, 2], mask=[0, 1]),
        np.rec.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")]),
        np.array([1], dtype=object),
        np.timedelta64(1, "s"),
        np.datetime64("2020-01-01"),
    ]
    for arr in arrays:
        for proto in (2, 4, 5):
            found[f"numpy {np.__version__}"] |= _scan_bytes(pickle.dumps(arr, proto))
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
        state = model.state_dict()
        extra = {
            "state_dict": state,
            "epoch": 3,
            "optimizer": torch.optim.Adam(model.parameters()).state_dict(),
            "dtypes": [torch.float16, torch.bfloat16, torch.int8],
            "size": torch.Size([2, 3]),
            "half": torch.zeros(2, dtype=torch.float16),
            "long": torch.arange(3),
            "bool": torch.tensor([True]),
            "complex": torch.zeros(1, dtype=torch.complex64),
            "device": torch.device("cpu"),
        }
        for i, obj in enumerate([state, extra]):
            torch.save(obj, d / f"new{i}.pt")
            torch.save(obj, d / f"legacy{i}.pt", _use_new_zipfile_serialization=False)
            for p in (d / f"new{i}.pt", d / f"legacy{i}.pt"):
                found[f"torch {torch.__version__}"] |= _scan_file(p)
        torch.jit.save(torch.jit.script(model), d / "ts.pt")
        found[f"torch {torch.__version__}"] |= _scan_file(d / "ts.pt")
        for comp in (0, ("zlib", 3), ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3)):
            path = d / "m.joblib"
            joblib.dump({"rf": estimators[3], "arr": np.arange(4)}, path, compress=comp)
            found[f"joblib {joblib.__version__}"] |= _scan_file(path)
    # The weights_only unpickler's own allowlist: torch's documented safe globals.
    from torch import _weights_only_unpickler as wou

    allowed = wou._get_allowed_globals()
    found[f"torch {torch.__version__} weights_only allowlist"] |= {
        name for name in allowed if re.fullmatch(r"[\w.]+", name)
    }
    found |= _collect_more()
    return found


def _classes_under(package: object, base: type) -> set[str]:
    """module.qualname of every public subclass of `base` defined in `package`'s modules:
    what a pickle of any instance references (full-model pickles, estimators)."""
    import importlib
    import pkgutil

    names: set[str] = set()
    root = package.__name__  # type: ignore[attr-defined]
    paths = getattr(package, "__path__", None)
    modules = [package]
    if paths is not None:
        for info in pkgutil.walk_packages(paths, root + "."):
            if any(part.startswith("_") and part != "__init__" for part in info.name.split(".")[1:]) and "modules" not in info.name:
                continue
            try:
                modules.append(importlib.import_module(info.name))
            except Exception:  # noqa: BLE001 - optional submodules
                continue
    for module in modules:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, base)
                and value.__module__.startswith(root)
                and "<locals>" not in value.__qualname__
            ):
                names.add(f"{value.__module__}.{value.__qualname__}")
    return names


def _collect_more() -> dict[str, set[str]]:
    """Standard-library values, pandas, requests, SciPy, CatBoost, tokenizers, transformers,
    and every torch.nn / torch.optim / scikit-learn class (a full pickle references them)."""
    import array
    import datetime
    import decimal
    import fractions
    import http
    import ipaddress
    import logging
    import os
    import types
    import uuid
    import zoneinfo

    found: dict[str, set[str]] = collections.defaultdict(set)
    stdlib_values = [
        uuid.UUID(int=1),
        ipaddress.ip_address("10.0.0.1"),
        ipaddress.ip_address("::1"),
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("2001:db8::/32"),
        ipaddress.ip_interface("10.0.0.1/24"),
        ipaddress.ip_interface("::1/64"),
        datetime.datetime(2025, 1, 1, tzinfo=zoneinfo.ZoneInfo("UTC")),
        datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc),
        collections.ChainMap({"a": 1}),
        collections.OrderedDict(a=1),
        collections.defaultdict(list),
        collections.Counter("ab"),
        collections.deque([1]),
        array.array("d", [1.0]),
        array.array("i", [1]),
        os.stat(__file__),
        http.HTTPStatus.OK,
        logging.getLogger("x"),
        logging.getLogger(),
        types.SimpleNamespace(a=1),
        decimal.Decimal("1.5"),
        fractions.Fraction(1, 3),
        {1, 2},
        frozenset({1}),
        bytearray(b"x"),
        b"\x00\xff",
        range(3),
        slice(1, 2),
        1 + 2j,
        Path("a/b"),
        re.compile("a+"),
        datetime.timedelta(1),
        datetime.date(2025, 1, 1),
        datetime.time(1, 2),
    ]
    for value in stdlib_values:
        for proto in (0, 1, 2, 4, 5):
            found["python stdlib values (pickled by this script)"] |= _scan_bytes(
                pickle.dumps(value, proto)
            )
    try:
        import numpy as np
        import pandas as pd

        frames = [
            pd.DataFrame(
                {
                    "i": [1, 2, 3],
                    "f": [0.5, None, 1.5],
                    "s": ["a", "b", "c"],
                    "cat": pd.Categorical(["x", "y", "x"]),
                    "t": pd.to_datetime(["2025-01-01"] * 3).tz_localize("UTC"),
                    "naive": pd.to_datetime(["2025-01-01"] * 3),
                    "td": pd.to_timedelta([1, 2, 3], unit="s"),
                    "b": [True, False, True],
                    "o": [{"k": 1}, [1], None],
                    "Int64": pd.array([1, None, 3], dtype="Int64"),
                    "Float64": pd.array([1.0, None, 3.0], dtype="Float64"),
                    "boolean": pd.array([True, None, False], dtype="boolean"),
                    "string": pd.array(["a", None, "c"], dtype="string"),
                    "period": pd.period_range("2025-01", periods=3, freq="M"),
                    "interval": pd.interval_range(0, 3),
                    "sparse": pd.arrays.SparseArray([0, 0, 1]),
                },
                index=pd.Index([10, 20, 30], name="id"),
            ),
            pd.DataFrame({"a": [1]}, index=pd.MultiIndex.from_tuples([("a", 1)])),
            pd.Series([1.0, 2.0], index=pd.date_range("2025-01-01", periods=2)),
            pd.Series([1], index=pd.CategoricalIndex(["a"])),
            pd.Series([1], index=pd.RangeIndex(1)),
            pd.Timestamp("2025-01-01", tz="UTC"),
            pd.Timedelta(1),
            pd.Period("2025-01", freq="M"),
            pd.Interval(0, 1),
            pd.NaT,
            pd.NA,
        ]
        for value in frames:
            for proto in (2, 4, 5):
                found[f"pandas {pd.__version__}"] |= _scan_bytes(pickle.dumps(value, proto))
        del np
    except ImportError:
        pass
    try:
        import requests

        resp = requests.models.Response()
        resp.status_code = 200
        resp._content = b"{}"
        resp.url = "https://example.org/"
        resp.request = requests.Request("GET", "https://example.org/").prepare()
        resp.elapsed = datetime.timedelta(0)
        for proto in (2, 4, 5):
            found[f"requests {requests.__version__}"] |= _scan_bytes(pickle.dumps(resp, proto))
    except ImportError:
        pass
    try:
        import numpy as np
        import scipy
        import scipy.sparse as sp

        for value in (sp.csr_matrix(np.eye(2)), sp.csc_matrix(np.eye(2)), sp.coo_matrix(np.eye(2)), sp.csr_array(np.eye(2))):
            for proto in (2, 4, 5):
                found[f"scipy {scipy.__version__}"] |= _scan_bytes(pickle.dumps(value, proto))
    except ImportError:
        pass
    try:
        import catboost
        import numpy as np

        x = np.random.default_rng(0).normal(size=(20, 2))
        model = catboost.CatBoostClassifier(iterations=2, depth=2, verbose=0, allow_writing_files=False)
        model.fit(x, (x[:, 0] > 0).astype(int))
        for proto in (2, 4, 5):
            found[f"catboost {catboost.__version__}"] |= _scan_bytes(pickle.dumps(model, proto))
    except ImportError:
        pass
    try:
        import tokenizers
        from tokenizers import Tokenizer, models, pre_tokenizers

        tok = Tokenizer(models.WordLevel({"a": 0, "[UNK]": 1}, unk_token="[UNK]"))
        tok.pre_tokenizer = pre_tokenizers.Whitespace()
        for proto in (2, 4, 5):
            found[f"tokenizers {tokenizers.__version__}"] |= _scan_bytes(pickle.dumps(tok, proto))
    except ImportError:
        pass
    try:
        import torch

        import torch.jit._pickle as jit_pickle

        found[f"torch {torch.__version__} (TorchScript pickle helpers, torch.jit._pickle)"] |= {
            f"torch.jit._pickle.{name}"
            for name in vars(jit_pickle)
            if name.startswith(("build_", "restore_"))
        }
        found[f"torch {torch.__version__} (every nn.Module, Optimizer, LRScheduler class)"] |= (
            _classes_under(torch.nn, torch.nn.Module)
            | _classes_under(torch.optim, torch.optim.Optimizer)
            | _classes_under(torch.optim.lr_scheduler, torch.optim.lr_scheduler.LRScheduler)
        )
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU())
            torch.save(model, d / "full.pt")
            found[f"torch {torch.__version__}"] |= _scan_file(d / "full.pt")
            try:
                import torch.distributed.checkpoint as dcp

                dcp.save({"model": model.state_dict()}, checkpoint_id=str(d / "dcp"))
                data = (d / "dcp" / ".metadata").read_bytes()
                found[f"torch {torch.__version__} distributed checkpoint"] |= _scan_bytes(data)
            except Exception:  # noqa: BLE001 - optional
                pass
            try:
                import transformers

                old = os.getcwd()
                os.chdir(d)
                try:
                    args = transformers.TrainingArguments(output_dir="out", report_to=[])
                finally:
                    os.chdir(old)
                torch.save(args, d / "training_args.bin")
                found[f"transformers {transformers.__version__}"] |= _scan_file(
                    d / "training_args.bin"
                )
                config = transformers.BertConfig(
                    hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=8
                )
                found[f"transformers {transformers.__version__}"] |= _scan_bytes(
                    pickle.dumps(config, 4)
                )
            except Exception:  # noqa: BLE001 - optional
                pass
    except ImportError:
        pass
    try:
        import sklearn
        from sklearn.base import BaseEstimator

        found[f"scikit-learn {sklearn.__version__} (every estimator class)"] |= _classes_under(
            sklearn, BaseEstimator
        )
    except ImportError:
        pass
    return found


def main() -> int:
    found = collect()
    found["python stdlib (pickle's own encodings, common value types)"] = set(STDLIB_SAFE)
    found["numpy 1.x spellings of the numpy._core names"] = set(NUMPY1_SAFE)
    seen: set[str] = set()
    lines = [
        BEGIN,
        f"# generated by rules/scripts/make_safe_globals.py on Python {sys.version.split()[0]}",
    ]
    lines.append("names = [")
    data = tomllib.loads(TOML.read_text("utf-8"))
    judged_elsewhere = set(data.get("higher_order", {}))  # judged by their arguments
    for source in sorted(found):
        names = sorted(found[source] - seen - judged_elsewhere)
        names = [n for n in names if not n.startswith("__torch__.")]
        if not names:
            continue
        lines.append(f"    # {source}")
        for name in names:
            lines.append(f'    "{name}",')
        seen |= set(names)
    lines.append("]")
    lines.append(END)
    text = TOML.read_text("utf-8")
    block = "\n".join(lines)
    new = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda m: block, text, flags=re.S)
    TOML.write_text(new, "utf-8")
    print(f"{len(seen)} safe names written to {TOML.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
