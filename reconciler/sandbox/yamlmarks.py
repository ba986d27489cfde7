"""Safe YAML loading that remembers the line of every value and reads numbers as ``Decimal``.

PyYAML's safe composer builds the node tree; this module turns it into plain data itself, so that
floats never appear (``0.95`` is ``Decimal("0.95")``), timestamps stay the text that was written
(the caller parses them with their offset), duplicate keys are errors instead of silently keeping
the last one, and every value's line is known for error messages.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

Path = tuple[str | int, ...]

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
# libyaml's parser when PyYAML has it (about ten times faster); both are safe loaders with marks.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlMarkError(ValueError):
    """Unreadable YAML, with the 1-based line where it happened."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def load_with_lines(text: str) -> tuple[Any, dict[Path, int]]:
    """Parse one YAML document; return the data and a map from value path to 1-based line."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlMarkError(mark.line + 1 if mark else 1, f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlMarkError(1, f"not valid YAML: {exc}") from None
    lines: dict[Path, int] = {}
    if node is None:
        return None, lines
    return _construct(node, (), lines), lines


def _construct(node: yaml.Node, path: Path, lines: dict[Path, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlMarkError(key_node.start_mark.line + 1, "mapping keys must be plain text")
            key = str(key_node.value)
            if key == "<<":
                raise YamlMarkError(key_node.start_mark.line + 1, "merge keys (<<) are not supported")
            if key in result:
                first = lines[(*path, key)]
                raise YamlMarkError(
                    key_node.start_mark.line + 1, f"duplicate key {key!r} (first defined on line {first})"
                )
            result[key] = _construct(value_node, (*path, key), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, index), lines) for index, item in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    return _scalar(node)


def _scalar(node: yaml.ScalarNode) -> Any:
    text = str(node.value)
    if node.tag == _NULL:
        return None
    if node.tag == _BOOL:
        return text.lower() in ("yes", "true", "on", "y")
    if node.tag == _INT:
        if ":" in text:  # YAML 1.1 sexagesimal: 07:30 is meant as a time of day
            return text
        return int(_CONSTRUCTOR.construct_yaml_int(node))
    if node.tag == _FLOAT:
        try:
            value = Decimal(text.replace("_", ""))
        except InvalidOperation:
            raise YamlMarkError(node.start_mark.line + 1, f"{text!r} is not a finite number") from None
        if not value.is_finite():
            raise YamlMarkError(node.start_mark.line + 1, f"{text!r} is not a finite number")
        return value
    return text  # strings and timestamps: the text as written
