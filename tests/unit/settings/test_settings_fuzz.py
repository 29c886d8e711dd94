"""Property: any YAML text gives valid settings or a ConfigError whose every line names the file
(and, when known, the line and key) — never another exception, never a traceback at start.

Three kinds of input: any text; YAML-looking token soup (brackets, anchors, aliases, tags, merge
keys, references); and the minimal valid config with one key replaced by any YAML value, so the
checks behind the parser (pydantic models, cross-field rules) are reached too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.settings import ConfigError, Settings, load_settings, parse_settings

ENVIRON = {"CONFLUENCE_TOKEN": "pat-0123456789", "DS_JWT_SECRET": "0123456789abcdef0123456789abcdef"}
SOURCE = "gateway.yaml"
MINIMAL: dict[str, Any] = {
    "public_url": "https://wiki.example.com/confluence",
    "confluence": {"url": "http://confluence:8090/confluence", "auth": {"token": "${CONFLUENCE_TOKEN}"}},
    "documentserver": {"public_url": "https://docs.example.com/", "jwt": {"secret": "${DS_JWT_SECRET}"}},
}
# Every key path of the models, so replacements land on real settings as well as unknown ones.
KEYS = [
    ("listen",),
    ("listen", "port"),
    ("listen", "host"),
    ("listen", "workers"),
    ("public_url",),
    ("internal_url",),
    ("confluence", "url"),
    ("confluence", "auth"),
    ("confluence", "auth", "token"),
    ("confluence", "auth", "username"),
    ("documentserver", "public_url"),
    ("documentserver", "internal_url"),
    ("documentserver", "jwt", "secret"),
    ("documentserver", "jwt", "header"),
    ("documentserver", "timeout"),
    ("rules",),
    ("injection",),
    ("injection", "paths"),
    ("proxy", "max_json_depth"),
    ("proxy", "max_query_bytes"),
    ("proxy", "trusted_proxies"),
    ("state", "redis_url"),
    ("state", "path"),
    ("logging", "level"),
    ("no_such_key",),
]
TOKENS = [
    "[", "]", "{", "}", ": ", ":", "- ", ", ", "\n", "  ", "&a ", "*a", "*b", "!!timestamp ",
    "!!binary ", "!!python/object:os.system ", "!!int ", "!!float ", "!!set ", "!custom ", "? ",
    "<<: ", "'", '"', "# c", "|\n", ">\n", "---\n", "...\n", "%YAML 1.1\n", "${CONFLUENCE_TOKEN}",
    "${MISSING}", "${file:/nonexistent}", "$${", "public_url", "listen", "port", "rules", "proxy",
    "1", "-1", "1e400", ".nan", "0x1F", "2001-99-99", "yes", "~", "null", "x", "\t", "\x00", "\ufeff",
    "\u202e", "\ud800", "é",
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["${CONFLUENCE_TOKEN}", "${MISSING}", "http://x", "/onlyoffice", "*", "10.0.0.0/8"])
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _replaced(path: tuple[str, ...], value: Any) -> str:
    config: dict[str, Any] = yaml.safe_load(yaml.safe_dump(MINIMAL))  # a deep copy
    node = config
    for part in path[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[path[-1]] = value
    return yaml.safe_dump(config, allow_unicode=True)


def _check(text: str, base_dir: Path) -> None:
    try:
        result = parse_settings(text, source=SOURCE, environ=ENVIRON, base_dir=base_dir)
    except ConfigError as error:
        assert error.problems, text
        for line in error.problems:
            assert line.startswith(SOURCE + ":"), line  # "gateway.yaml:3: listen.port: ..."
            assert "Traceback" not in line
    else:
        assert isinstance(result, Settings)


FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.text(max_size=200))
def test_any_text(tmp_path: Path, text: str) -> None:
    _check(text, tmp_path)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_yaml_token_soup(tmp_path: Path, text: str) -> None:
    _check(text, tmp_path)


@FUZZ
@given(st.sampled_from(KEYS), values)
def test_the_minimal_config_with_any_value_anywhere(
    tmp_path: Path, path: tuple[str, ...], value: Any
) -> None:
    _check(_replaced(path, value), tmp_path)


@FUZZ
@given(st.binary(max_size=200))
def test_any_file_bytes(tmp_path: Path, data: bytes) -> None:
    """Through the file reader too: not UTF-8, BOMs, NULs."""
    path = tmp_path / SOURCE
    path.write_bytes(data)
    try:
        result = load_settings(path, environ=ENVIRON)
    except ConfigError as error:
        assert all(line.startswith(str(path) + ":") for line in error.problems), error.problems
    else:
        assert isinstance(result, Settings)


def test_the_minimal_config_is_valid(tmp_path: Path) -> None:
    assert isinstance(parse_settings(_replaced(("listen", "port"), 8080), environ=ENVIRON), Settings)


# Examples that found bugs, kept as regular tests: PyYAML's parser recursed into a RecursionError,
# `!!timestamp` with an impossible date raised ValueError from the constructor, and an empty one
# AttributeError.
@pytest.mark.parametrize(
    "text",
    [
        "[" * 1500 + "]" * 1500,
        "public_url: " + "[" * 1500,
        "{" * 1500,
        "- " * 1500 + "x",
        "listen: " + "[" * 40 + "]" * 40,
        "listen: !!timestamp 2001-99-99",
        "listen: {port: !!int 0xZZ}",
        "listen: {port: !!float abc}",
        ":<<: !!timestamp ",  # an empty timestamp: AttributeError inside PyYAML
        "listen: !!timestamp",
    ],
)
def test_examples_that_found_bugs(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings(text, source=SOURCE, environ=ENVIRON, base_dir=tmp_path)
    assert all(line.startswith(SOURCE + ":") for line in raised.value.problems)
