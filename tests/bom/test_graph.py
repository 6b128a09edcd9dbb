"""Inventory -> BomGraph: merging, identities, occurrences, edges, artifacts, hub references."""

from __future__ import annotations

import random
from pathlib import Path

from aibom.bom.graph import build_graph
from aibom.config import Config
from aibom.model import (
    Artifact,
    CodeReference,
    ComponentKind,
    Dependency,
    Hash,
    Inventory,
    Location,
    PickleImport,
    ProjectInfo,
    SourceKind,
)
from aibom.scan import scan

H1 = "1" * 64
H2 = "2" * 64
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def dep(name: str, path: str, line: int, **kw: object) -> Dependency:
    source = kw.pop("source", SourceKind.REQUIREMENTS)
    return Dependency(name, Location(path, line), source, **kw)  # type: ignore[arg-type]


def inventory(*deps: Dependency, **kw: object) -> Inventory:
    inv = Inventory(roots=("proj",), dependencies=list(deps))
    for key, value in kw.items():
        setattr(inv, key, value)
    return inv


def by_ref(graph):  # type: ignore[no-untyped-def]
    return {c.bom_ref: c for c in graph.components}


def test_same_package_in_several_files_is_one_component_with_every_occurrence() -> None:
    graph = build_graph(
        inventory(
            dep(
                "Requests",
                "requirements.txt",
                3,
                specifier="==2.31.0",
                version="2.31.0",
                hashes=(Hash("sha256", H1),),
            ),
            dep(
                "requests",
                "uv.lock",
                40,
                source=SourceKind.UV_LOCK,
                version="2.31.0",
                hashes=(Hash("sha256", H2), Hash("sha256", H1)),
                direct=False,
            ),
            dep("requests", "sub/requirements.txt", 7, specifier="==2.31.0", version="2.31.0"),
        )
    )
    assert [c.bom_ref for c in graph.components] == ["pkg:pypi/requests@2.31.0"]
    comp = graph.components[0]
    assert comp.name == "requests"  # the lock's spelling: it is the resolved package
    assert comp.version == "2.31.0"
    assert comp.purl == "pkg:pypi/requests@2.31.0"
    assert comp.occurrences == [
        Location("requirements.txt", 3),
        Location("sub/requirements.txt", 7),
        Location("uv.lock", 40),
    ]
    assert comp.dist_hashes == [Hash("sha256", H1), Hash("sha256", H2)]
    assert comp.specifiers == []
    assert comp.multi_properties == [("aibom:source", "requirements"), ("aibom:source", "uv.lock")]


def test_range_joins_the_only_locked_version_and_keeps_its_specifier() -> None:
    graph = build_graph(
        inventory(
            dep("numpy", "pyproject.toml", 8, source=SourceKind.PYPROJECT, specifier=">=1.26,<3"),
            dep(
                "numpy",
                "poetry.lock",
                12,
                source=SourceKind.POETRY_LOCK,
                version="2.1.3",
                direct=False,
            ),
        )
    )
    assert [c.bom_ref for c in graph.components] == ["pkg:pypi/numpy@2.1.3"]
    comp = graph.components[0]
    assert comp.specifiers == [">=1.26,<3"]
    assert comp.occurrences == [Location("poetry.lock", 12), Location("pyproject.toml", 8)]


def test_range_with_two_known_versions_stays_versionless() -> None:
    graph = build_graph(
        inventory(
            dep("six", "requirements.txt", 1, specifier=">=1.16"),
            dep("six", "a/uv.lock", 5, source=SourceKind.UV_LOCK, version="1.16.0"),
            dep("six", "b/uv.lock", 5, source=SourceKind.UV_LOCK, version="1.17.0"),
        )
    )
    # no lock up the tree from requirements.txt: the range stays unresolved (a lock in
    # another folder never resolves it); each lock's folder is a project of its own
    assert [c.bom_ref for c in graph.components] == [
        "pkg:pypi/six",
        "pkg:pypi/six@1.16.0",
        "pkg:pypi/six@1.17.0",
        "project:a",
        "project:b",
    ]
    versionless = graph.components[0]
    assert versionless.version is None
    assert versionless.specifiers == [">=1.16"]


def test_scope_is_required_if_any_occurrence_is_required() -> None:
    graph = build_graph(
        inventory(
            dep(
                "pytest",
                "pyproject.toml",
                20,
                source=SourceKind.PYPROJECT,
                specifier="==8.2.0",
                version="8.2.0",
                scope="optional",
                group="dev",
            ),
            dep(
                "black",
                "pyproject.toml",
                21,
                source=SourceKind.PYPROJECT,
                specifier="==24.1.0",
                version="24.1.0",
                scope="optional",
                group="dev",
            ),
            dep("pytest", "requirements.txt", 2, specifier="==8.2.0", version="8.2.0"),
        )
    )
    comps = by_ref(graph)
    assert comps["pkg:pypi/pytest@8.2.0"].scope == "required"
    assert comps["pkg:pypi/black@24.1.0"].scope == "optional"
    assert ("aibom:group", "dev") in comps["pkg:pypi/black@24.1.0"].multi_properties


def test_direct_references_keep_the_redacted_url_in_purl_and_reference() -> None:
    graph = build_graph(
        inventory(
            dep(
                "private-lib",
                "requirements.txt",
                4,
                url="git+https://deploy:s3cr3t@git.example.com/org/lib.git@v1.2",
                url_kind="vcs",
                vcs_ref="v1.2",
            ),
            dep(
                "wheelie",
                "requirements.txt",
                5,
                url="https://files.example.com/wheelie-1.0-py3-none-any.whl",
                url_kind="url",
            ),
            dep("local", "requirements.txt", 6, url="./libs/local", url_kind="path"),
        )
    )
    comps = by_ref(graph)
    vcs = comps[
        "pkg:pypi/private-lib?vcs_url=git%2Bhttps://%2A%2A%2A%40git.example.com/org/lib.git%40v1.2"
    ]
    assert vcs.urls == ["git+https://***@git.example.com/org/lib.git@v1.2"]
    assert vcs.properties["aibom:url-kind"] == "vcs"
    wheel = comps[
        "pkg:pypi/wheelie?download_url=https://files.example.com/wheelie-1.0-py3-none-any.whl"
    ]
    assert wheel.urls == ["https://files.example.com/wheelie-1.0-py3-none-any.whl"]
    local = comps["path:libs/local"]
    assert local.purl is None  # a local folder is not the registry package of that name
    assert local.urls == []
    assert local.properties["aibom:local-path"] == "libs/local"
    assert all("s3cr3t" not in repr(c) for c in graph.components)


def test_conda_purl_with_channel() -> None:
    graph = build_graph(
        inventory(
            dep(
                "numpy",
                "environment.yml",
                5,
                source=SourceKind.CONDA,
                ecosystem="conda",
                specifier="=1.26.4",
                version="1.26.4",
                properties=(("conda-channel", "conda-forge"), ("conda-build", "py311h64a7726_0")),
            ),
        )
    )
    assert [c.purl for c in graph.components] == [
        "pkg:conda/numpy@1.26.4?build=py311h64a7726_0&channel=conda-forge"
    ]


def test_constraints_narrow_existing_components_and_add_none() -> None:
    graph = build_graph(
        inventory(
            dep("urllib3", "requirements.txt", 1, specifier=">=1.26"),
            dep("urllib3", "constraints.txt", 1, source=SourceKind.CONSTRAINTS, specifier="<2"),
            dep(
                "certifi",
                "constraints.txt",
                2,
                source=SourceKind.CONSTRAINTS,
                specifier="==2024.8.30",
                version="2024.8.30",
            ),
        )
    )
    assert [c.bom_ref for c in graph.components] == ["pkg:pypi/urllib3"]
    comp = graph.components[0]
    assert comp.specifiers == ["<2", ">=1.26"]
    assert comp.occurrences == [Location("constraints.txt", 1), Location("requirements.txt", 1)]


def test_edges_from_requires_prefer_the_same_file_and_root_depends_on_direct() -> None:
    graph = build_graph(
        inventory(
            dep(
                "app-lib",
                "a/uv.lock",
                1,
                source=SourceKind.UV_LOCK,
                version="1.0",
                requires=("Six",),
            ),
            dep("six", "a/uv.lock", 9, source=SourceKind.UV_LOCK, version="1.16.0", direct=False),
            dep("six", "b/uv.lock", 9, source=SourceKind.UV_LOCK, version="1.17.0", direct=False),
            dep(
                "other",
                "b/uv.lock",
                1,
                source=SourceKind.UV_LOCK,
                version="2.0",
                requires=("six", "missing-pkg"),
            ),
            project=ProjectInfo("My_App", "0.3.0", Location("pyproject.toml", 2)),
        )
    )
    assert graph.root.bom_ref == "root:my-app"
    assert graph.root.name == "My_App"
    assert graph.root.version == "0.3.0"
    assert graph.edges == {
        "pkg:pypi/app-lib@1.0": ["pkg:pypi/six@1.16.0"],
        "pkg:pypi/other@2.0": ["pkg:pypi/six@1.17.0"],
        "pkg:pypi/six@1.16.0": [],
        "pkg:pypi/six@1.17.0": [],
        "project:a": ["pkg:pypi/app-lib@1.0"],
        "project:b": ["pkg:pypi/other@2.0"],
        "root:my-app": ["project:a", "project:b"],
    }


def test_root_without_project_does_not_depend_on_the_folder_name(tmp_path: Path) -> None:
    roots = []
    for name in ("my-service", "checkout-2"):
        folder = tmp_path / name
        folder.mkdir()
        graph = build_graph(Inventory(roots=(str(folder),)))
        roots.append((graph.root.bom_ref, graph.root.name, graph.root.kind))
    assert (
        roots[0]
        == roots[1]
        == (
            "root:unnamed-project",
            "unnamed-project",
            ComponentKind.APPLICATION,
        )
    )


def _model_inventory() -> Inventory:
    folder = Artifact(
        path="models/bert",
        format="huggingface",
        size=300,
        name="acme/bert-tiny",
        version=COMMIT,
        purl=f"pkg:huggingface/acme/bert-tiny@{COMMIT}",
        licenses=["apache-2.0"],
        model_card={
            "modelParameters": {
                "task": "fill-mask",
                "architectureFamily": "bert",
                "datasets": [
                    {
                        "type": "dataset",
                        "name": "wikipedia",
                        "contents": {"url": "https://huggingface.co/datasets/wikipedia"},
                    }
                ],
            }
        },
        properties={"cdx:ai-ml:model:parameter:count": "4386"},
    )
    weights = Artifact(
        path="models/bert/model.safetensors",
        format="safetensors",
        size=200,
        sha256=H1,
        parent="models/bert",
        properties={"aibom:dtypes": "F32"},
        multi_properties=[("aibom:tensor-dtype", "F32")],
    )
    pickle = Artifact(
        path="models/head.pkl",
        format="pickle",
        size=100,
        sha256=H2,
        framework="scikit-learn",
        pickle_imports=[
            PickleImport("sklearn.linear_model", "LogisticRegression"),
            PickleImport("posix", "system", called=True),
            PickleImport("posix", "system"),
        ],
        incomplete=["pickle stream truncated at byte 90"],
    )
    refs = [
        CodeReference(
            "hub-model",
            "AutoModel.from_pretrained",
            Location("app.py", 4),
            target="acme/bert-tiny",
            revision=COMMIT,
        ),
        CodeReference(
            "hub-model",
            "pipeline",
            Location("serve.py", 9),
            target="acme/bert-tiny",
            revision=COMMIT,
        ),
        CodeReference(
            "hub-model",
            "AutoModel.from_pretrained",
            Location("app.py", 8),
            target="gpt2",
            revision="main",
        ),
        CodeReference("hub-dataset", "load_dataset", Location("train.py", 3), target="imdb"),
        CodeReference("unsafe-load", "torch.load", Location("train.py", 5), target="x.pt"),
        CodeReference("hub-model", "AutoModel.from_pretrained", Location("app.py", 12)),
    ]
    return Inventory(roots=("proj",), artifacts=[pickle, weights, folder], code_refs=refs)


def test_artifacts_become_components_nested_under_their_folder() -> None:
    graph = build_graph(_model_inventory())
    comps = by_ref(graph)
    folder = comps["file:models/bert"]
    assert folder.kind is ComponentKind.MODEL
    assert folder.name == "acme/bert-tiny"
    assert folder.purl == f"pkg:huggingface/acme/bert-tiny@{COMMIT}"
    assert folder.licenses == ["apache-2.0"]
    assert graph.parents == {"file:models/bert/model.safetensors": "file:models/bert"}
    weights = comps["file:models/bert/model.safetensors"]
    assert weights.hashes == [Hash("sha256", H1)]
    assert weights.properties == {
        "aibom:path": "models/bert/model.safetensors",
        "aibom:format": "safetensors",
        "aibom:size": "200",
        "aibom:analysis": "complete",
        "aibom:dtypes": "F32",
    }
    assert weights.multi_properties == [("aibom:tensor-dtype", "F32")]
    head = comps["file:models/head.pkl"]
    assert head.properties["aibom:analysis"] == "incomplete"
    assert head.properties["aibom:framework"] == "scikit-learn"
    assert head.multi_properties == [
        ("aibom:incomplete", "pickle stream truncated at byte 90"),
        ("aibom:pickle:global", "posix.system"),
        ("aibom:pickle:global", "sklearn.linear_model.LogisticRegression"),
    ]
    # the folder contains its files; the root depends on top-level artifacts and hub models
    assert graph.edges["file:models/bert"] == [
        "file:models/bert/model.safetensors",
        "hf-dataset:wikipedia",
    ]
    assert graph.edges[graph.root.bom_ref] == [
        "file:models/bert",
        "file:models/head.pkl",
        "hf-dataset:imdb",
        f"hf-model:acme/bert-tiny@{COMMIT}",
        "hf-model:gpt2@main",
    ]


def test_model_card_datasets_become_data_components_referenced_by_the_card() -> None:
    graph = build_graph(_model_inventory())
    comps = by_ref(graph)
    card = comps["file:models/bert"].model_card
    assert card == {
        "modelParameters": {
            "task": "fill-mask",
            "architectureFamily": "bert",
            "datasets": [{"ref": "hf-dataset:wikipedia"}],
        }
    }
    data = comps["hf-dataset:wikipedia"]
    assert data.kind is ComponentKind.DATA
    assert data.urls == ["https://huggingface.co/datasets/wikipedia"]
    assert data.occurrences == [Location("models/bert")]


def test_hub_references_one_component_per_target_and_revision() -> None:
    graph = build_graph(_model_inventory())
    comps = by_ref(graph)
    pinned = comps[f"hf-model:acme/bert-tiny@{COMMIT}"]
    assert pinned.purl == f"pkg:huggingface/acme/bert-tiny@{COMMIT}"
    assert pinned.occurrences == [Location("app.py", 4), Location("serve.py", 9)]
    assert pinned.urls == ["https://huggingface.co/acme/bert-tiny"]
    branch = comps["hf-model:gpt2@main"]
    assert branch.purl == "pkg:huggingface/gpt2"
    assert branch.version == "main"
    assert branch.properties["aibom:revision"] == "main"
    dataset = comps["hf-dataset:imdb"]
    assert (dataset.kind, dataset.purl, dataset.urls) == (
        ComponentKind.DATA,
        None,
        ["https://huggingface.co/datasets/imdb"],
    )
    # unsafe loads and dynamic targets are findings, not components
    assert not any(ref.startswith("hf-model:x.pt") for ref in comps)
    assert len([r for r in comps if r.startswith("hf-")]) == 4


def test_component_for_location() -> None:
    inv = _model_inventory()
    inv.dependencies = [dep("numpy", "requirements.txt", 3, specifier="==2.1.3", version="2.1.3")]
    graph = build_graph(inv)
    assert graph.ref_for_location(Location("requirements.txt", 3)) == "pkg:pypi/numpy@2.1.3"
    assert graph.ref_for_location(Location("models/head.pkl")) == "file:models/head.pkl"
    assert graph.ref_for_location(Location("models/head.pkl", None, "data.pkl")) == (
        "file:models/head.pkl"
    )
    assert graph.ref_for_location(Location("serve.py", 9)) == f"hf-model:acme/bert-tiny@{COMMIT}"
    assert graph.ref_for_location(Location("requirements.txt", 99)) == graph.root.bom_ref
    assert graph.component_for(Location("nowhere.txt")) is graph.root


def test_graph_does_not_depend_on_input_order() -> None:
    deps = [
        dep("Requests", "requirements.txt", 3, specifier="==2.31.0", version="2.31.0"),
        dep(
            "requests",
            "uv.lock",
            40,
            source=SourceKind.UV_LOCK,
            version="2.31.0",
            requires=("urllib3",),
        ),
        dep("urllib3", "uv.lock", 50, source=SourceKind.UV_LOCK, version="2.2.3"),
        dep("urllib3", "requirements.txt", 4, specifier=">=2"),
        dep("idna", "requirements.txt", 5, specifier=">=3"),
    ]
    first = build_graph(inventory(*deps))
    for seed in range(5):
        shuffled = deps[:]
        random.Random(seed).shuffle(shuffled)
        again = build_graph(inventory(*shuffled))
        assert again.components == first.components
        assert again.edges == first.edges


def test_uv_fixture_project() -> None:
    project = Path(__file__).resolve().parents[2] / "fixtures" / "projects" / "uv-app"
    result = scan(Config(roots=(project,), reproducible=True))
    graph = build_graph(result.inventory)
    assert graph.root.bom_ref == "root:uv-app"
    assert graph.root.version == "0.1.0"
    comps = by_ref(graph)
    click = comps["pkg:pypi/click@8.5.1"]
    assert click.occurrences == [Location("pyproject.toml", 7), Location("uv.lock", 19)]
    assert click.specifiers == [">=8.1"]
    assert [h.value[:8] for h in click.dist_hashes] == ["8bb5376d", "9bbfada7"]
    # the path dependency declared in pyproject.toml joins the locked path component
    helper = comps["path:libs/helper"]
    assert helper.version == "0.2.0" and helper.purl is None
    assert helper.occurrences == [Location("pyproject.toml", 10), Location("uv.lock", 37)]
    # two locked versions for different Pythons (a fork): the range is satisfied by both,
    # so it joins both and no versionless ghost remains
    assert {r for r in comps if "python-dateutil" in r} == {
        "pkg:pypi/python-dateutil@3.0.0",
        "pkg:pypi/python-dateutil@4.0.0",
    }
    for version in ("3.0.0", "4.0.0"):
        dateutil = comps[f"pkg:pypi/python-dateutil@{version}"]
        assert any(o.path == "pyproject.toml" for o in dateutil.occurrences)
    assert graph.edges["pkg:pypi/python-dateutil@3.0.0"] == [
        "pkg:pypi/six@1.17.0",
        "pkg:pypi/tzdata@2026.6",
    ]
    assert comps["pkg:pypi/attrs@26.1.0"].scope == "optional"
    assert comps["pkg:pypi/iniconfig@2.3.1"].scope == "optional"


def test_torch_hub_and_timm_references() -> None:
    refs = [
        CodeReference(
            "torch-hub",
            "torch.hub.load",
            Location("app.py", 3),
            target="pytorch/vision",
            revision="v0.10.0",
            args=(("entrypoint", "resnet18"), ("revision", "branch")),
        ),
        CodeReference("timm-model", "timm.create_model", Location("app.py", 5), target="resnet50"),
    ]
    comps = by_ref(build_graph(Inventory(roots=("proj",), code_refs=refs)))
    hub = comps["torch-hub:pytorch/vision@v0.10.0"]
    assert (hub.kind, hub.purl, hub.urls) == (
        ComponentKind.MODEL,
        "pkg:github/pytorch/vision@v0.10.0",
        ["https://github.com/pytorch/vision"],
    )
    assert hub.properties["aibom:entrypoint"] == "resnet18"
    timm = comps["timm-model:resnet50"]
    assert (timm.kind, timm.purl, timm.urls, timm.occurrences) == (
        ComponentKind.MODEL,
        None,
        [],
        [Location("app.py", 5)],
    )


def test_notebook_cells_are_told_apart() -> None:
    refs = [
        CodeReference(
            "hub-model", "from_pretrained", Location("nb.ipynb", 2, "cell 1"), target="org/a"
        ),
        CodeReference(
            "hub-model", "from_pretrained", Location("nb.ipynb", 2, "cell 4"), target="org/b"
        ),
    ]
    graph = build_graph(Inventory(roots=("proj",), code_refs=refs))
    assert graph.ref_for_location(Location("nb.ipynb", 2, "cell 4")) == "hf-model:org/b"
    assert graph.ref_for_location(Location("nb.ipynb", 2, "cell 1")) == "hf-model:org/a"
    assert graph.ref_for_location(Location("nb.ipynb", 2)) == graph.root.bom_ref


def test_path_dependency_joins_the_locked_version_at_the_same_path() -> None:
    graph = build_graph(
        inventory(
            dep(
                "helper",
                "pyproject.toml",
                10,
                source=SourceKind.PYPROJECT,
                url="libs/helper",
                url_kind="path",
            ),
            dep(
                "helper",
                "uv.lock",
                37,
                source=SourceKind.UV_LOCK,
                version="0.2.0",
                specifier="==0.2.0",
                url="libs/helper",
                url_kind="path",
            ),
        )
    )
    assert [c.bom_ref for c in graph.components] == ["path:libs/helper"]
    assert graph.components[0].occurrences == [
        Location("pyproject.toml", 10),
        Location("uv.lock", 37),
    ]


def test_conda_fixture_environment() -> None:
    project = Path(__file__).resolve().parents[2] / "fixtures" / "projects" / "conda-env"
    result = scan(Config(roots=(project,), reproducible=True))
    comps = by_ref(build_graph(result.inventory))
    assert sorted(r for r in comps if r.startswith("pkg:conda/")) == [
        "pkg:conda/libblas@3.9.0?build=20_linux64_openblas&channel=conda-forge&subdir=linux-64",
        "pkg:conda/numpy@1.26.4?build=py311h64a7726_0",
        "pkg:conda/pandas?channel=conda-forge",
        "pkg:conda/pip",
        "pkg:conda/python",
        "pkg:conda/pytorch-cuda@12.1?build=ha16c6d3_5",
        "pkg:conda/pytorch@2.3.1?channel=pytorch",
        "pkg:conda/scipy",
    ]
    assert comps["pkg:pypi/transformers@4.41.2"].occurrences == [Location("environment.yml", 20)]


def test_purls_are_canonical_and_vcs_purls_carry_the_commit() -> None:
    """Every purl survives packageurl-python's parse and re-serialisation unchanged; a VCS
    purl drops pip's #egg= / &subdirectory= fragment and names the locked commit."""
    from packageurl import PackageURL

    commit = "0123456789abcdef0123456789abcdef01234567"
    graph = build_graph(
        inventory(
            dep(
                "Lib_X",
                "requirements.txt",
                1,
                url="git+https://github.com/org/lib-x.git@v1.2#egg=Lib_X&subdirectory=python",
                url_kind="vcs",
                vcs_ref="v1.2",
            ),
            dep(
                "vlib",
                "uv.lock",
                3,
                source=SourceKind.UV_LOCK,
                version="2.0.0+local.1",
                url="git+https://github.com/org/vlib",
                url_kind="vcs",
                vcs_ref=commit,
            ),
            dep("plain", "requirements.txt", 2, specifier="==1.0", version="1.0"),
        )
    )
    purls = sorted(c.purl for c in graph.components if c.purl)
    assert purls == [
        "pkg:pypi/lib-x?vcs_url=git%2Bhttps://github.com/org/lib-x.git%40v1.2",
        "pkg:pypi/plain@1.0",
        f"pkg:pypi/vlib@2.0.0%2Blocal.1?vcs_url=git%2Bhttps://github.com/org/vlib%40{commit}",
    ]
    for purl in purls:
        assert PackageURL.from_string(purl).to_string() == purl
