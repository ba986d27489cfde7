"""Render the manifest reference in README.md from schemas/manifest.schema.json.

The schema is the source of truth for the manifest format (the loader checks manifests against
it, editors show its help); the README's reference section is generated from it, so the two
cannot disagree. A test compares the README with :func:`render_reference`.

    python scripts/manifest_reference.py          # rewrite the section in README.md
    python scripts/manifest_reference.py --check  # exit 1 if README.md is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schemas" / "manifest.schema.json"
README = ROOT / "README.md"
BEGIN = (
    "<!-- BEGIN manifest-reference: generated from schemas/manifest.schema.json by "
    "`python scripts/manifest_reference.py`; edit the schema, not this section -->"
)
END = "<!-- END manifest-reference -->"

Schema = dict[str, Any]


@dataclass(frozen=True)
class Section:
    """One mapping of the manifest: where it sits, and its schema (with $refs resolved)."""

    path: str
    schema: Schema


def resolve(node: Schema, definitions: Schema) -> Schema:
    """``node`` with its ``$ref`` merged in (the node's own keys win, as in the schema)."""
    if "$ref" not in node:
        return node
    target = definitions[node["$ref"].rsplit("/", 1)[1]]
    return {**resolve(target, definitions), **{k: v for k, v in node.items() if k != "$ref"}}


def children(path: str, node: Schema, definitions: Schema) -> Iterator[Section]:
    """The mappings a field holds: itself, its list items, or the branches of an if/then/else."""
    if "properties" in node:
        yield Section(path, node)
    items = node.get("items")
    if isinstance(items, dict):
        yield from children(f"{path}[]", resolve(items, definitions), definitions)
    if "then" in node:
        yield from children(path, resolve(node["then"], definitions), definitions)
    if "else" in node:
        yield from children(path, resolve(node["else"], definitions), definitions)


def sections(schema: Schema) -> list[Section]:
    """Every mapping of the manifest, depth first in the schema's field order."""
    definitions = schema.get("$defs", {})
    found: list[Section] = []

    def visit(section: Section) -> None:
        found.append(section)
        for name, field in section.schema["properties"].items():
            child_path = f"{section.path}.{name}" if section.path else name
            for child in children(child_path, resolve(field, definitions), definitions):
                visit(child)

    visit(Section("", schema))
    return found


def type_text(field: Schema, definitions: Schema) -> str:
    if "const" in field:
        return f"`{field['const']}`"
    if "enum" in field:
        return " | ".join(f"`{value}`" for value in field["enum"])
    if "then" in field and "else" in field:
        then, other = resolve(field["then"], definitions), resolve(field["else"], definitions)
        return f"{type_text(then, definitions)}, or {type_text(other, definitions)}"
    items = field.get("items")
    if isinstance(items, dict):
        return f"list of: {resolve(items, definitions)['title']}"
    if "properties" in field:
        return f"mapping: {field['title']}"
    kinds = field.get("type", "any")
    return " or ".join(kinds) if isinstance(kinds, list) else str(kinds)


def one_of_keys(node: Schema) -> Iterator[list[str]]:
    """The keys of each ``oneOf`` (also inside ``allOf``) whose branches each require one key."""
    for group in [node, *node.get("allOf", [])]:
        branches = group.get("oneOf", [])
        keys = [branch.get("required", []) for branch in branches]
        if branches and all(len(required) == 1 for required in keys):
            yield [required[0] for required in keys]


def example_text(value: Any) -> str:
    """As it is written in YAML: strings without quotes, everything else as JSON."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return f"`{text}`"


def cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def field_row(name: str, field: Schema, required: bool, definitions: Schema) -> str:
    notes = [str(field.get("description", ""))]
    if required:
        notes.append("**Required.**")
    if "default" in field:
        notes.append(f"Default {example_text(field['default'])}.")
    scalar_examples = [e for e in field.get("examples", []) if not isinstance(e, (dict, list))]
    if scalar_examples and "const" not in field:
        notes.append("Examples: " + ", ".join(example_text(e) for e in scalar_examples) + ".")
    return f"| `{name}` | {cell(type_text(field, definitions))} | {cell(' '.join(notes))} |"


def render_reference(schema: Schema) -> str:
    """The reference as markdown: one table per mapping, fields in the schema's order."""
    definitions = schema.get("$defs", {})
    out = [
        f"*{cell(str(schema['description']))}*",
        "",
    ]
    for section in sections(schema):
        node = section.schema
        out += [f"#### `{section.path or '(document)'}`: {node['title']}", ""]
        if section.path:
            out += [cell(str(node.get("description", ""))), ""]
        out += ["| field | type | meaning |", "| --- | --- | --- |"]
        required = set(node.get("required", []))
        for name, field in node["properties"].items():
            out.append(field_row(name, resolve(field, definitions), name in required, definitions))
        out.append("")
        for keys in one_of_keys(node):
            out += ["Exactly one of " + ", ".join(f"`{key}`" for key in keys) + " is required.", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def replace_section(readme: str, reference: str) -> str:
    """``readme`` with the text between the markers replaced by ``reference``."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no section between {BEGIN!r} and {END!r}")
    return readme[: start + len(BEGIN)] + "\n\n" + reference + "\n" + readme[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is out of date")
    args = parser.parse_args(argv)
    reference = render_reference(json.loads(SCHEMA.read_text(encoding="utf-8")))
    current = README.read_text(encoding="utf-8")
    wanted = replace_section(current, reference)
    if args.check:
        if wanted != current:
            print("README.md's manifest reference is out of date: run python scripts/manifest_reference.py")
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
