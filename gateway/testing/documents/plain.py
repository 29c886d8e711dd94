"""Plain text, CSV and RTF: the cheap formats, written and read with the standard library."""

from __future__ import annotations

import csv
import io
import re

from gateway.documents.textutil import split_lines

from .errors import DocumentError

__all__ = [
    "append_csv",
    "append_rtf",
    "append_txt",
    "csv_text",
    "make_csv",
    "make_rtf",
    "make_txt",
    "rtf_text",
    "txt_text",
]


def _decode(data: bytes, kind: str) -> str:
    if b"\x00" in data:
        raise DocumentError(f"not a {kind} file: it holds NUL bytes (binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not a {kind} file: it is not UTF-8 ({exc.reason} at byte {exc.start})") from exc


def make_txt(text: str) -> bytes:
    """UTF-8 lines, each ended by a newline."""
    return ("\n".join(split_lines(text)) + "\n").encode("utf-8")


def txt_text(data: bytes) -> str:
    text = _decode(data, "txt").replace("\r\n", "\n").replace("\r", "\n")
    return text[:-1] if text.endswith("\n") else text


def append_txt(data: bytes, text: str) -> bytes:
    return make_txt(txt_text(data) + "\n" + text)


def make_csv(text: str) -> bytes:
    """One row per line with the line as the single cell (quoted when it holds commas or quotes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in split_lines(text):
        writer.writerow([line] if line else [])
    return buffer.getvalue().encode("utf-8")


def csv_text(data: bytes) -> str:
    """Rows as lines, cells separated by tabs (as the spreadsheet readers do)."""
    try:
        rows = list(csv.reader(io.StringIO(_decode(data, "csv"), newline="")))
    except csv.Error as exc:
        raise DocumentError(f"not a valid csv file: {exc}") from exc
    return "\n".join("\t".join(row) for row in rows)


def append_csv(data: bytes, text: str) -> bytes:
    existing = _decode(data, "csv")
    if existing and not existing.endswith(("\n", "\r")):
        existing += "\r\n"
    return existing.encode("utf-8") + make_csv(text)


def _rtf_escape(line: str) -> str:
    out = []
    for char in line:
        code = ord(char)
        if char in "\\{}":
            out.append("\\" + char)
        elif char == "\t":
            out.append("\\tab ")
        elif 32 <= code < 128:
            out.append(char)
        elif code < 32:
            continue
        else:
            units = char.encode("utf-16-le")
            for at in range(0, len(units), 2):
                value = int.from_bytes(units[at : at + 2], "little")
                out.append(f"\\u{value - 65536 if value > 32767 else value}?")
    return "".join(out)


def _rtf_paragraphs(text: str) -> str:
    return "".join(f"{_rtf_escape(line)}\\par\n" for line in split_lines(text))


def make_rtf(text: str) -> bytes:
    """RTF 1.x with one \\par per line; non-ASCII as \\u escapes."""
    head = "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Helvetica;}}\\f0\\fs22\n"
    return (head + _rtf_paragraphs(text) + "}\n").encode("ascii")


_SKIP_DESTINATIONS = {
    "fonttbl",
    "colortbl",
    "stylesheet",
    "info",
    "pict",
    "header",
    "footer",
    "listtable",
    "listoverridetable",
    "generator",
    "xmlnstbl",
    "rsidtbl",
    "themedata",
    "datastore",
}
_TOKEN = re.compile(r"\\([a-zA-Z]+)(-?\d+)? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|([^\\{}\r\n]+)|[\r\n]+", re.S)


def rtf_text(data: bytes) -> str:
    """The paragraphs' text: a small tokenizer that skips font tables, pictures and `\\*` groups."""
    source = _decode(data, "rtf")
    if not source.lstrip().startswith("{\\rtf"):
        raise DocumentError("not an rtf file: it does not start with {\\rtf")
    out: list[str] = []
    stack: list[bool] = []
    skipping = False
    pending_skip = 0
    for match in _TOKEN.finditer(source):
        word, arg, hexbyte, symbol, brace, plain = match.groups()
        if brace == "{":
            stack.append(skipping)
        elif brace == "}":
            if not stack:
                raise DocumentError("not a valid rtf file: unbalanced braces")
            skipping = stack.pop()
        elif skipping:
            continue
        elif pending_skip and (plain or hexbyte):
            pending_skip = 0  # the ANSI fallback of the \u before it
            if plain:
                out.append(plain[1:])
        elif word:
            if word in _SKIP_DESTINATIONS:
                skipping = True
            elif word in ("par", "line"):
                out.append("\n")
            elif word == "tab":
                out.append("\t")
            elif word == "u" and arg is not None:
                value = int(arg)
                out.append(chr(value + 65536 if value < 0 else value))
                pending_skip = 1
        elif symbol == "*":
            skipping = True
        elif symbol in ("\\", "{", "}"):
            out.append(symbol)
        elif hexbyte:
            out.append(bytes([int(hexbyte, 16)]).decode("cp1252", errors="replace"))
        elif plain:
            out.append(plain)
    if stack:
        raise DocumentError("not a valid rtf file: it is truncated (unclosed group)")
    text = "".join(out).encode("utf-16", "surrogatepass").decode("utf-16", errors="replace")
    return text[:-1] if text.endswith("\n") else text


def append_rtf(data: bytes, text: str) -> bytes:
    """Insert paragraphs before the final closing brace."""
    rtf_text(data)
    source = _decode(data, "rtf")
    at = source.rstrip().rfind("}")
    return (source[:at] + _rtf_paragraphs(text) + source[at:]).encode("utf-8")
