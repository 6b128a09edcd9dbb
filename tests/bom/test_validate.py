"""`aibom validate`: schema validation of any CycloneDX file, with exact error reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from aibom.bom.validate import (
    _iri_reference,
    validate_document,
    validate_text,
)
from aibom.cli import main
from aibom.commands.validate import run as run_validate
from aibom.errors import InputError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

MINIMAL = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "version": 1,
    "components": [
        {
            "type": "library",
            "bom-ref": "pkg:pypi/six@1.17.0",
            "name": "six",
            "version": "1.17.0",
            "purl": "pkg:pypi/six@1.17.0",
            "externalReferences": [{"type": "website", "url": "https://pypi.org/project/six/"}],
        }
    ],
}


def _doc(**changes: object) -> dict:  # type: ignore[type-arg]
    doc = json.loads(json.dumps(MINIMAL))
    doc.update(changes)
    return doc


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_valid_json() -> None:
    result = validate_document(json.dumps(MINIMAL))
    assert (result.kind, result.spec_version, result.errors) == ("JSON", "1.6", [])


@pytest.mark.parametrize("spec", ["1.2", "1.3", "1.4", "1.5", "1.6", "1.7"])
def test_every_supported_json_version(spec: str) -> None:
    doc = _doc(specVersion=spec)
    assert validate_document(json.dumps(doc)).spec_version == spec
    assert validate_text(json.dumps(doc)) == []


def test_wrong_component_type_names_the_path_and_the_component() -> None:
    doc = _doc()
    doc["components"][0]["type"] = "libary"
    errors = validate_text(json.dumps(doc))
    assert len(errors) == 1
    assert errors[0].startswith(
        "$.components[0].type (in pkg:pypi/six@1.17.0): 'libary' is not one of"
    )


def test_missing_required_and_unknown_property() -> None:
    doc = _doc()
    del doc["components"][0]["name"]
    doc["components"][0]["colour"] = "red"
    assert validate_text(json.dumps(doc)) == [
        "$.components[0] (in pkg:pypi/six@1.17.0): 'name' is a required property",
        "$.components[0] (in pkg:pypi/six@1.17.0): Additional properties are not allowed "
        "('colour' was unexpected)",
    ]


def test_duplicate_components_are_reported_in_linear_time() -> None:
    doc = _doc()
    doc["components"] = doc["components"] * 3
    assert validate_text(json.dumps(doc)) == [
        "$.components: has non-unique elements: item 1 repeats item 0"
    ]


def test_formats_are_checked_cheaply_but_checked() -> None:
    doc = _doc(metadata={"timestamp": "2024-13-45T00:00:00Z"})
    doc["components"][0]["externalReferences"][0]["url"] = "https://exa mple.com/six"
    assert validate_text(json.dumps(doc)) == [
        "$.components[0].externalReferences[0].url (in pkg:pypi/six@1.17.0): "
        "'https://exa mple.com/six' is not a 'iri-reference'",
        "$.metadata.timestamp: '2024-13-45T00:00:00Z' is not a 'date-time'",
    ]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("https://pypi.org/simple/six/", True),
        ("git+https://***@github.com/o/p.git@v1", True),
        ("./libs/local", True),
        ("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", True),
        ("https://example.com/a%20b", True),
        ("https://example.com/a b", False),
        ("https://example.com/<script>", False),
        ("https://example.com/100%", False),
        ("1http://x", False),
    ],
)
def test_iri_reference_checker(value: str, ok: bool) -> None:
    assert _iri_reference(value) is ok


def test_xml_valid_and_invalid() -> None:
    valid = (
        '<?xml version="1.0"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">\n'
        '  <components>\n    <component type="library"><name>six</name></component>\n'
        "  </components>\n</bom>\n"
    )
    result = validate_document(valid)
    assert (result.kind, result.spec_version, result.errors) == ("XML", "1.6", [])
    # version before name: the XSD fixes the order
    invalid = valid.replace("<name>six</name>", "<version>1.0</version><name>six</name>")
    errors = validate_text(invalid)
    assert errors == [
        "line 4: /bom/components/component/version: Element 'version': This element is not "
        "expected. Expected is one of ( supplier, manufacturer, authors, author, publisher, "
        "group, name )."
    ]


def test_xml_with_entities_is_refused() -> None:
    text = (
        '<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"/>'
    )
    with pytest.raises(InputError, match="DOCTYPE"):
        validate_text(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"spdxVersion": "SPDX-2.3"}', 'not a CycloneDX document: no "bomFormat": "CycloneDX"'),
        (
            '{"bomFormat": "CycloneDX", "specVersion": "9.9"}',
            "unsupported or missing specVersion '9.9'",
        ),
        ('{"bomFormat": ', "invalid JSON at line 1, column 15: Expecting value"),
        ("hello", "not a CycloneDX document (neither JSON nor XML)"),
        ("<html/>", "not a CycloneDX document: the root element is not a CycloneDX <bom>"),
        ("[" * 100000 + "]" * 100000, "not a CycloneDX document (neither JSON nor XML)"),
    ],
)
def test_not_cyclonedx(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        validate_text(text)
    assert info.value.what == message


def test_deeply_nested_json_is_an_error_not_a_crash() -> None:
    text = (
        '{"bomFormat": "CycloneDX", "specVersion": "1.6", "x": ' + "[" * 100000 + "]" * 100000 + "}"
    )
    with pytest.raises(InputError, match="nested too deeply"):
        validate_text(text)


def test_run_validate_output_and_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _write(tmp_path, "good.cdx.json", json.dumps(MINIMAL))
    bad_doc = _doc()
    bad_doc["components"][0]["type"] = "libary"
    bad = _write(tmp_path, "bad.json", json.dumps(bad_doc))
    binary = _write(tmp_path, "bin.json", b"\xff\xfe\x00junk")
    missing = tmp_path / "missing.json"

    assert run_validate((good,)) == 0
    assert capsys.readouterr().out == f"{good}: valid (CycloneDX 1.6 JSON)\n"

    assert run_validate((good, bad)) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{good}: valid (CycloneDX 1.6 JSON)"
    assert out[1] == f"{bad}: INVALID (CycloneDX 1.6 JSON), 1 error:"
    assert out[2].startswith(
        "  $.components[0].type (in pkg:pypi/six@1.17.0): 'libary' is not one of"
    )

    assert run_validate((bad, binary, missing)) == 2
    captured = capsys.readouterr()
    err = captured.err.splitlines()  # errors on stderr, in the CLI's one format
    assert f"error: not UTF-8 text (byte 0) ({binary})" in err
    assert f"error: file not found ({missing})" in err
    assert captured.out.splitlines()[0] == f"{bad}: INVALID (CycloneDX 1.6 JSON), 1 error:"
    assert run_validate((tmp_path,)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: is a folder, not a CycloneDX file ({tmp_path})\n")


def test_cli_validate_on_files_written_by_other_producers() -> None:
    files = [
        FIXTURES / "diff" / "handwritten" / "old.cdx.json",
        FIXTURES / "diff" / "handwritten" / "new.cdx.xml",
    ]
    res = CliRunner().invoke(main, ["validate", *map(str, files)])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines() == [
        f"{files[0]}: valid (CycloneDX 1.4 JSON)",
        f"{files[1]}: valid (CycloneDX 1.5 XML)",
    ]


def test_cli_scan_then_validate(tmp_path: Path) -> None:
    out = tmp_path / "bom.xml"
    project = FIXTURES / "projects" / "app-hashed"
    res = CliRunner().invoke(
        main, ["scan", str(project), "-o", str(out), "--spec-version", "1.7", "-q"]
    )
    assert res.exit_code in (0, 1), res.output
    res = CliRunner().invoke(main, ["validate", str(out)])
    assert res.exit_code == 0
    assert res.output == f"{out}: valid (CycloneDX 1.7 XML)\n"


def test_validation_does_not_load_rfc3987_syntax() -> None:
    """The slow URL grammar (2 s to import) stays out of `aibom validate` in a fresh process."""
    import subprocess
    import sys

    code = (
        "import sys, json\n"
        "from aibom.bom.validate import validate_text\n"
        f"print(validate_text({json.dumps(json.dumps(MINIMAL))}))\n"
        "print('rfc3987_syntax' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["[]", "False"]


def test_cli_validate_reads_stdin() -> None:
    res = CliRunner().invoke(main, ["validate", "-"], input=json.dumps(MINIMAL))
    assert res.exit_code == 0
    assert res.output == "-: valid (CycloneDX 1.6 JSON)\n"
    res = CliRunner().invoke(main, ["validate", "-"], input="not json")
    assert res.exit_code == 2
    assert res.stdout == ""
    assert res.stderr.splitlines()[0] == (
        "error: not a CycloneDX document (neither JSON nor XML) (-)"
    )
