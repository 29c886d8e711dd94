"""decode -> response filters -> re-encode, streaming, for the responses a filter asks for.

The core decides eligibility (RFC 9110 rules an intermediary must follow), each filter decides
interest. Re-encoding uses the same Content-Coding the upstream chose, so the browser sees the
same kind of response it negotiated. Decoding is bounded per step (decompression bombs produce
many modest chunks, never one huge one).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from typing import Protocol

import brotli  # type: ignore[import-untyped]
from aiohttp import web
from multidict import CIMultiDict

from gateway.proxy.plugin import BodyTransform, ResponseFilter

__all__ = ["FilterPipeline", "start_pipeline"]

_STEP = 256 * 1024  # max decoded bytes produced per decompression step
_NEVER = frozenset({204, 206, 304})
# Level 1, nginx's default (gzip_comp_level): re-compressing a rewritten attachments page (50
# attachments, ~230 KiB of HTML) took a tenth of a worker's time at zlib's default 6; level 1 takes
# less than half as long, for a body a fifth larger (10.5 vs 8.9 KiB for 150 KiB of that HTML).
_GZIP_LEVEL = 1


class _Codec(Protocol):
    def decode(self, data: bytes) -> Iterator[bytes]: ...
    def decode_end(self) -> bytes: ...
    def encode(self, data: bytes) -> bytes: ...
    def encode_end(self) -> bytes: ...


class _Identity:
    def decode(self, data: bytes) -> Iterator[bytes]:
        yield data

    def decode_end(self) -> bytes:
        return b""

    def encode(self, data: bytes) -> bytes:
        return data

    def encode_end(self) -> bytes:
        return b""


class _Zlib:
    """gzip (wbits 16+15) or deflate (zlib wrapper; raw deflate accepted too, as browsers do)."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._wbits = 16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS
        self._d = zlib.decompressobj(self._wbits)
        self._c = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, self._wbits)
        self._first = True

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._first and not self._gzip and data:
            self._first = False
            header = len(data) >= 2 and (data[0] & 0x0F) == 8 and (data[0] << 8 | data[1]) % 31 == 0
            if not header:  # no zlib header: raw deflate, as some servers send
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)
        out = self._d.decompress(data, _STEP)
        while out:
            yield out
            if not self._d.unconsumed_tail and len(out) < _STEP:
                break  # a full step may leave output pending even with all input consumed
            out = self._d.decompress(self._d.unconsumed_tail, _STEP)

    def decode_end(self) -> bytes:
        return self._d.flush()

    def encode(self, data: bytes) -> bytes:
        return self._c.compress(data)

    def encode_end(self) -> bytes:
        return self._c.flush()


class _Brotli:
    def __init__(self) -> None:
        self._d = brotli.Decompressor()
        self._c = brotli.Compressor(quality=4)

    def decode(self, data: bytes) -> Iterator[bytes]:
        # Drain fully: output can still be buffered even when can_accept_more_data() is True.
        out = self._d.process(data, output_buffer_limit=_STEP)
        while out:
            yield out
            out = self._d.process(b"", output_buffer_limit=_STEP)

    def decode_end(self) -> bytes:
        if not self._d.is_finished():
            raise ValueError("truncated brotli stream")
        return b""

    def encode(self, data: bytes) -> bytes:
        return bytes(self._c.process(data))

    def encode_end(self) -> bytes:
        return bytes(self._c.finish())


def _codec(coding: str) -> _Codec | None:
    coding = coding.strip().lower()
    if coding in ("", "identity"):
        return _Identity()
    if coding in ("gzip", "x-gzip"):
        return _Zlib(gzip=True)
    if coding == "deflate":
        return _Zlib(gzip=False)
    if coding == "br":
        return _Brotli()
    return None  # zstd, chained codings...: passed through untouched


class FilterPipeline:
    """One response's decoder, ordered transforms and encoder; feed upstream bytes, get client bytes."""

    def __init__(self, codec: _Codec, transforms: Sequence[BodyTransform]) -> None:
        self._codec = codec
        self._transforms = transforms

    async def _through(self, data: bytes, index: int = 0) -> bytes:
        for transform in self._transforms[index:]:
            if not data:
                return b""
            data = await transform.feed(data)
        return data

    async def feed(self, chunk: bytes) -> bytes:
        out = [self._codec.encode(await self._through(part)) for part in self._codec.decode(chunk)]
        return b"".join(out)

    async def finish(self) -> bytes:
        data = await self._through(self._codec.decode_end())
        parts = [self._codec.encode(data)]
        # Each transform flushes in order; its tail still passes through the later transforms.
        for index, transform in enumerate(self._transforms):
            parts.append(self._codec.encode(await self._through(await transform.finish(), index + 1)))
        parts.append(self._codec.encode_end())
        return b"".join(parts)


def _eligible(request: web.Request, status: int, headers: CIMultiDict[str]) -> bool:
    if request.method != "GET" or status < 200 or status >= 300 or status in _NEVER:
        return False
    cache_control = ",".join(headers.getall("Cache-Control", ())).lower()
    return "no-transform" not in cache_control


def _weaken(etag: str) -> str:
    return etag if etag.startswith("W/") else f"W/{etag}"


def _add_vary(headers: CIMultiDict[str], names: Sequence[str]) -> None:
    present = {v.strip().lower() for value in headers.getall("Vary", ()) for v in value.split(",")}
    if "*" in present:
        return
    missing = [n for n in dict.fromkeys(names) if n.lower() not in present]
    if missing:
        existing = ", ".join(headers.popall("Vary", ()))
        headers["Vary"] = ", ".join(filter(None, [existing, *missing]))


def start_pipeline(
    request: web.Request,
    status: int,
    headers: CIMultiDict[str],
    filters: Sequence[ResponseFilter],
) -> FilterPipeline | None:
    """Ask each filter about this response; None means "stream it byte for byte".

    When some filter wants it, `headers` are adjusted for a transformed body: no Content-Length or
    Content-MD5, a weak ETag, Vary extended. Content-Encoding is kept (same coding re-applied).
    """
    if not filters or not _eligible(request, status, headers):
        return None
    codings = headers.getall("Content-Encoding", ())
    if len(codings) > 1 or (codings and "," in codings[0]):
        return None
    codec = _codec(codings[0] if codings else "")
    if codec is None:
        return None
    transforms: list[BodyTransform] = []
    vary: list[str] = []
    for response_filter in filters:
        transform = response_filter.start(request, status, headers)
        if transform is not None:
            transforms.append(transform)
            vary.extend(response_filter.vary)
    if not transforms:
        return None
    headers.popall("Content-Length", None)
    headers.popall("Content-MD5", None)
    etag = headers.get("ETag")
    if etag is not None:
        headers["ETag"] = _weaken(etag)
    if codings:
        vary.insert(0, "Accept-Encoding")
    _add_vary(headers, vary)
    return FilterPipeline(codec, transforms)
