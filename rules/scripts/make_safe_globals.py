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
from pathlib import Path

from aibom.analyzers import get_analyzer
from aibom.analyzers.pickle_vm import scan_pickle
from aibom.config import Config
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
]


def _scan_bytes(data: bytes) -> set[str]:
    return {i.qualname for i in scan_pickle(data).all_imports()}


def _scan_file(path: Path) -> set[str]:
    fmt = sniff(path)
    assert fmt is not None, path
    collected = get_analyzer(fmt)(FileRef(path, path.name, path.stat().st_size), fmt, Config())
    return {i.qualname for a in collected.artifacts for i in a.pickle_imports}


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
    buf = io.StringIO()
    del buf
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
    for source in sorted(found):
        names = sorted(found[source] - seen)
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
