"""A small HTML tokenizer that reports tags with their offsets in the original text.

It is the pure-Python scanner's reader (the fallback when lol-html is missing). Why not
`html.parser`: we never re-serialise, we only need where tags start and end, and we must skip what
HTML5 skips (comments, raw-text element contents, script data with its escaped states, quoted
attribute values; foreign SVG/MathML content where nothing is raw text and CDATA is real), so that
markup-looking text in a script or a comment is never mistaken for an attachment row. Compiled
regular expressions walk the document tag by tag, on bytes directly, so offsets are byte offsets
and the output can be spliced without decoding the page. The tests check it against lol-html's
tokenizer on the HTML5 corner cases.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any, Literal

__all__ = ["Token", "parse_attributes", "tokens"]

_WS = r"[\t\n\f\r ]"
# An attribute: HTML5 names run to whitespace, "/", ">" or "="; values are quoted or run to
# whitespace or ">". Atomic groups and possessive quantifiers keep a tag that never closes (EOF)
# from backtracking exponentially.
_NAME = r"[^\t\n\f\r />][^\t\n\f\r />=]*+"
_VALUE = r"\"[^\"]*\"|'[^']*'|[^\t\n\f\r >]*+"
_BODY = rf"(?:[\t\n\f\r /]++|(?>{_NAME}(?:{_WS}*+={_WS}*+(?:{_VALUE}))?))*+"
# Raw-text and RCDATA elements whose contents are text up to their own end tag. <script> has
# its own (escaped) states, <plaintext> never ends; both are handled apart.
_RAW = "style|textarea|title|xmp|iframe|noembed|noframes|noscript"
_COMMENT = r"!--(?:-?>|(?:[^-]++|-(?!-!?>))*+(?:--!?>|\Z))"  # includes the abrupt <!--> and <!--->
_TAGS = (
    rf"|(?P<start>[a-z][^\t\n\f\r />]*+){_BODY}>"
    rf"|/(?P<end>[a-z][^\t\n\f\r />]*+){_BODY}>"
    r"|(?:[!?]|/(?![a-z]))[^>]*+(?:>|\Z)"  # doctype, bogus comments, </ followed by a non-letter
)
# One literal "<" first, so the engine can skip text between tags at full speed.
_HTML = (
    rf"(?is)<(?:{_COMMENT}"
    rf"|(?P<raw>(?P<rawname>{_RAW})(?=[\t\n\f\r />]){_BODY}>)"
    rf"(?:[^<]++|<(?!/(?P=rawname)[\t\n\f\r />]))*+"
    rf"|(?P<script>script(?=[\t\n\f\r />]){_BODY}>)"
    rf"|(?P<plain>plaintext(?=[\t\n\f\r />]){_BODY}>)[\s\S]*+"
    rf"{_TAGS})"
)
# Inside <svg> and <math> nothing is raw text, and CDATA sections are real.
_FOREIGN = rf"(?is)<(?:{_COMMENT}|!\[CDATA\[.*?(?:\]\]>|\Z){_TAGS})"
_ATTR = rf"({_NAME})(?:{_WS}*+={_WS}*+(\"[^\"]*\"|'[^']*'|[^\t\n\f\r >]*+))?"
# Script data: "<!--" opens the escaped state, where "<script" opens the double-escaped state, in
# which "</script" is text (HTML5 tokenizer, script data states).
_SCRIPT_DATA = r"(?i)<!--|</script(?=[\t\n\f\r />])"
_SCRIPT_ESCAPED = r"(?i)--+>|</script(?=[\t\n\f\r />])|<script(?=[\t\n\f\r />])"
_SCRIPT_DOUBLE = r"(?i)--+>|</script(?=[\t\n\f\r />])"
_DASHES_GT = r"-*>"


class _Patterns:
    """The compiled expressions for one document type (str or bytes)."""

    def __init__(self, encode: bool) -> None:
        def compile_(pattern: str) -> re.Pattern[Any]:
            return re.compile(pattern.encode() if encode else pattern)

        self.html = compile_(_HTML)
        self.foreign = compile_(_FOREIGN)
        self.script_data = compile_(_SCRIPT_DATA)
        self.script_escaped = compile_(_SCRIPT_ESCAPED)
        self.script_double = compile_(_SCRIPT_DOUBLE)
        self.dashes_gt = compile_(_DASHES_GT)


_STR = _Patterns(encode=False)
_BYTES = _Patterns(encode=True)
_ATTR_STR = re.compile(_ATTR)

Kind = Literal["start", "end"]


class Token:
    """A start or end tag: lower-cased name, its source text, where it is, and whether it was read
    inside SVG/MathML content (where a self-closing tag really closes)."""

    __slots__ = ("end", "foreign", "kind", "name", "start", "text")

    def __init__(
        self, kind: Kind, name: str, text: bytes | str, start: int, end: int, foreign: bool = False
    ) -> None:
        self.kind = kind
        self.name = name
        self.text = text
        self.start = start
        self.end = end
        self.foreign = foreign


def _script_end(document: Any, position: int, patterns: _Patterns) -> int:
    """Where the script's text that starts at `position` ends (its `</script`, or the end)."""
    state = "data"
    while True:
        if state == "data":
            match = patterns.script_data.search(document, position)
            if match is None:
                return len(document)
            if match.group()[:2] in ("</", b"</"):
                return match.start()
            position = match.end()
            state = "escaped"
            closed = patterns.dashes_gt.match(document, position)  # "<!-->" and "<!--->" close at once
            if closed is not None:
                position, state = closed.end(), "data"
        else:
            pattern = patterns.script_escaped if state == "escaped" else patterns.script_double
            match = pattern.search(document, position)
            if match is None:
                return len(document)
            text = match.group()
            if text[:1] in ("-", b"-"):
                state = "data"
            elif text[:2] in ("</", b"</"):
                if state == "escaped":
                    return match.start()
                state = "escaped"
            else:
                state = "double"
            position = match.end()


def tokens(document: bytes | str) -> Iterator[Token]:
    """Start and end tags in document order; text, comments and raw-text contents are skipped."""
    is_bytes = isinstance(document, bytes)
    patterns = _BYTES if is_bytes else _STR
    names: dict[Any, str] = {}  # raw tag name -> lower-case str (a page uses few distinct names)
    # Elements that switch between HTML and foreign (SVG/MathML) content, innermost last.
    namespaces: list[str] = []
    position: int | None = 0
    while position is not None:
        foreign = bool(namespaces) and namespaces[-1] in ("svg", "math")
        pattern = patterns.foreign if foreign else patterns.html
        # finditer runs until the reading mode changes (script data, foreign content); then restart.
        restart: int | None = None
        for match in pattern.finditer(document, position):
            group = match.lastgroup
            if group is None:
                continue
            if group == "start" or group == "end":
                raw = match.group(group)
                name = names.get(raw)
                if name is None:
                    name = names[raw] = _ascii(raw).lower()
                kind: Kind = "start" if group == "start" else "end"
                if foreign and kind == "start" and _breaks_out(name, match.group()):
                    # An HTML element in SVG/MathML ends the foreign content. HTML5 leaves every
                    # level; lol-html (the other scanner) only the innermost: in <svg><svg> the
                    # element is still foreign (an <img> there is not void). As lol-html does.
                    namespaces.pop()
                    still = bool(namespaces) and namespaces[-1] in ("svg", "math")
                    yield Token(kind, name, match.group(), match.start(), match.end(), still)
                    restart = match.end()
                    break
                yield Token(kind, name, match.group(), match.start(), match.end(), foreign)
                if group == "start":
                    # lol-html (the other scanner) opens foreign content even for a self-closed <svg/>.
                    if name in ("svg", "math") or (foreign and name in _INTEGRATION_POINTS[namespaces[-1]]):
                        namespaces.append(name)
                        restart = match.end()
                        break
                elif namespaces and namespaces[-1] == name:
                    namespaces.pop()
                    restart = match.end()
                    break
                continue
            text = match.group(group)  # raw, script or plain: the start tag without "<"
            name_end = 0
            while name_end < len(text) and text[name_end : name_end + 1] not in _TAG_NAME_END:
                name_end += 1
            name = _ascii(text[:name_end]).lower()
            yield Token("start", name, _LT[is_bytes] + text, match.start(), match.end(group))
            if group == "script":
                restart = _script_end(document, match.end(), patterns)
                break
        position = restart


_BREAKOUT = frozenset(
    [
        "b",
        "big",
        "blockquote",
        "body",
        "br",
        "center",
        "code",
        "dd",
        "div",
        "dl",
        "dt",
        "em",
        "embed",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "hr",
        "i",
        "img",
        "li",
        "listing",
        "menu",
        "meta",
        "nobr",
        "ol",
        "p",
        "pre",
        "ruby",
        "s",
        "small",
        "span",
        "strong",
        "strike",
        "sub",
        "sup",
        "table",
        "tt",
        "u",
        "ul",
        "var",
    ]
)
_FONT_BREAKOUT = re.compile(r"(?i)[\t\n\f\r /](?:color|face|size)[\t\n\f\r /=>]")
_FONT_BREAKOUT_BYTES = re.compile(_FONT_BREAKOUT.pattern.encode())


def _breaks_out(name: str, tag: bytes | str) -> bool:
    if name in _BREAKOUT:
        return True
    if name != "font":
        return False
    found = _FONT_BREAKOUT_BYTES.search(tag) if isinstance(tag, bytes) else _FONT_BREAKOUT.search(tag)
    return found is not None


_TAG_NAME_END = frozenset(
    ["\t", "\n", "\f", "\r", " ", "/", ">", b"\t", b"\n", b"\f", b"\r", b" ", b"/", b">"]
)
_LT: dict[bool, Any] = {False: "<", True: b"<"}
# Elements inside SVG/MathML whose content is HTML again (HTML5 "integration points").
_INTEGRATION_POINTS = {
    "svg": frozenset(["foreignobject", "desc", "title"]),
    "math": frozenset(["mi", "mo", "mn", "ms", "mtext", "annotation-xml"]),
}


def _ascii(name: bytes | str) -> str:
    return name.decode("ascii", "replace") if isinstance(name, bytes) else name


def parse_attributes(tag: bytes | str) -> dict[str, str]:
    """A start tag's attributes, names lower-cased, values decoded; the first of duplicates wins."""
    text = tag.decode("utf-8", "replace") if isinstance(tag, bytes) else tag
    # Skip "<name"; what is left is the attribute list up to ">".
    body_start = 1
    while body_start < len(text) and text[body_start] not in "\t\n\f\r />":
        body_start += 1
    found: dict[str, str] = {}
    for match in _ATTR_STR.finditer(text, body_start, len(text) - 1):
        name = match.group(1).lower()
        if name in found:
            continue
        raw = match.group(2)
        if raw is None:
            value = ""
        elif raw[:1] in ("'", '"'):
            value = raw[1:-1]
        else:
            value = raw
        found[name] = html.unescape(value) if "&" in value else value
    return found
