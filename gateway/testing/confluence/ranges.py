"""Byte ranges on the download servlet, as Confluence's own download code answers them.

Attachment bytes are not served by Tomcat's DefaultServlet but by Confluence's download servlet,
whose range support is `com.atlassian.confluence.web.rangerequest.RangeRequest`
(`parse(String headerValue, long contentLength)` returns *one* range; an unsatisfiable one raises
`RangeNotSatisfiableException`; documented in the Confluence javadoc 5.7 to 10.0). So:

- every download says `Accept-Ranges: bytes`;
- one satisfiable range (`a-b`, `a-`, `-n`) is a 206 with `Content-Range: bytes a-b/len`;
- a range starting at or beyond the end is a 416 with `Content-Range: bytes */len`;
- several ranges are not split into `multipart/byteranges` (there is no such path in a one-range
  parser); the simulator serves them, like a malformed header, as the whole file (200), which
  RFC 9110 14.2 allows any server to do. [I: the real answer to a multi-range request was not
  observed; 200 is the reading of the one-range API.]
- `If-Range` (RFC 9110 13.1.5): the range applies only when it names the current strong ETag or
  exactly the Last-Modified date; otherwise the whole file is sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

__all__ = ["ByteRange", "Unsatisfiable", "requested_range"]

_SINGLE = re.compile(r"bytes=(\d*)-(\d*)")


class Unsatisfiable(Exception):
    """A well-formed range that lies outside the file (416)."""


class ByteRange:
    """An inclusive byte range within a file of `length` bytes."""

    __slots__ = ("end", "length", "start")

    def __init__(self, start: int, end: int, length: int) -> None:
        self.start, self.end, self.length = start, end, length

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end}/{self.length}"


def _parse(header: str, length: int) -> ByteRange | None:
    """One `bytes=` range, None for anything to ignore (malformed, several ranges)."""
    match = _SINGLE.fullmatch(header.replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last n bytes
        count = int(last)
        if count == 0 or length == 0:
            raise Unsatisfiable(header)
        return ByteRange(max(0, length - count), length - 1, length)
    start = int(first)
    end = int(last) if last else length - 1
    if last and end < start:
        return None  # syntactically invalid (RFC 9110 14.1.1): ignored
    if start >= length:
        raise Unsatisfiable(header)
    return ByteRange(start, min(end, length - 1), length)


def _if_range_holds(if_range: str, etag: str, last_modified: str) -> bool:
    value = if_range.strip()
    if value.startswith(("W/", '"')):
        return not value.startswith("W/") and value == etag  # weak validators never match
    try:
        return parsedate_to_datetime(value) == parsedate_to_datetime(last_modified)
    except (TypeError, ValueError):
        return False


def requested_range(
    headers: Mapping[str, str], length: int, etag: str, last_modified: str
) -> ByteRange | None:
    """The range to answer with 206, None for the whole file; raises Unsatisfiable for a 416."""
    header = headers.get("Range")
    if not header:
        return None
    if_range = headers.get("If-Range")
    if if_range is not None and not _if_range_holds(if_range, etag, last_modified):
        return None
    return _parse(header, length)
