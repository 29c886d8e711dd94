"""YAML text -> plain data, the line of every key, and `${...}` substituted.

PyYAML's `safe_load` forgets where things were; composing to nodes keeps a mark on every key, so an
error found later by pydantic (located by key path) can still name the line. Reading problems
(syntax, duplicate keys, a missing variable) are collected, not raised, so one run reports them all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gateway.settings.fields import Loc

__all__ = ["MAX_DEPTH", "Problem", "Source", "read_mapping", "read_yaml", "substitute"]

# No setting nests more than a few levels; deeper YAML is refused before anything recurses on it.
MAX_DEPTH = 32
_STR_TAG = "tag:yaml.org,2002:str"
# "$${" is a literal "${"; "${NAME}" an environment variable; "${file:/path}" a secret file.
_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# YAML forbids "{" and "}" in plain scalars inside {...}, so `auth: {token: ${TOKEN}}` would be a
# syntax error. Before parsing, each "${...}" is swapped for private-use characters of the same length
# (columns in syntax errors stay right) and swapped back in every scalar before substitution.
_WRAPPED = re.compile(r"\$\{([^}\n]*)\}")
_OPEN, _CLOSE = "\ue000\ue001", "\ue002"


@dataclass(frozen=True)
class Problem:
    """One thing wrong, at a key path, on a line when the source has lines."""

    loc: Loc
    message: str
    line: int | None = None


@dataclass
class Source:
    """What the loader validates: the data, plus what it needs to point at lines and hide secrets."""

    name: str
    data: Any = None
    lines: dict[Loc, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    from_files: set[Loc] = field(default_factory=set)  # values that came from ${file:...}: never shown
    base_dir: Path | None = None  # what relative paths in values (state.path) are relative to

    def line_of(self, loc: Loc) -> int | None:
        """The line of the key at loc, or of the nearest enclosing key that exists."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                return line
        return None


def substitute(text: str, environ: Mapping[str, str], base_dir: Path) -> tuple[str, bool, list[str]]:
    """Expand references in one scalar: (value, whether a secret file was read, problems)."""
    problems: list[str] = []
    used_file = False

    def expand(match: re.Match[str]) -> str:
        nonlocal used_file
        whole, inner = match.group(0), match.group(1)
        if whole == "$${":
            return "${"
        if inner is None:
            problems.append("unterminated '${': close it with '}' (write '$${' for a literal '${')")
            return whole
        if inner.startswith("file:"):
            used_file = True
            return _read_secret_file(inner[5:], base_dir, problems)
        if not _NAME.fullmatch(inner):
            problems.append(f"'${{{inner}}}' is not a reference: use ${{NAME}} or ${{file:/path}}")
            return whole
        value = environ.get(inner)
        if value is None:
            problems.append(f"environment variable {inner} is not set")
            return whole
        return value

    return _REFERENCE.sub(expand, text), used_file, problems


def _read_secret_file(name: str, base_dir: Path, problems: list[str]) -> str:
    if not name:
        problems.append("'${file:}' needs a path")
        return ""
    path = base_dir / Path(name).expanduser()  # an absolute name replaces base_dir
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as error:
        problems.append(f"cannot read secret file {str(path)!r}: {error.strerror or error}")
    except UnicodeDecodeError:
        problems.append(f"secret file {str(path)!r} is not UTF-8 text")
    return ""


def read_yaml(text: str, *, name: str, environ: Mapping[str, str], base_dir: Path) -> Source:
    """Compose YAML text into a Source; syntax errors become problems with their line."""
    source = Source(name=name, base_dir=base_dir)
    try:
        root = yaml.compose(_WRAPPED.sub(rf"{_OPEN}\1{_CLOSE}", text), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        source.problems.append(_syntax_problem(error))
        return source
    except yaml.YAMLError as error:
        source.problems.append(Problem((), f"invalid YAML: {error}"))
        return source
    except RecursionError:  # PyYAML's parser recurses once per level: `[[[[...` thousands deep
        source.problems.append(Problem((), f"invalid YAML: nested deeper than {MAX_DEPTH} levels"))
        return source
    if root is None:
        empty = "the file is empty; it must be a mapping of settings (see rules/gateway.example.yaml)"
        source.problems.append(Problem((), empty))
        return source
    if not isinstance(root, MappingNode):
        source.problems.append(
            Problem((), f"the top level must be a mapping of keys, got {_kind(root)}", _line(root))
        )
        return source
    source.lines[()] = _line(root)
    source.data = _Walker(source, environ, base_dir).walk(root, ())
    return source


def _syntax_problem(error: yaml.MarkedYAMLError) -> Problem:
    """PyYAML's problem and context in one sentence, on the line where parsing stopped."""
    mark, context = error.problem_mark or error.context_mark, error.context
    text = _unwrap(error.problem or context or "unreadable")
    if mark is not None:
        text += f" (column {mark.column + 1})"
    if context and error.problem:
        if context.startswith("expected"):  # "expected a single document..., but found another"
            text = f"{context}, {text}"
        elif error.context_mark is not None:
            text += f", {context} that starts on line {error.context_mark.line + 1}"
    return Problem((), f"invalid YAML: {text}", mark.line + 1 if mark is not None else None)


def read_mapping(
    data: Mapping[str, Any], *, name: str, environ: Mapping[str, str] | None, base_dir: Path
) -> Source:
    """A Source for settings built in code; references are expanded only when environ is given."""
    source = Source(name=name, data=data, base_dir=base_dir)
    if environ is not None:
        source.data = _expand_plain(data, (), source, environ, base_dir)
    return source


def _expand_plain(value: Any, loc: Loc, source: Source, environ: Mapping[str, str], base_dir: Path) -> Any:
    if isinstance(value, Mapping):
        return {k: _expand_plain(v, (*loc, k), source, environ, base_dir) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_expand_plain(v, (*loc, i), source, environ, base_dir) for i, v in enumerate(value)]
    if isinstance(value, str):
        text, used_file, problems = substitute(value, environ, base_dir)
        if used_file:
            source.from_files.add(loc)
        source.problems.extend(Problem(loc, p) for p in problems)
        return None if problems else text
    return value


class _Walker:
    """Turns nodes into dicts, lists and scalars, recording lines and problems on the way."""

    def __init__(self, source: Source, environ: Mapping[str, str], base_dir: Path) -> None:
        self.source = source
        self.environ = environ
        self.base_dir = base_dir
        self.constructor = SafeConstructor()
        self.stack: set[int] = set()  # node ids being walked: a recursive alias must not loop

    def walk(self, node: Node, loc: Loc) -> Any:
        if len(loc) > MAX_DEPTH:
            self._problem(loc[:MAX_DEPTH], f"nested deeper than {MAX_DEPTH} levels", node)
            return None
        if id(node) in self.stack:
            self._problem(loc, "a recursive YAML alias cannot be a setting", node)
            return None
        self.stack.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, loc)
            if isinstance(node, SequenceNode):
                return self._sequence(node, loc)
            return self._scalar(node, loc)
        finally:
            self.stack.discard(id(node))

    def _mapping(self, node: MappingNode, loc: Loc) -> dict[str, Any]:
        try:
            self.constructor.flatten_mapping(node)  # "<<: *defaults" merge keys
        except ConstructorError as error:
            self._problem(loc, f"invalid merge key: {error.problem}", node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not (isinstance(key_node, ScalarNode) and key_node.tag == _STR_TAG):
                self._problem(loc, f"keys must be names, got {_kind(key_node)}", key_node)
                continue
            key = _unwrap(str(key_node.value))
            if key in result:
                first = self.source.lines[(*loc, key)]
                self._problem((*loc, key), f"duplicate key (first given on line {first})", key_node)
                continue
            self.source.lines[(*loc, key)] = _line(key_node)
            result[key] = self.walk(value_node, (*loc, key))
        return result

    def _sequence(self, node: SequenceNode, loc: Loc) -> list[Any]:
        items = []
        for index, item in enumerate(node.value):
            self.source.lines[(*loc, index)] = _line(item)
            items.append(self.walk(item, (*loc, index)))
        return items

    def _scalar(self, node: Node, loc: Loc) -> Any:
        if node.tag == _STR_TAG and isinstance(node.value, str):
            text, used_file, problems = substitute(_unwrap(node.value), self.environ, self.base_dir)
            if used_file:
                self.source.from_files.add(loc)
            for problem in problems:
                self._problem(loc, problem, node)
            return None if problems else text  # half-substituted text must not be mistaken for a value
        try:
            return self.constructor.construct_object(node, deep=True)
        except ConstructorError as error:
            self._problem(loc, f"unsupported YAML value: {error.problem}", node)
            return None
        except (ValueError, TypeError, ArithmeticError) as error:  # `!!timestamp 2001-99-99`
            self._problem(loc, f"unsupported YAML value: {error}", node)
            return None
        except AttributeError:  # `!!timestamp` with no text: PyYAML's regex finds no match
            self._problem(loc, f"unsupported YAML value: {node.value!r} is not a {node.tag}", node)
            return None

    def _problem(self, loc: Loc, message: str, node: Node) -> None:
        self.source.problems.append(Problem(loc, message, _line(node)))


def _unwrap(text: str) -> str:
    return text.replace(_OPEN, "${").replace(_CLOSE, "}")


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return "null" if str(node.tag).endswith(":null") else repr(_unwrap(str(node.value)))
