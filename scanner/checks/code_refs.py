"""Judge what Python source does with models, datasets and unsafe loaders (AIB601-AIB629).

Reads `Inventory.code_refs` recorded by `aibom.sources.code`; never re-reads files. The only
cross-fact it uses is the torch version the project pins or locks (AIB604).
"""

from __future__ import annotations

from collections.abc import Iterator

from packaging.version import InvalidVersion, Version

from ..config import Config
from ..model import CodeReference, Finding, Inventory
from .check import Check
from .context import code_grading, graded

_WHAT = {
    "hub-model": "model",
    "hub-dataset": "dataset",
    "hub-space": "Space",
    "timm-model": "timm pretrained model",
}

_PICKLE_FAMILY = {
    "pickle-load": "AIB605",
    "dill-load": "AIB605",
    "cloudpickle-load": "AIB605",
    "shelve-open": "AIB605",
    "joblib-load": "AIB606",
    "pandas-read-pickle": "AIB607",
}

TORCH_SAFE_DEFAULT = Version("2.6")


def code_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    torch_text = _torch_context(inventory)
    for ref in inventory.code_refs:
        yield from _judge(ref, torch_text)


def _judge(ref: CodeReference, torch_text: str | None) -> Iterator[Finding]:
    args = dict(ref.args)
    loc = ref.location
    kind = ref.kind
    if kind in _WHAT:
        yield from _hub(ref, args)
    elif kind == "torch-hub":
        yield from _torch_hub(ref, args)
    elif kind == "trust-remote-code":
        if args.get("value") == "True" and args.get("revision") == "commit":
            yield Finding.make(
                "AIB612", loc, call=ref.call, target=ref.target, revision=ref.revision
            )
        elif args.get("value") == "True":
            target_text = f" for {ref.target}" if ref.target else ""
            yield Finding.make("AIB602", loc, call=ref.call, target_text=target_text)
        else:
            yield _unresolved(ref, "trust_remote_code", "whether remote code is executed")
    elif kind == "torch-load":
        weights_only = args.get("weights_only")
        target = ref.target or "..."
        if weights_only == "False":
            yield Finding.make("AIB603", loc, call=ref.call, target=target)
        elif weights_only == "missing" and torch_text is not None:
            yield Finding.make("AIB604", loc, call=ref.call, target=target, torch_text=torch_text)
        elif weights_only == "dynamic":
            yield _unresolved(ref, "weights_only", "whether the load can run code")
    elif kind in _PICKLE_FAMILY:
        yield Finding.make(_PICKLE_FAMILY[kind], loc, call=ref.call, target_text=_on(ref))
    elif kind == "numpy-load-pickle":
        if args.get("allow_pickle") == "True":
            yield Finding.make(
                "AIB608", loc, call=ref.call, target_text=_on(ref), allow_pickle=True
            )
        else:
            yield _unresolved(ref, "allow_pickle", "whether object arrays are unpickled")
    elif kind == "keras-unsafe-load":
        if args.get("safe_mode") == "False":
            yield Finding.make("AIB609", loc, call=ref.call, target_text=_on(ref), safe_mode=False)
        else:
            yield _unresolved(ref, "safe_mode", "whether Lambda layers can run code")


def _on(ref: CodeReference) -> str:
    return f" on {ref.target}" if ref.target else ""


def _hub(ref: CodeReference, args: dict[str, str]) -> Iterator[Finding]:
    what = _WHAT[ref.kind]
    if "default_for_task" in args:
        yield Finding.make("AIB611", ref.location, call=ref.call, task=args["default_for_task"])
        return
    if args.get("unresolved") == "target":
        consequence = f"which {what} is loaded, so it is missing from the AIBOM"
        yield _unresolved(ref, f"the {what} id", consequence, args.get("reason"))
        return
    revision = args.get("revision", "missing")
    if revision == "commit":
        return
    if revision == "dynamic":
        yield _unresolved(ref, "revision", f"whether {ref.target} is pinned to a commit")
        return
    if ref.kind == "timm-model":
        text = (
            "by registry name, which downloads the Hub's default branch "
            '(write "hf-hub:<repo>@<commit>" to pin it)'
        )
    elif revision == "missing":
        text = "without revision= (it follows the default branch)"
    else:
        text = f"at revision {ref.revision!r}, a branch, tag or short hash, not a full commit"
    yield Finding.make(
        "AIB601", ref.location, what=what, target=ref.target, call=ref.call, revision_text=text
    )


def _torch_hub(ref: CodeReference, args: dict[str, str]) -> Iterator[Finding]:
    if args.get("unresolved") == "target":
        yield _unresolved(ref, "the repository", "which code torch.hub runs", args.get("reason"))
        return
    revision = args.get("revision", "missing")
    if revision == "commit":
        return
    if revision == "missing":
        text = "names no ref (it follows the default branch)"
    else:
        text = f"is pinned to {ref.revision!r}, a branch or tag, not a full commit"
    yield Finding.make("AIB610", ref.location, call=ref.call, target=ref.target, revision_text=text)


def _unresolved(
    ref: CodeReference, what: str, consequence: str, reason: str | None = None
) -> Finding:
    return Finding.make(
        "AIB629",
        ref.location,
        call=ref.call,
        what=what,
        reason=reason or "computed at run time",
        consequence=consequence,
    )


def _torch_context(inventory: Inventory) -> str | None:
    """Why a bare torch.load is a risk here, or None when every pinned or locked torch is
    2.6 or later (safe by default)."""
    versions: set[str] = set()
    unpinned = False
    for dep in inventory.dependencies:
        if dep.key != "torch" or dep.ecosystem != "pypi":
            continue
        if dep.version is None:
            unpinned = True
        else:
            versions.add(dep.version)
    parsed: list[tuple[str, Version | None]] = []
    for text in sorted(versions):
        try:
            parsed.append((text, Version(text)))
        except InvalidVersion:
            parsed.append((text, None))
    old = [text for text, v in parsed if v is None or v < TORCH_SAFE_DEFAULT]
    if old:
        return f"torch {', '.join(old)} defaults to weights_only=False"
    if unpinned and not parsed:
        return "torch is not pinned, so an older torch that unpickles by default may be installed"
    if not parsed:
        return "the project does not pin torch, so the default depends on the installed version"
    return None


CHECKS: tuple[Check, ...] = (
    Check(
        frozenset(
            {
                "AIB601",
                "AIB602",
                "AIB603",
                "AIB604",
                "AIB605",
                "AIB606",
                "AIB607",
                "AIB608",
                "AIB609",
                "AIB610",
                "AIB611",
                "AIB612",
                "AIB629",
            }
        ),
        graded(code_findings, code_grading),
        "code references",
    ),
)
