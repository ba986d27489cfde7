"""Safe YAML for every file the project reads (manifests, fixtures, project config): plain values
with the line and column of every key and value.

PyYAML's SafeLoader only *composes* here (no constructor runs), and values are built from the
scalar nodes by :class:`_Builder`:

- numbers become exact base-10 ``Decimal`` (``010`` is ten, ``1e3`` a thousand; hex and ``1:30``
  stay text);
- timestamps stay strings, parsed later by :mod:`reconciler.manifest.values`;
- keys are always their text (``on:`` is the key ``"on"``, not ``True``);
- duplicate keys, merge keys (``<<``), non-scalar keys and any tag beyond the plain YAML types
  (``!!python/object``, ``!custom``) are reported, never constructed;
- recursive aliases and alias bombs are stopped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.core.diagnostics import Diagnostic, Severity
from reconciler.core.yamlcompose import PythonLoader, compose_documents

FieldPath = tuple[str | int, ...]

MAX_MAGNITUDE = Decimal("1e12")
MAX_DECIMALS = 9
_DECIMAL = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")

_PREFIX = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP = (
    _PREFIX + name for name in ("str", "int", "float", "bool", "null", "timestamp")
)
_MAP, _SEQ, _MERGE = _PREFIX + "map", _PREFIX + "seq", _PREFIX + "merge"
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP}
_BOOLS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}


MAX_NODES = 200_000  # values built per document, counting every alias expansion
MAX_DEPTH = 64


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class YamlDocument:
    """One YAML document of a file, as plain values plus where each key and value was written."""

    file: str
    number: int  # 1-based position in the file
    value: Any
    start: Position
    values: dict[FieldPath, Position] = field(default_factory=dict)
    keys: dict[FieldPath, Position] = field(default_factory=dict)
    problems: list[tuple[FieldPath, Diagnostic]] = field(default_factory=list)

    def position(self, path: FieldPath, *, key: bool = False) -> Position:
        """Where ``path`` was written (its key with ``key=True``); else its nearest written parent."""
        if key and path in self.keys:
            return self.keys[path]
        for depth in range(len(path), -1, -1):
            found = self.values.get(path[:depth])
            if found is not None:
                return found
        return self.start


def format_path(path: FieldPath) -> str:
    """``("spec", "fcr", "bids", 0, "day")`` -> ``spec.fcr.bids[0].day``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _position(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


class _TooLarge(Exception):
    pass


class _Builder:
    def __init__(self, document: YamlDocument) -> None:
        self.doc = document
        self.count = 0
        self.active: set[int] = set()  # ids of the collections being built: an alias back to one recurses

    def problem(
        self, path: FieldPath, node: Node, code: str, message: str, expected: str, found: str
    ) -> None:
        where = _position(node)
        diagnostic = Diagnostic(
            Severity.ERROR,
            code,
            message,
            file=self.doc.file,
            line=where.line,
            column=where.column,
            path=format_path(path) or None,
            expected=expected,
            found=found,
        )
        self.doc.problems.append((path, diagnostic))

    def build(self, node: Node, path: FieldPath) -> Any:
        self.count += 1
        if self.count > MAX_NODES or len(path) > MAX_DEPTH:
            raise _TooLarge
        self.doc.values.setdefault(path, _position(node))
        if isinstance(node, ScalarNode) and node.tag in _SCALAR_TAGS:
            return self.scalar(node, path)
        if isinstance(node, SequenceNode) and node.tag == _SEQ:
            return self.collection(node, path, self.sequence)
        if isinstance(node, MappingNode) and node.tag == _MAP:
            return self.collection(node, path, self.mapping)
        self.problem(
            path,
            node,
            "yaml-tag",
            f"the YAML tag {node.tag} is not allowed in manifests",
            "plain YAML values (strings, numbers, true/false, lists, mappings)",
            node.tag,
        )
        return None

    def collection(self, node: Node, path: FieldPath, build: Any) -> Any:
        if id(node) in self.active:
            self.problem(
                path,
                node,
                "yaml-alias",
                "this alias refers to itself",
                "an alias to a finished node",
                "a loop",
            )
            return None
        self.active.add(id(node))
        try:
            return build(node, path)
        finally:
            self.active.discard(id(node))

    def sequence(self, node: SequenceNode, path: FieldPath) -> list[Any]:
        return [self.build(child, (*path, index)) for index, child in enumerate(node.value)]

    def mapping(self, node: MappingNode, path: FieldPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                merge = key_node.tag == _MERGE
                self.problem(
                    path,
                    key_node,
                    "yaml-merge-key" if merge else "yaml-key",
                    "YAML merge keys (<<) are not supported: write the keys out"
                    if merge
                    else "a key must be plain text",
                    "a plain key",
                    "<<" if merge else f"a {type(key_node).__name__.removesuffix('Node').lower()} key",
                )
                continue
            key = key_node.value
            key_path = (*path, key)
            if key in seen:
                first = _position(seen[key])
                self.problem(
                    key_path,
                    key_node,
                    "yaml-duplicate-key",
                    f"duplicate key {key!r}: it is already set on line {first.line} "
                    "(YAML would silently keep only the last one)",
                    "each key once per mapping",
                    f"{key!r} again",
                )
                continue
            seen[key] = key_node
            self.doc.keys[key_path] = _position(key_node)
            result[key] = self.build(value_node, key_path)
        return result

    def scalar(self, node: ScalarNode, path: FieldPath) -> Any:
        text = node.value
        if node.tag in (_STR, _TIMESTAMP):
            return text
        if node.tag == _NULL:
            return None
        if node.tag == _BOOL:
            if text.lower() in _BOOLS:
                return _BOOLS[text.lower()]
            return text
        number = parse_decimal(text)
        if number is None:  # .inf, .nan, 0x1F, 1:30, or an explicit !!float on text: keep the text
            return text
        implausible = number_problem(number)
        if implausible:
            self.problem(path, node, "number-range", f"the number {text} is out of range", implausible, text)
        return number


def parse_decimal(text: str) -> Decimal | None:
    """A base-10 number (``1_000.5``, ``-2``, ``.5``, ``1e3``); ``None`` when the text is not one."""
    cleaned = text.replace("_", "")
    if not _DECIMAL.match(cleaned):
        return None
    return Decimal(cleaned)


def number_problem(value: Decimal) -> str | None:
    """Why a number is implausible for a power or price (what would be valid), or ``None``."""
    if abs(value) >= MAX_MAGNITUDE:
        return "a number smaller than 1e12 in magnitude"
    exponent = value.normalize().as_tuple().exponent
    if value and isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        return f"a number with at most {MAX_DECIMALS} decimal places"
    return None


def parse_yaml_text(text: str, file: str) -> tuple[list[YamlDocument], list[Diagnostic]]:
    """Every non-empty document of ``text``; problems that stop reading become diagnostics.

    Documents before a syntax error are kept; nothing here raises for bad input. libyaml
    composes the nodes when it safely can (:mod:`reconciler.core.yamlcompose`); otherwise, and for
    every text with an error, PyYAML's pure-Python loader does, and words the errors.
    """
    documents: list[YamlDocument] = []
    diagnostics: list[Diagnostic] = []
    nodes = compose_documents(text, MAX_DEPTH)
    if nodes is not None:
        for number, root in enumerate(nodes, 1):
            _add_document(file, number, root, documents, diagnostics)
        return documents, diagnostics
    number = 0
    loader: PythonLoader | None = None
    try:
        loader = PythonLoader(text)
        while loader.check_node():
            node = loader.get_node()
            number += 1
            _add_document(file, number, node, documents, diagnostics)
    except yaml.MarkedYAMLError as exc:
        diagnostics.append(_syntax_error(file, exc))
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        position = exc.position
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        found = f"character #x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        diagnostics.append(
            _error(
                file, Position(line, column), "yaml-syntax", f"invalid YAML: {exc.reason}", _PRINTABLE, found
            )
        )
    except yaml.YAMLError as exc:
        diagnostics.append(_error(file, Position(1, 1), "yaml-syntax", f"invalid YAML: {exc}", "valid YAML"))
    except RecursionError:
        diagnostics.append(
            _error(file, Position(1, 1), "yaml-too-large", _TOO_LARGE, "less nesting", "deeper nesting")
        )
    finally:
        if loader is not None:
            loader.dispose()
    return documents, diagnostics


def _add_document(
    file: str, number: int, node: Node | None, documents: list[YamlDocument], diagnostics: list[Diagnostic]
) -> None:
    if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL):
        return  # an empty document, e.g. after a trailing ---
    document = YamlDocument(file, number, None, _position(node))
    try:
        document.value = _Builder(document).build(node, ())
    except _TooLarge:
        diagnostics.append(
            _error(file, document.start, "yaml-too-large", _TOO_LARGE, "a smaller document", "more")
        )
        return
    documents.append(document)


_PRINTABLE = "printable Unicode text"
_TOO_LARGE = f"the document nests deeper than {MAX_DEPTH} levels or expands to more than {MAX_NODES} values"


def _error(
    file: str, where: Position, code: str, message: str, expected: str, found: str | None = None
) -> Diagnostic:
    return Diagnostic(
        Severity.ERROR,
        code,
        message,
        file=file,
        line=where.line,
        column=where.column,
        expected=expected,
        found=found,
    )


def _syntax_error(file: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    where = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
    problem = exc.problem or "cannot parse"
    message = f"invalid YAML: {problem}"
    if exc.context:
        context_line = f" on line {exc.context_mark.line + 1}" if exc.context_mark else ""
        message += f" ({exc.context}{context_line})"
    # PyYAML says "expected <X>, but found <Y>" in most of its problems: split it for expected/found.
    wanted, sep, got = problem.partition(", but found ")
    if sep:
        return _error(file, where, "yaml-syntax", message, wanted.removeprefix("expected "), got)
    return _error(file, where, "yaml-syntax", message, "valid YAML", problem.removeprefix("found "))


# Past this a file is not a manifest, fixture or config a person wrote (a year of quarter-hours
# written one per line is ~1.5 MB); reading stops here, so a huge file costs no memory or time.
MAX_FILE_BYTES = 8 * 2**20


class FileTooLargeError(ValueError):
    """A file longer than :data:`MAX_FILE_BYTES`; it was not read further."""

    def __init__(self) -> None:
        super().__init__(f"the file is too large: more than {MAX_FILE_BYTES // 2**20} MiB")


def read_file(path: Path) -> str:
    """A file's text as UTF-8 (a BOM is allowed), reading no more than :data:`MAX_FILE_BYTES`.

    Raises ``OSError``, ``UnicodeDecodeError`` or :class:`FileTooLargeError`.
    """
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise FileTooLargeError
    return data.decode("utf-8-sig")


def read_text(path: Path, display: str) -> tuple[str | None, Diagnostic | None]:
    """A file's text as UTF-8 (a BOM is allowed), or a diagnostic saying why it cannot be read."""
    try:
        return read_file(path), None
    except FileTooLargeError as exc:
        return None, Diagnostic(
            Severity.ERROR,
            "file-too-large",
            str(exc),
            file=display,
            expected=f"at most {MAX_FILE_BYTES // 2**20} MiB",
            found="more",
        )
    except UnicodeDecodeError as exc:
        return None, Diagnostic(
            Severity.ERROR,
            "file-unreadable",
            f"not UTF-8 text: byte {exc.start} cannot be decoded",
            file=display,
            expected="a UTF-8 text file",
        )
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return None, Diagnostic(
            Severity.ERROR,
            "file-unreadable",
            f"cannot read the file: {reason}",
            file=display,
            expected="a readable file",
            found=reason,
        )


def load_yaml_documents(path: Path | str) -> tuple[list[YamlDocument], list[Diagnostic]]:
    """Every document of a YAML file with positions (for tools that read or rewrite manifests)."""
    text, problem = read_text(Path(path), str(path))
    if text is None:
        return [], [problem] if problem else []
    return parse_yaml_text(text, str(path))


class YamlSourceError(ValueError):
    """A file that holds no usable single YAML document; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _whole_numbers_as_int(value: Any) -> Any:
    """``330`` -> ``int`` (for JSON Schema's ``integer``); ``0.95`` stays an exact ``Decimal``."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return int(value) if isinstance(exponent, int) and exponent >= 0 else value
    if isinstance(value, dict):
        return {key: _whole_numbers_as_int(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers_as_int(item) for item in value]
    return value


SECRET_KEYS = frozenset({"password"})  # a value under one of these keys is never quoted in a message


def is_secret(path: FieldPath) -> bool:
    return any(part in SECRET_KEYS for part in path if isinstance(part, str))


def _unquoted(path: FieldPath, problem: Diagnostic) -> Diagnostic:
    """A problem with a secret's value (a password YAML reads as a number) without the value."""
    if not is_secret(path):
        return problem
    message = f"{format_path(path)}: expected text, found a value that is not shown (it is a secret)"
    return replace(problem, message=message, found=None)


def load_single(text: str, file: str) -> tuple[Any, dict[FieldPath, int]]:
    """The one document of a config or fixture file and the 1-based line of every value.

    Same safety as manifests (no constructors, duplicate keys and unknown tags refused, size and
    depth bounded); raises :class:`YamlSourceError` at the first problem.
    """
    documents, problems = parse_yaml_text(text, file)
    problems += [_unquoted(path, problem) for document in documents for path, problem in document.problems]
    if problems:
        first = min(problems, key=lambda d: (d.line or 0, d.column or 0))
        raise YamlSourceError(first.line or 1, first.message)
    if len(documents) > 1:
        raise YamlSourceError(documents[1].start.line, "expected one YAML document, found several")
    if not documents:
        return None, {}
    document = documents[0]
    lines = {path: where.line for path, where in document.values.items()}
    return _whole_numbers_as_int(document.value), lines
