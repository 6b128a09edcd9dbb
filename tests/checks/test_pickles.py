"""Judging pickle globals (safe / dangerous / unknown) and the container findings: exact
rule ids, locations, arguments and rendered messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from aibom.checks.pickle_policy import classify, dangerous_entry, globals_data
from aibom.config import Config
from aibom.model import Finding, Location, PickleImport
from aibom.rules import get_rule
from aibom.scan import scan

MALICIOUS = Path(__file__).resolve().parent.parent.parent / "fixtures" / "models" / "malicious"


def imp(module: str, name: str) -> PickleImport:
    return PickleImport(module, name)


@pytest.mark.parametrize(
    ("module", "name", "verdict", "entry"),
    [
        ("collections", "OrderedDict", "safe", None),
        ("torch._utils", "_rebuild_tensor_v2", "safe", None),
        ("numpy.core.multiarray", "_reconstruct", "safe", None),
        ("joblib.numpy_pickle", "NumpyArrayWrapper", "safe", None),  # exact safe beats "joblib"
        ("posix", "system", "dangerous", "posix"),
        ("os.path", "join", "dangerous", "os"),  # a module entry covers submodules
        ("builtins", "getattr.__call__", "dangerous", "builtins.getattr"),  # attribute paths
        ("pathlib", "os.system", "dangerous", "os"),  # dotted name through another module
        ("asyncio.unix_events", "_UnixSubprocessTransport._start", "dangerous", "asyncio"),
        ("torch.serialization", "load", "dangerous", "torch.serialization.load"),
        ("torch", "load", "dangerous", "torch.load"),
        ("pkgutil", "resolve_name", "dangerous", "pkgutil.resolve_name"),
        ("antigravity", "geohash", "dangerous", "antigravity"),  # importing it acts
        ("mylib", "f.__globals__", "dangerous", "__globals__"),  # attribute-path gadgets
        ("numpy", "ndarray.__class__.__subclasses__", "dangerous", "__class__"),
        ("builtins", "__dict__", "dangerous", "__dict__"),  # most specific entry
        ("_io", "FileIO", "dangerous", "_io.FileIO"),
        ("builtins", "eval", "dangerous", "builtins.eval"),
        ("builtins", "print", "unknown-stdlib", None),  # not listed, stdlib: high
        ("xml.dom.minidom", "parseString", "unknown-stdlib", None),
        ("mylib.models", "Head", "unknown", None),
        ("torch.nn.modules.linear", "Linear", "safe", None),  # every nn.Module class is listed
        ("mylib.models", "Head", "unknown", None),
        ("<unresolved>", "extension code 5", "unresolved", None),
    ],
)
def test_classify(module: str, name: str, verdict: str, entry: str | None) -> None:
    assert classify(imp(module, name), Config()) == (verdict, entry)


def test_safe_list_is_exact_not_a_prefix() -> None:
    assert "torch._utils._rebuild_tensor_v2" in globals_data().safe
    assert classify(imp("torch._utils", "_rebuild_tensor_v2.x"), Config()) == ("unknown", None)
    assert classify(imp("collections", "OrderedDict.fromkeys"), Config()) == (
        "unknown-stdlib",
        None,
    )


def test_config_safe_globals_extend_the_list() -> None:
    config = Config(safe_globals=frozenset({"mylib.models.Head"}))
    assert classify(imp("mylib.models", "Head"), config) == ("safe", None)


def test_dangerous_entries_cover_attribute_suffixes() -> None:
    assert dangerous_entry("pathlib", "os.system") == "os"
    assert dangerous_entry("mylib", "x.subprocess.Popen") == "subprocess"
    assert dangerous_entry("mylib", "B.c.d") is None
    assert dangerous_entry("mymodel", "code") is None  # a bare attribute named like a module
    assert dangerous_entry("subprocess", "Popen") == "subprocess"


def test_every_dangerous_entry_names_its_sources() -> None:
    data = globals_data()
    assert len(data.dangerous) > 200
    from aibom.rules import load_data_toml

    known = set(load_data_toml("pickle_globals.toml")["references"])
    for name, sources in data.dangerous.items():
        assert sources and set(sources) <= known, name
    assert data.dangerous["posix"] == ("picklescan", "modelscan", "fickling")
    assert not (data.safe & set(data.dangerous))


@pytest.fixture(scope="module")
def findings() -> dict[str, list[Finding]]:
    result = scan(Config(roots=(MALICIOUS,), max_decompressed_bytes=10 * 1024 * 1024))
    by_path: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_path.setdefault(finding.location.path, []).append(finding)
    return by_path


def rendered(finding: Finding) -> str:
    return f"{get_rule(finding.rule_id).severity.name} {finding.rule_id} {finding.location}: {get_rule(finding.rule_id).render(finding)}"


def test_dangerous_finding_in_a_torch_zip(findings: dict[str, list[Finding]]) -> None:
    found = sorted(findings["torch_payload.pt"], key=lambda f: f.rule_id)
    assert [rendered(f) for f in found] == [
        "CRITICAL AIB201 torch_payload.pt (archive/data.pkl): unpickling imports posix.system "
        "(called) — this file runs code when loaded",
        "LOW AIB205 torch_payload.pt: pickle-based weights (PyTorch zip); prefer safetensors",
    ]
    assert found[0].arg_dict["listed_by"] == "picklescan, modelscan, fickling"
    assert found[0].arg_dict["entry"] == "posix"


def test_nested_archive_location(findings: dict[str, list[Finding]]) -> None:
    (critical,) = [f for f in findings["release.zip"] if f.rule_id == "AIB201"]
    assert critical.location == Location("release.zip", member="model.pt/archive/data.pkl")


def test_unknown_findings(findings: dict[str, list[Finding]]) -> None:
    (stdlib,) = [f for f in findings["unknown_stdlib.pkl"] if f.rule_id == "AIB213"]
    assert rendered(stdlib) == (
        "HIGH AIB213 unknown_stdlib.pkl: unpickling calls xml.dom.minidom.parseString, which "
        "real pickles of the standard library never call"
    )
    (third,) = [f for f in findings["third_party.pkl"] if f.rule_id == "AIB203"]
    assert rendered(third) == (
        "MEDIUM AIB203 third_party.pkl: unpickling imports 1 third-party global(s) not on the "
        "known-safe list: mylib.models.Head (called)"
    )


def test_unresolved_and_structural_findings(findings: dict[str, list[Finding]]) -> None:
    by_rule = {f.rule_id: f for f in findings["build_setattr_unresolved.pkl"]}
    assert get_rule("AIB204").render(by_rule["AIB204"]) == (
        "unpickling imports a global aibom cannot resolve statically "
        "(<imported value>.<call result>, STACK_GLOBAL at byte 79)"
    )
    assert get_rule("AIB210").render(by_rule["AIB210"]) == (
        "the pickle sets attributes on the imported numpy.prod (BUILD at byte 25)"
    )
    (ext,) = [f for f in findings["ext_registered.pkl"] if f.rule_id == "AIB211"]
    assert get_rule("AIB211").render(ext) == (
        "the pickle registers copyreg extension code 240 for os.system"
    )


def test_nested_pickle_finding(findings: dict[str, list[Finding]]) -> None:
    (nested,) = [f for f in findings["nested_loads.pkl"] if f.rule_id == "AIB206"]
    assert get_rule("AIB206").render(nested) == (
        "a pickle passed to pickle.loads at byte 21 is itself a pickle importing posix.system"
    )
    criticals = sorted(
        (str(f.location), f.arg_dict["global"])
        for f in findings["nested_loads.pkl"]
        if f.rule_id == "AIB201"
    )
    assert criticals == [
        ("nested_loads.pkl", "pickle.loads"),
        ("nested_loads.pkl ([pickle at byte 21])", "posix.system"),
    ]


def test_incomplete_analysis_is_reported(findings: dict[str, list[Finding]]) -> None:
    (incomplete,) = [f for f in findings["zip_truncated_cd.pt"] if f.rule_id == "AIB902"]
    assert get_rule("AIB902").render(incomplete) == (
        "could not be fully analysed (zip end of central directory not found (truncated zip?); "
        "members read from local headers); treated as unsafe"
    )


def test_zip_quirk_finding(findings: dict[str, list[Finding]]) -> None:
    (quirk,) = [f for f in findings["zip_bad_crc.pt"] if f.rule_id == "AIB209"]
    assert quirk.location == Location("zip_bad_crc.pt", member="archive/data.pkl")
    assert get_rule("AIB209").render(quirk) == (
        "archive tampering sign: zip member 'archive/data.pkl': CRC mismatch"
    )


def test_object_array_finding(findings: dict[str, list[Finding]]) -> None:
    (obj,) = [f for f in findings["objarr.npy"] if f.rule_id == "AIB208"]
    assert get_rule("AIB208").render(obj) == (
        "NumPy object array (|O): np.load needs allow_pickle=True, which runs its pickle"
    )


def test_function_pickles_from_cloudpickle_and_dill_are_dangerous() -> None:
    # pickled functions carry code: written here with the real libraries, never loaded
    cloudpickle = pytest.importorskip("cloudpickle")
    dill = pytest.importorskip("dill")
    from aibom.analyzers.pickle_vm import scan_pickle

    def verdicts(data: bytes) -> dict[str, str]:
        return {i.qualname: classify(i, Config())[0] for i in scan_pickle(data).imports}

    # cloudpickle 2.x writes its helpers from `cloudpickle.cloudpickle_fast`, 3.x from
    # `cloudpickle.cloudpickle`: judge the names, whichever module the installed version uses
    found = verdicts(cloudpickle.dumps(lambda x: x + 1))
    assert {q.rsplit(".", 1)[1]: v for q, v in found.items()} == {
        "_builtin_type": "dangerous",
        "_function_setstate": "dangerous",
        "_make_function": "dangerous",
    }
    assert {q.rsplit(".", 1)[0] for q in found} <= {
        "cloudpickle.cloudpickle",
        "cloudpickle.cloudpickle_fast",
    }
    # a function from a module-less namespace, as a notebook or script would define it
    function = eval("lambda x: x + 1", {"__name__": "__main__"})
    assert verdicts(dill.dumps(function)) == {
        "builtins.__dict__": "dangerous",  # every builtin, eval included
        "dill._dill._create_code": "dangerous",
        "dill._dill._create_function": "dangerous",
    }
    assert verdicts(dill.dumps({"a": [1, 2]})) == {}


def test_strict_fails_on_unknown_globals() -> None:
    from click.testing import CliRunner

    from aibom.cli import main

    target = str(MALICIOUS / "third_party.pkl")
    default = CliRunner().invoke(main, ["scan", target, "--offline", "--format", "json"])
    strict = CliRunner().invoke(main, ["scan", target, "--offline", "--strict", "--format", "json"])
    assert (default.exit_code, strict.exit_code) == (0, 1)
