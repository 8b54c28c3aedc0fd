"""The JSON Schema editors use (`ankigen schema`) says what the loader says, key for key and case for case.

The loader's key tables are the format; the schema is written by hand for
editors (descriptions, hover text) and kept in step here: every mapping's keys
and required keys equal the loader's tables, and every case of tests/cases is
refused by the schema exactly when the loader refuses it for a key or a type.
Documents are read as an editor's YAML 1.2 language server reads them
(``2025-05-10`` and ``yes`` are text, ``12`` a number), not as PyYAML's 1.1 would.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ankigen import loader
from ankigen.cli import cli
from tests.case_corpus import CASES, read_case
from tests.conftest import REPO, SHIPPED_SOURCE
from tests.test_fuzz import _dump, near_valid_decks

SCHEMA = json.loads(loader.json_schema())
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)

# Loader messages that refuse a source for its keys or the types of its values: what a schema can see.
KEY_OR_TYPE = re.compile(
    r"unknown key|is missing the required key|must be a mapping|must be text|must be a list|is empty|"
    r"is not a valid id|'was' '.*' is not an id|a key in .* must be plain text|merge keys|"
    r"a value that starts with '\{\{'|the file is empty|"
    r"nested too deeply|characters long; the limit is|is not a language tag")

# YAML 1.2 core schema, as yaml-language-server resolves plain scalars
_NULL = re.compile(r"(?:null|Null|NULL|~|)\Z")
_BOOL = re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z")
_INT = re.compile(r"(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\Z")
_FLOAT = re.compile(r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|"
                    r"\.(?:nan|NaN|NAN))\Z")
_CORE_TAGS = {"tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "seq", "map")}


class NotJson(Exception):
    """A document an editor would not hand to the schema as it stands (an alias, a custom tag, a duplicate key)."""


def as_editor_reads(text: str) -> Any:
    """The JSON value of a YAML document, as an editor's YAML 1.2 language server sees it."""
    seen: set[int] = set()

    def value(node: yaml.Node) -> Any:
        if id(node) in seen:
            raise NotJson("alias")
        seen.add(id(node))
        if node.tag not in _CORE_TAGS:  # the base loader tags every untagged node str, seq or map
            raise NotJson(f"tag {node.tag}")
        if isinstance(node, yaml.ScalarNode):
            if node.style:  # quoted or a block scalar: text
                return node.value
            if _NULL.match(node.value):
                return None
            if _BOOL.match(node.value):
                return node.value.lower() == "true"
            if _INT.match(node.value):
                return int(node.value, 0) if node.value.startswith(("0o", "0x")) else int(node.value)
            if _FLOAT.match(node.value):
                return float(node.value.replace(".inf", "inf").replace(".Inf", "inf").replace(".INF", "inf")
                             .replace(".nan", "nan").replace(".NaN", "nan").replace(".NAN", "nan"))
            return node.value
        if isinstance(node, yaml.SequenceNode):
            return [value(child) for child in node.value]
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = value(key_node)
            if isinstance(key, (dict, list)):
                raise NotJson("a complex key")
            shown = key if isinstance(key, str) else json.dumps(key)
            if shown in mapping:
                raise NotJson("a duplicate key")
            mapping[shown] = value(value_node)
        return mapping

    root = yaml.compose(text, Loader=yaml.BaseLoader)  # every scalar as written, tags kept as given
    return None if root is None else value(root)


def schema_errors(instance: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(instance)]


def test_the_schema_is_a_valid_draft_7_schema() -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def test_ankigen_schema_prints_the_schema_and_the_repository_commits_the_same() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0 and json.loads(result.output) == SCHEMA
    assert result.output == loader.json_schema()
    assert (REPO / "schema" / "ankigen.schema.json").read_text("utf-8") == result.output


@pytest.mark.parametrize(("where", "keys", "required"), [
    ((), loader._DECK_KEYS, loader._DECK_REQUIRED),
    (("definitions", "citation"), loader._CITATION_KEYS, loader._CITATION_REQUIRED),
    (("definitions", "myth"), loader._MYTH_KEYS, loader._MYTH_REQUIRED),
    (("definitions", "item"), loader._ITEM_KEYS, loader._ITEM_REQUIRED),
    (("definitions", "true_statement"), loader._TRUE_STATEMENT_KEYS, loader._TRUE_STATEMENT_REQUIRED),
], ids=["deck", "source", "myth", "item", "true-statement"])
def test_each_mapping_has_the_loaders_keys_and_required_keys(where: tuple[str, ...], keys: tuple[str, ...],
                                                             required: tuple[str, ...]) -> None:
    """A key added to the loader and not to the schema (or the reverse) fails here."""
    part = SCHEMA
    for step in where:
        part = part[step]
    assert sorted(part["properties"]) == sorted(keys)
    assert sorted(part["required"]) == sorted(required)
    assert part["additionalProperties"] is False and part["type"] == "object"


def test_the_markdown_fields_have_the_loaders_length_limit() -> None:
    markdown = SCHEMA["definitions"]["markdown"]
    assert markdown["maxLength"] == loader.MAX_TEXT_CHARACTERS
    assert f"at most {loader.MAX_TEXT_CHARACTERS:,} characters" in markdown["description"]
    fields = {"/".join(path) for path, part in _parts(SCHEMA, ()) if part.get("$ref") == "#/definitions/markdown"}
    assert fields == {"properties/description", "definitions/myth/properties/myth", "definitions/myth/properties/fact",
                      "definitions/item/properties/name", "definitions/item/properties/text",
                      "definitions/true_statement/properties/text"}


def test_every_mapping_of_the_schema_is_one_the_loader_reads() -> None:
    """No mapping in the schema that the test above does not compare with a loader table."""
    objects = ["/".join(path) for path, part in _parts(SCHEMA, ()) if part.get("type") == "object"]
    assert sorted(objects) == ["", "definitions/citation", "definitions/item", "definitions/myth",
                               "definitions/true_statement"]


def _parts(node: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    if not isinstance(node, dict):
        return []
    found = [(path, node)]
    for key, child in node.items():
        if isinstance(child, dict):
            found += _parts(child, (*path, key))
    return found


def test_the_shipped_deck_is_valid() -> None:
    assert schema_errors(as_editor_reads(SHIPPED_SOURCE.read_text("utf-8"))) == []


def test_the_readme_example_is_valid() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    example = readme.split("## Writing a source", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    assert "myths:" in example
    assert schema_errors(as_editor_reads(example)) == []


def _editor_documents() -> list[tuple[str, bytes, Any]]:
    """The cases of tests/cases an editor would hand to the schema, with the JSON value it would validate.

    Left out: files that are not YAML to an editor (not UTF-8, syntax errors, several
    documents) or not JSON (aliases, custom tags, complex or duplicate keys).
    """
    documents = []
    for path in sorted(CASES.glob("*.yaml")):
        data = read_case(path).data
        try:
            documents.append((path.name, data, as_editor_reads(data.decode("utf-8").removeprefix("\ufeff"))))
        except (UnicodeDecodeError, yaml.YAMLError, NotJson, RecursionError):
            continue
    return documents


DOCUMENTS = _editor_documents()


@pytest.mark.parametrize(("name", "data", "instance"), DOCUMENTS, ids=[name for name, _, _ in DOCUMENTS])
def test_the_schema_refuses_a_case_exactly_when_the_loader_refuses_its_keys_or_types(name: str, data: bytes,
                                                                                      instance: Any) -> None:
    _, diagnostics = loader.parse_source(data, f"cases/{name}")
    refused = [d.message for d in diagnostics if d.severity == "error" and KEY_OR_TYPE.search(d.message)]
    assert bool(schema_errors(instance)) == bool(refused), (schema_errors(instance), refused)


def test_the_agreement_covers_both_ways() -> None:
    """Most cases are compared, among them sources both refuse for their keys or types and sources both let through."""
    verdicts = [bool(schema_errors(instance)) for _, _, instance in DOCUMENTS]
    assert len(DOCUMENTS) >= 0.75 * len(list(CASES.glob("*.yaml")))
    assert verdicts.count(True) >= 20 and verdicts.count(False) >= 20


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=near_valid_decks(), flow=st.booleans())
def test_the_schema_and_the_loader_agree_on_random_decks(document: Any, flow: bool) -> None:
    """Decks of the right shape with now and then a key dropped, renamed or given any value (tests/test_fuzz.py)."""
    text = _dump(document, flow)
    _, diagnostics = loader.parse_source(text.encode("utf-8"), "fuzz.yaml")
    refused = [d.message for d in diagnostics if d.severity == "error" and KEY_OR_TYPE.search(d.message)]
    assert bool(schema_errors(as_editor_reads(text))) == bool(refused), (schema_errors(as_editor_reads(text)),
                                                                        refused)


def test_the_readme_names_schema_paths_that_resolve_from_a_source() -> None:
    """The header lines the README gives: beside the source (what `ankigen schema >` writes), or this repo's copy."""
    readme = (REPO / "README.md").read_text("utf-8")
    assert "ankigen schema > cards/ankigen.schema.json" in readme
    assert "# yaml-language-server: $schema=ankigen.schema.json\n" in readme
    assert "`../schema/ankigen.schema.json`" in readme
    assert (SHIPPED_SOURCE.parent / "../schema/ankigen.schema.json").read_text("utf-8") == loader.json_schema()
