"""The JSON reader's checks on their own: what passes is exactly what json.loads gives, what does
not is a BadBody (400) — for any bytes, never another exception."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.onlyoffice.client_input import BadBody, JsonLimits, parse_json_object

LIMITS = JsonLimits(max_bytes=1 << 20, max_depth=8, max_number_digits=20)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**15), 10**15) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)  # fmt: skip


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_objects_within_the_limits_read_as_json_loads_reads_them(value: dict[str, Any]) -> None:
    for raw in (json.dumps(value).encode(), json.dumps(value, ensure_ascii=False).encode()):
        if _depth(value) <= LIMITS.max_depth:
            assert parse_json_object(raw, LIMITS) == json.loads(raw)
        else:
            with pytest.raises(BadBody, match="nested deeper"):
                parse_json_object(raw, LIMITS)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=300)
    | st.lists(st.sampled_from(list('[]{}":,\\0123456789 -.eEtrufalsn\x00\xff')), max_size=80).map(
        lambda t: "".join(t).encode("utf-8", "surrogatepass")
    )
)
def test_any_bytes_are_an_object_or_a_bad_body(raw: bytes) -> None:
    try:
        assert isinstance(parse_json_object(raw, LIMITS), dict)
    except BadBody as refusal:
        assert refusal.status == 400 and refusal.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"a": "' + b"[" * 32 + b'"}', {"a": "[" * 32}),  # brackets in strings do not count
        (b'{"a": [{"b": [{"c": [{"d": [1]}]}]}]}', {"a": [{"b": [{"c": [{"d": [1]}]}]}]}),  # 8, mixed
        (b'{"a": "\\"[[[[[[[[[[[[[[[[[[[[\\\\"}', {"a": '"' + "[" * 20 + "\\"}),  # escaped quotes
        (
            b'{"n": "12345678901234567890123456789"}',
            {"n": "12345678901234567890123456789"},
        ),  # digits in strings
        (b'{"a": [[[[[[[1]]]]]]]}', {"a": [[[[[[[1]]]]]]]}),  # depth 8: the limit
        (b'{"k": "\\ud83d\\ude00"}', {"k": "\U0001f600"}),  # a surrogate pair is fine
    ],
)
def test_what_looks_suspicious_but_is_fine(raw: bytes, expected: dict[str, Any]) -> None:
    assert parse_json_object(raw, LIMITS) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a": [[[[[[[[1]]]]]]]]}', "nested deeper than 8"),
        # `{[]}` once counted as one level (two replaces in one pass): mixed nesting got twice the depth
        (b'{"a": [{"b": [{"c": [{"d": [{}]}]}]}]}', "nested deeper than 8"),
        (b'{"n": 123456789012345678901}', "more than 20 digits"),
        (b'{"n": 1e123456789012345678901}', "more than 20 digits"),
        (b'{"k": "\\udc00"}', "surrogate"),
        (b'{"k": Infinity}', "not valid JSON"),
        (b"\xef\xbb\xbf{}", "not valid JSON"),  # a BOM
        (b'{"a": 1]', "not valid JSON"),
        (b'"just a string"', "not a JSON object"),
    ],
)
def test_what_is_refused_and_why(raw: bytes, message: str) -> None:
    with pytest.raises(BadBody, match=message) as refused:
        parse_json_object(raw, LIMITS)
    assert refused.value.status == 400
