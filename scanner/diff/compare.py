"""diff(old, new) -> Changes: what changed in the supply chain between two AIBOMs.

Components are matched by identity, never by bom-ref alone:
- model files (components with an `aibom:path`): their path within their model folder
  (the folder's identity + the relative path), else their path in the scanned tree;
- anything with a purl: the purl without version, qualifiers or subpath;
- otherwise: type, group and name.
Every change has a stable kind (see CHANGE_KINDS), usable in `aibom diff --fail-on`.
"""

from __future__ import annotations

import posixpath
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from ..bom import properties as props_names
from ..bom.read import BomComponent, BomFinding, LoadedBom
from ..model import is_pickle_based

if TYPE_CHECKING:
    from ..config import Config

# kind -> what it means. The order is the order of reports: tampering signs first.
CHANGE_KINDS: dict[str, str] = {
    "hash-changed": "same name and version (or commit), different content hash: the signature "
    "of tampering",
    "signature-removed": "a model that was signed is no longer signed",
    "signature-broken": "a model's signature was verified and is now invalid or by an untrusted signer",
    "signer-changed": "a model is signed by someone else (identity, issuer or key)",
    "newly-unsigned": "a new model without a signature, where the old AIBOM's models were signed",
    "dataset-content-changed": "a data set's content changed under the same name (new hash): "
    "the poisoning signal",
    "unsafe-format": "a model moved to a pickle-based format (e.g. safetensors -> pickle), also "
    "across a rename or inside a model folder that lost its last non-pickle weights",
    "new-dangerous-import": "a pickle now imports a dangerous global (code runs on load)",
    "new-unknown-import": "a pickle now imports a global that is not on the known-safe list",
    "new-pickle-file": "a new pickle-based model file",
    "now-from-url": "a dependency now comes from a direct URL, VCS or local path",
    "hashes-dropped": "recorded distribution hashes were removed",
    "pin-lost": "an exact pin became a range (or no version)",
    "downgraded": "the version went down (PEP 440 order)",
    "source-changed": "where a dependency comes from changed (index, URL, purl qualifiers)",
    "new-finding": "a scan finding that the old AIBOM did not have",
    "new-vulnerability": "a known vulnerability that the old AIBOM did not list",
    "pipeline-changed": "a pipeline script, params or metrics file changed (training or evaluation)",
    "metric-regressed": "a metric recorded in a model card or metrics file got worse",
    "dataset-license-changed": "a data set's licence changed",
    "dataset-added": "a data set that is new",
    "dataset-removed": "a data set that is gone",
    "added": "a component that is new",
    "removed": "a component that is gone",
    "upgraded": "the version went up (PEP 440 order)",
    "version-changed": "the version changed but cannot be ordered (VCS refs, local versions)",
    "pin-gained": "a range became an exact pin",
    "newly-signed": "a model that was not signed now carries a signature",
    "weights-changed": "a model's weights changed along with its version",
    "content-changed": "a file with no version of its own (an in-repo model, a side file such "
    "as a model card) has new content: an edit to review, not a sign of tampering",
    "format-changed": "a model file's format changed",
    "base-model-changed": "a model's base model changed",
    "dataset-changed": "a model's training datasets changed",
    "parameters-changed": "a model's parameter count changed",
    "dtype-changed": "a model's tensor dtypes changed",
    "license-changed": "a component's licence changed",
    "supplier-changed": "a component's supplier or publisher changed",
    "new-transitive": "a new indirect dependency (with the path that pulls it in)",
    "edge-added": "a new dependency edge",
    "edge-removed": "a dependency edge that is gone",
    "resolved-finding": "a scan finding that is gone",
    "resolved-vulnerability": "a known vulnerability that is gone",
}
# the gate when `--fail-on` is not given (`--fail-on none` turns it off)
DEFAULT_FAIL_ON = (
    "hash-changed",
    "unsafe-format",
    "new-dangerous-import",
    "new-critical",
    "new-pickle-file",
)
SEVERITIES = ("info", "low", "medium", "high", "critical")
# `--fail-on new-high` matches new findings and vulnerabilities of severity high or above.
AGGREGATE_KINDS = {f"new-{s}": s for s in SEVERITIES}

MODEL_TYPES = frozenset({"machine-learning-model", "data", "file"})
URL_QUALIFIERS = ("vcs_url", "download_url", "file_name")
# formats that hold weights without running code when loaded (their loss is `unsafe-format`)
SAFE_WEIGHT_FORMATS = frozenset({"safetensors", "gguf", "onnx", "hdf5", "keras"})
WEIGHT_TYPES = frozenset({"machine-learning-model", "data"})


@dataclass(frozen=True)
class Change:
    kind: str
    subject: str  # what changed, as users know it: "requests", "models/ckpt.pt", ...
    detail: str
    old: str | None = None
    new: str | None = None
    severity: str | None = None  # for findings and vulnerabilities
    old_digest: str | None = None  # full content digests (`sha-256:<hex>`) when content changed
    new_digest: str | None = None

    def sort_key(self) -> tuple[int, str, str, str]:
        return (KIND_RANK[self.kind], self.subject, self.detail, self.new or "")


KIND_RANK = {kind: rank for rank, kind in enumerate(CHANGE_KINDS)}


@dataclass
class Changes:
    old: LoadedBom
    new: LoadedBom
    changes: list[Change] = field(default_factory=list)

    def matching(self, kinds: Iterable[str]) -> list[Change]:
        wanted = set(kinds)
        out = []
        for change in self.changes:
            if change.kind in wanted:
                out.append(change)
                continue
            if change.kind in {"new-finding", "new-vulnerability"}:
                rank = _severity_rank(change.severity)
                for kind in wanted & AGGREGATE_KINDS.keys():
                    if rank >= SEVERITIES.index(AGGREGATE_KINDS[kind]):
                        out.append(change)
                        break
        return out


def valid_fail_on_kinds() -> list[str]:
    return [*CHANGE_KINDS, *AGGREGATE_KINDS]


GlobalJudge = Callable[[str], str]  # "module.name" -> "safe" | "dangerous" | "unknown"


def diff(old: LoadedBom, new: LoadedBom, judge: GlobalJudge | None = None) -> Changes:
    judge = judge or default_judge()
    result = Changes(old, new)
    out = result.changes
    old_ids = _identities(old)
    new_ids = _identities(new)
    old_groups = _group(old, old_ids)
    new_groups = _group(new, new_ids)
    for ident in sorted(old_groups.keys() | new_groups.keys()):
        pairs, removed, added = _pair(old_groups.get(ident, []), new_groups.get(ident, []))
        for comp in removed:
            kind = "dataset-removed" if _is_dataset(comp) else "removed"
            out.append(Change(kind, _subject(comp), "removed", old=comp.version))
        for comp in added:
            kind = "dataset-added" if _is_dataset(comp) else "added"
            out.append(Change(kind, _subject(comp), "added", new=comp.version))
            out.extend(_added_model_changes(comp, judge))
            out.extend(_newly_unsigned(comp, old))
        for before, after in pairs:
            out.extend(_component_changes(before, after, judge))
    out.extend(_lost_safe_weights(old, new, out))
    out.extend(_graph_changes(old, new, old_ids, new_ids, new_groups))
    out.extend(_finding_changes(old, new, old_ids, new_ids))
    result.changes = sorted(set(out), key=Change.sort_key)
    return result


# ---------------------------------------------------------------- identity


def _identities(bom: LoadedBom) -> dict[str, str]:
    by_ref = {c.bom_ref: c for c in bom.components}
    cache: dict[str, str] = {}

    def ident(comp: BomComponent, depth: int = 0) -> str:
        if comp.bom_ref in cache:
            return cache[comp.bom_ref]
        value = _plain_identity(comp)
        path = comp.prop("aibom:path")
        if comp.prop("aibom:format") == "huggingface-dataset":
            # a hub-cache snapshot's path names its commit: the repository is the identity
            path = None
            value = f"hf-dataset:{comp.name}"
        if path and comp.type in MODEL_TYPES and depth < 16:
            parent = by_ref.get(comp.parent_ref or "")
            parent_path = parent.prop("aibom:path") if parent is not None else None
            if parent is not None and parent_path and parent is not comp:
                rel = posixpath.relpath(path, parent_path)
                value = f"{ident(parent, depth + 1)}/{rel}"
            elif not comp.purl:
                value = f"file:{path}"
        cache[comp.bom_ref] = value
        return value

    return {c.bom_ref: ident(c) for c in bom.components}


def _plain_identity(comp: BomComponent) -> str:
    if comp.purl:
        return purl_identity(comp.purl)
    group = f"{comp.group}/" if comp.group else ""
    return f"{comp.type}:{group}{comp.name.lower()}"


def purl_identity(purl: str) -> str:
    """The purl without version, qualifiers or subpath."""
    base = purl.split("#", 1)[0].split("?", 1)[0]
    head, _, last = base.rpartition("/")
    if "@" in last:
        last = last[: last.rindex("@")]
    return f"{head}/{last}" if head else last


def _purl_qualifiers(purl: str | None) -> dict[str, str]:
    if not purl or "?" not in purl:
        return {}
    query = purl.split("#", 1)[0].split("?", 1)[1]
    out = {}
    for part in query.split("&"):
        key, _, value = part.partition("=")
        out[key] = value
    return out


def _group(bom: LoadedBom, ids: dict[str, str]) -> dict[str, list[BomComponent]]:
    groups: dict[str, list[BomComponent]] = {}
    for comp in bom.components:
        if comp.bom_ref == bom.root_ref:
            continue  # the project itself: its name/version changes are not supply chain
        groups.setdefault(ids[comp.bom_ref], []).append(comp)
    return groups


def _pair(
    olds: list[BomComponent], news: list[BomComponent]
) -> tuple[list[tuple[BomComponent, BomComponent]], list[BomComponent], list[BomComponent]]:
    pairs = []
    rest_new = list(news)
    rest_old = []
    for comp in olds:
        same = next((n for n in rest_new if n.version == comp.version), None)
        if same is not None:
            rest_new.remove(same)
            pairs.append((comp, same))
        else:
            rest_old.append(comp)
    rest_old.sort(key=lambda c: _version_key(c.version))
    rest_new.sort(key=lambda c: _version_key(c.version))
    while rest_old and rest_new:
        pairs.append((rest_old.pop(0), rest_new.pop(0)))
    return pairs, rest_old, rest_new


def _version_key(version: str | None) -> tuple[int, Any, str]:
    if version is None:
        return (0, Version("0"), "")
    try:
        return (1, Version(version), version)
    except InvalidVersion:
        return (2, Version("0"), version)


def _subject(comp: BomComponent) -> str:
    path = comp.prop("aibom:path")
    if path and comp.type in MODEL_TYPES:
        return path
    return f"{comp.group}/{comp.name}" if comp.group else comp.name


# ---------------------------------------------------------------- per component


def _component_changes(old: BomComponent, new: BomComponent, judge: GlobalJudge) -> list[Change]:
    subject = _subject(new)
    out: list[Change] = []
    is_model = new.type in MODEL_TYPES
    if old.version != new.version:
        out.extend(_version_change(subject, old, new))
    content_changed = _content_changed(old, new)
    if content_changed and _is_dataset(new):
        out.append(
            Change("dataset-content-changed", subject, content_changed, old.version, new.version)
        )
        content_changed = ""
    elif content_changed and _is_pipeline_file(new):
        detail = f"{new.prop('aibom:pipeline:role') or 'file'} {content_changed}"
        params = _param_changes(old, new)
        out.append(Change("pipeline-changed", subject, detail + params, old.version, new.version))
        content_changed = ""
    digests = _digests(old, new)
    if content_changed and (new.type == "file" or (old.version is None and new.version is None)):
        # no identity was kept (a side file, an unversioned in-repo file): an edit, not tampering
        what = "side file" if new.type == "file" else "unversioned file"
        out.append(
            Change(
                "content-changed", subject, f"{what}: {content_changed}", None, None, None, *digests
            )
        )
    elif old.version == new.version and content_changed:
        out.append(
            Change(
                "hash-changed",
                subject,
                f"{'content' if is_model else 'hash'} changed at the same version: "
                f"{content_changed}",
                old.version,
                new.version,
                None,
                *digests,
            )
        )
    elif is_model and content_changed:
        out.append(
            Change(
                "weights-changed",
                subject,
                content_changed,
                old.version,
                new.version,
                None,
                *digests,
            )
        )
    dropped = sorted(old.dist_hashes - new.dist_hashes)
    if dropped and not (new.dist_hashes - old.dist_hashes):
        remaining = len(new.dist_hashes)
        out.append(
            Change(
                "hashes-dropped",
                subject,
                f"{len(dropped)} distribution hash(es) removed, {remaining} left",
                old=str(len(old.dist_hashes)),
                new=str(remaining),
            )
        )
    out.extend(_source_changes(subject, old, new))
    if old.licenses != new.licenses:
        out.append(
            Change(
                "dataset-license-changed" if _is_dataset(new) else "license-changed",
                subject,
                f"licence {_show(old.licenses)} -> {_show(new.licenses)}",
                old=_show(old.licenses),
                new=_show(new.licenses),
            )
        )
    if (old.supplier or "") != (new.supplier or ""):
        out.append(
            Change(
                "supplier-changed",
                subject,
                f"supplier {old.supplier or '(none)'} -> {new.supplier or '(none)'}",
                old=old.supplier,
                new=new.supplier,
            )
        )
    if is_model or old.prop("aibom:format") or new.prop("aibom:format"):
        out.extend(_model_changes(subject, old, new, judge))
        out.extend(_signature_changes(subject, old, new))
    out.extend(_metric_changes(subject, old, new))
    return out


def _is_dataset(comp: BomComponent) -> bool:
    return comp.type == "data"


def _is_pipeline_file(comp: BomComponent) -> bool:
    return comp.prop("aibom:pipeline:role") is not None


def _param_changes(old: BomComponent, new: BomComponent) -> str:
    before, after = set(old.props("aibom:param")), set(new.props("aibom:param"))
    if before == after:
        return ""
    changed = sorted(after - before)
    return f" (params now {', '.join(changed)})" if changed else " (params removed)"


# metrics where a smaller value is better; every other metric is better when larger
LOWER_IS_BETTER = ("loss", "perplexity", "wer", "cer", "error", "mae", "mse", "rmse", "ter")


def _metrics(comp: BomComponent) -> dict[str, float]:
    out: dict[str, float] = {}
    for text in comp.props("aibom:metric"):
        name, _, value = text.rpartition("=")
        try:
            out[name] = float(value)
        except ValueError:
            continue
    return out


def _metric_changes(subject: str, old: BomComponent, new: BomComponent) -> list[Change]:
    before, after = _metrics(old), _metrics(new)
    out = []
    for name in sorted(before.keys() & after.keys()):
        a, b = before[name], after[name]
        lower = any(word in name.lower() for word in LOWER_IS_BETTER)
        if (b > a and lower) or (b < a and not lower):
            out.append(
                Change("metric-regressed", subject, f"{name} {a:g} -> {b:g}", f"{a:g}", f"{b:g}")
            )
    return out


SIGNATURE_STATUS = props_names.SIGNATURE_STATUS
BAD_SIGNATURE = frozenset({"invalid", "untrusted-signer"})


def _signed(comp: BomComponent) -> bool:
    """A model carrying a signature verdict (the bundle's own component does not count)."""
    return bool(comp.prop(SIGNATURE_STATUS)) and comp.prop("aibom:format") != "model-signature"


def _signer(comp: BomComponent) -> str:
    parts = [
        comp.prop(props_names.SIGNATURE_SIGNER) or "",
        comp.prop(props_names.SIGNATURE_ISSUER) or "",
        comp.prop(props_names.SIGNATURE_KEY_FINGERPRINT) or "",
    ]
    return " / ".join(p for p in parts if p)


def _signature_changes(subject: str, old: BomComponent, new: BomComponent) -> list[Change]:
    if new.prop("aibom:format") == "model-signature":
        return []  # the bundle's own component: its model carries the verdict
    was, now = _signed(old), _signed(new)
    if was and not now:
        return [Change("signature-removed", subject, f"was signed by {_signer(old)}", _signer(old))]
    if now and not was:
        return [Change("newly-signed", subject, f"signed by {_signer(new)}", None, _signer(new))]
    if not was:
        return []
    out = []
    before, after = _signer(old), _signer(new)
    if before != after:
        out.append(Change("signer-changed", subject, f"signer {before} -> {after}", before, after))
    old_status, new_status = old.prop(SIGNATURE_STATUS), new.prop(SIGNATURE_STATUS)
    if old_status == "verified" and new_status in BAD_SIGNATURE:
        out.append(
            Change(
                "signature-broken", subject, f"{old_status} -> {new_status}", old_status, new_status
            )
        )
    return out


def _newly_unsigned(comp: BomComponent, old: LoadedBom) -> list[Change]:
    """A new top-level model with no signature, when the old release signed its models."""
    if comp.type != "machine-learning-model" or comp.parent_ref is not None or _signed(comp):
        return []
    if not any(_signed(c) for c in old.components):
        return []
    return [Change("newly-unsigned", _subject(comp), "new model without a signature")]


def _version_change(subject: str, old: BomComponent, new: BomComponent) -> list[Change]:
    if old.version and not new.version:
        spec = new.prop("aibom:specifier") or "any version"
        return [Change("pin-lost", subject, f"{old.version} -> {spec}", old.version, spec)]
    if new.version and not old.version:
        spec = old.prop("aibom:specifier") or "any version"
        return [Change("pin-gained", subject, f"{spec} -> {new.version}", spec, new.version)]
    assert old.version is not None and new.version is not None
    kind = "version-changed"
    try:
        before, after = Version(old.version), Version(new.version)
        if not before.local and not after.local:
            kind = "upgraded" if after > before else "downgraded" if after < before else kind
    except InvalidVersion:
        pass
    return [Change(kind, subject, f"{old.version} -> {new.version}", old.version, new.version)]


def _content_changed(old: BomComponent, new: BomComponent) -> str:
    # SHA-256 first: the digest users compare; MD5 is there for DVC
    for alg in sorted(old.hashes.keys() & new.hashes.keys(), key=lambda a: (a != "sha-256", a)):
        if old.hashes[alg] != new.hashes[alg]:
            return f"{alg} {_short(old.hashes[alg])} -> {_short(new.hashes[alg])}"
    gone = old.dist_hashes - new.dist_hashes
    came = new.dist_hashes - old.dist_hashes
    if gone and came:
        g = sorted(gone)[0]
        c = sorted(came)[0]
        return f"distribution {g[0]} {_short(g[1])} -> {_short(c[1])}"
    return ""


def _digests(old: BomComponent, new: BomComponent) -> tuple[str | None, str | None]:
    """The full digests behind `_content_changed` (`alg:hex`), for machine output."""
    for alg in sorted(old.hashes.keys() & new.hashes.keys(), key=lambda a: (a != "sha-256", a)):
        if old.hashes[alg] != new.hashes[alg]:
            return f"{alg}:{old.hashes[alg]}", f"{alg}:{new.hashes[alg]}"
    gone = sorted(old.dist_hashes - new.dist_hashes)
    came = sorted(new.dist_hashes - old.dist_hashes)
    if gone and came:
        return f"{gone[0][0]}:{gone[0][1]}", f"{came[0][0]}:{came[0][1]}"
    return None, None


def _lost_safe_weights(old: LoadedBom, new: LoadedBom, found: list[Change]) -> list[Change]:
    """`unsafe-format` when a model loses its last non-pickle weights to a pickle: a file
    renamed with the same stem (`head.safetensors` -> `head.pkl`), or a folder (a Hugging Face
    model folder: `model.safetensors` -> `pytorch_model.bin`) that held safe weights and now
    holds only pickle-based ones. A file whose own format changed is reported by
    `_model_changes` already."""
    already = {c.subject for c in found if c.kind == "unsafe-format"}

    def weights(bom: LoadedBom) -> tuple[dict[str, str], dict[str, str]]:
        safe: dict[str, str] = {}
        pickled: dict[str, str] = {}
        for comp in bom.components:
            path = comp.prop("aibom:path")
            if not path or comp.type not in WEIGHT_TYPES:
                continue
            fmt = comp.prop("aibom:format") or ""
            if _pickle_based(comp):
                pickled[path] = fmt or "pickle"
            elif fmt in SAFE_WEIGHT_FORMATS:
                safe[path] = fmt
        return safe, pickled

    old_safe, old_pickled = weights(old)
    new_safe, new_pickled = weights(new)
    out: list[Change] = []
    reported: set[str] = set(already)
    for key_of, label in ((_stem, "renamed"), (posixpath.dirname, "in the same folder")):
        old_keys = {key_of(p) for p in old_safe}
        new_keys = {key_of(p) for p in new_safe}
        done_keys = {key_of(p) for p in reported}
        for path, fmt in sorted(new_pickled.items()):
            key = key_of(path)
            if path in old_pickled or path in reported or key in done_keys:
                continue  # a pickle that was there already, or a loss reported already
            if key not in old_keys or key in new_keys:
                continue
            before = sorted(p for p in old_safe if key_of(p) == key)
            was = ", ".join(f"{p} ({old_safe[p]})" for p in before)
            where = f"folder {key or '.'}" if label != "renamed" else "the model"
            detail = f"{was} -> {path} ({fmt}): {where} lost its last non-pickle weights"
            out.append(Change("unsafe-format", path, detail, old_safe[before[0]], fmt))
            reported.add(path)
            done_keys.add(key)
    return out


def _stem(path: str) -> str:
    root, ext = posixpath.splitext(path)
    return root if ext else path


def _source_changes(subject: str, old: BomComponent, new: BomComponent) -> list[Change]:
    out = []
    oq, nq = _purl_qualifiers(old.purl), _purl_qualifiers(new.purl)
    old_url = any(k in oq for k in URL_QUALIFIERS) or _has_url_ref(old)
    new_url = any(k in nq for k in URL_QUALIFIERS) or _has_url_ref(new)
    if new_url and not old_url:
        where = nq.get("vcs_url") or nq.get("download_url") or _first_url(new) or "a URL"
        out.append(Change("now-from-url", subject, f"now installed from {where}", None, where))
    old_src = _source_of(old, oq)
    new_src = _source_of(new, nq)
    if old_src != new_src and not (new_url and not old_url):
        out.append(
            Change(
                "source-changed",
                subject,
                f"source {old_src or '(default index)'} -> {new_src or '(default index)'}",
                old_src or None,
                new_src or None,
            )
        )
    return out


def _has_url_ref(comp: BomComponent) -> bool:
    return any(kind == "vcs" for kind, _ in comp.external_refs)


def _first_url(comp: BomComponent) -> str | None:
    for kind, url in comp.external_refs:
        if kind in {"vcs", "distribution"} and url:
            return url
    return None


def _source_of(comp: BomComponent, qualifiers: dict[str, str]) -> str:
    parts = [f"{k}={v}" for k, v in sorted(qualifiers.items())]
    index = comp.prop("aibom:index")
    if index:
        parts.append(f"index={index}")
    parts += [f"vcs={url}" for kind, url in sorted(comp.external_refs) if kind == "vcs"]
    return ", ".join(parts)


def _model_changes(
    subject: str, old: BomComponent, new: BomComponent, judge: GlobalJudge
) -> list[Change]:
    out = []
    of, nf = old.prop("aibom:format"), new.prop("aibom:format")
    if of != nf:
        out.append(Change("format-changed", subject, f"format {of} -> {nf}", of, nf))
        if _pickle_based(new) and not _pickle_based(old):
            out.append(Change("unsafe-format", subject, f"{of} -> {nf} (pickle-based)", of, nf))
    out.extend(_import_changes(subject, set(old.props("aibom:pickle:global")), new, judge))
    for kind, getter, label in (
        ("base-model-changed", _base_models, "base model"),
        ("dataset-changed", _datasets, "datasets"),
        ("parameters-changed", _parameters, "parameters"),
        ("dtype-changed", _dtypes, "dtypes"),
    ):
        before, after = getter(old), getter(new)
        if before != after:
            out.append(
                Change(
                    kind,
                    subject,
                    f"{label} {before or '(none)'} -> {after or '(none)'}",
                    before or None,
                    after or None,
                )
            )
    return out


def _added_model_changes(comp: BomComponent, judge: GlobalJudge) -> list[Change]:
    out = []
    subject = _subject(comp)
    if _pickle_based(comp):
        fmt = comp.prop("aibom:format") or "pickle"
        out.append(Change("new-pickle-file", subject, f"new {fmt} file", None, fmt))
    out.extend(_import_changes(subject, set(), comp, judge))
    return out


def _import_changes(
    subject: str, before: set[str], new: BomComponent, judge: GlobalJudge
) -> list[Change]:
    out = []
    for name in sorted(set(new.props("aibom:pickle:global")) - before):
        verdict = judge(name)
        if verdict == "dangerous":
            out.append(Change("new-dangerous-import", subject, f"imports {name}", None, name))
        elif verdict == "unknown":
            out.append(Change("new-unknown-import", subject, f"imports {name}", None, name))
    return out


def _pickle_based(comp: BomComponent) -> bool:
    fmt = comp.prop("aibom:format") or ""
    return is_pickle_based(fmt) or bool(comp.props("aibom:pickle:global"))


def _base_models(comp: BomComponent) -> str:
    return ", ".join(sorted(comp.props("aibom:base-model")))


def _datasets(comp: BomComponent) -> str:
    names: set[str] = set()
    card = comp.model_card or {}
    for entry in (card.get("modelParameters") or {}).get("datasets") or []:
        if isinstance(entry, dict):
            names.add(str(entry.get("ref") or entry.get("name") or ""))
    return ", ".join(sorted(n for n in names if n))


def _parameters(comp: BomComponent) -> str:
    return comp.prop("aibom:parameter-count") or comp.prop("cdx:ai-ml:model:parameter:count") or ""


def _dtypes(comp: BomComponent) -> str:
    return comp.prop("aibom:dtypes") or ""


# ---------------------------------------------------------------- graph and findings


def _graph_changes(
    old: LoadedBom,
    new: LoadedBom,
    old_ids: dict[str, str],
    new_ids: dict[str, str],
    new_groups: dict[str, list[BomComponent]],
) -> list[Change]:
    def edges(bom: LoadedBom, ids: dict[str, str]) -> set[tuple[str, str]]:
        root = bom.root_ref
        out = set()
        for parent, children in bom.edges.items():
            for child in children:
                a = "(project)" if parent == root else ids.get(parent, parent)
                b = ids.get(child, child)
                out.add((a, b))
        return out

    before, after = edges(old, old_ids), edges(new, new_ids)
    names = {ident: _subject(comps[0]) for ident, comps in new_groups.items()}
    old_names = {old_ids[c.bom_ref]: _subject(c) for c in old.components}
    out = []
    for a, b in sorted(after - before):
        out.append(Change("edge-added", names.get(a, a), f"now depends on {names.get(b, b)}"))
    for a, b in sorted(before - after):
        out.append(
            Change(
                "edge-removed", old_names.get(a, a), f"no longer depends on {old_names.get(b, b)}"
            )
        )
    # new transitive dependencies: reachable in new, absent in old, not a direct dependency
    old_present = set(old_ids.values())
    children: dict[str, set[str]] = {}
    for a, b in after:
        children.setdefault(a, set()).add(b)
    direct = children.get("(project)", set())
    paths = _paths_from("(project)", children)
    for ident, path in sorted(paths.items()):
        if ident in old_present or ident in direct or ident == "(project)":
            continue
        shown = " -> ".join(names.get(p, p) for p in path)
        out.append(Change("new-transitive", names.get(ident, ident), f"pulled in by {shown}"))
    return out


def _paths_from(start: str, children: dict[str, set[str]]) -> dict[str, list[str]]:
    """Shortest path from start to every reachable node (BFS, sorted for determinism)."""
    paths = {start: [start]}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(children.get(node, ())):
            if child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    return paths


def _finding_changes(
    old: LoadedBom, new: LoadedBom, old_ids: dict[str, str], new_ids: dict[str, str]
) -> list[Change]:
    out = []

    def keyed(bom: LoadedBom, ids: dict[str, str]) -> dict[tuple[str, ...], BomFinding]:
        table = {}
        for f in bom.findings:
            affected = tuple(sorted(ids.get(r, r) for r in f.affects))
            key = (
                ("aibom", f.fingerprint or f.id, *affected)
                if f.is_aibom_finding
                else ("vuln", f.id, *affected)
            )
            table[key] = f
        return table

    before, after = keyed(old, old_ids), keyed(new, new_ids)
    for key in sorted(after.keys() - before.keys()):
        f = after[key]
        kind = "new-finding" if f.is_aibom_finding else "new-vulnerability"
        out.append(
            Change(
                kind,
                f.location or _affects_label(f, new),
                f"{f.id}: {f.description}",
                None,
                f.id,
                f.severity,
            )
        )
    for key in sorted(before.keys() - after.keys()):
        f = before[key]
        kind = "resolved-finding" if f.is_aibom_finding else "resolved-vulnerability"
        out.append(
            Change(
                kind,
                f.location or _affects_label(f, old),
                f"{f.id}: {f.description}",
                f.id,
                None,
                f.severity,
            )
        )
    return out


def _affects_label(finding: BomFinding, bom: LoadedBom) -> str:
    by_ref = {c.bom_ref: c for c in bom.components}
    names = [_subject(by_ref[r]) if r in by_ref else r for r in finding.affects]
    return ", ".join(names) or "(project)"


def _severity_rank(severity: str | None) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES) - 2


def _show(licenses: tuple[str, ...]) -> str:
    return " AND ".join(licenses) if licenses else "(none)"


def _short(digest: str) -> str:
    return digest[:12] + "…" if len(digest) > 12 else digest


def default_judge(config: Config | None = None) -> GlobalJudge:
    """Classify a pickle global with the same rule data and the same user settings
    (`safe-globals`) the scan uses."""
    from ..checks.pickle_policy import classify
    from ..config import Config
    from ..model import PickleImport

    config = config or Config()

    def judge(qualname: str) -> str:
        module, _, name = qualname.rpartition(".")
        verdict, _entry = classify(PickleImport(module or qualname, name), config)
        return {"safe": "safe", "dangerous": "dangerous"}.get(verdict, "unknown")

    return judge
