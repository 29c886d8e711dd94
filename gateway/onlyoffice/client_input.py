"""What clients send the plugin's routes, bounded before a handler reads it: JSON bodies and
query strings, each read one way.

JSON bodies. The Document Server's callbacks and the gateway's own pages (Convert, Download As,
Save As, reference data, the attachment picker) send JSON objects. Whatever they send, the answer is a
clear 4xx, never a 5xx: the media type is checked (415), the size is capped while reading (413),
and before anything is decoded one pass over the bytes, strings blanked out, rejects nesting deeper
than `proxy.max_json_depth` and number literals longer than `proxy.max_json_number_digits` (400) —
Python's decoder recurses once per bracket (100,000 nested arrays are a RecursionError) and turns
huge integer literals into huge ints. Invalid UTF-8, lone surrogates, `NaN` and anything that is
not an object are 400 too.

A refusal is a `Refusal` (`answers.py`): browser routes answer it as their usual `{"error": ...}`;
the callback route answers the Document Server's `{"error": 1}` shape with the same status.

Query strings. Every route of the plugin takes a handful of short parameters (`attachmentId`,
`token`, `lang`, `actionData`...). A longer query string than `proxy.max_query_bytes` is answered 414 and more
parameters than `proxy.max_query_params` 400, in the route's own style: an error page for the
pages browsers open, `{"error": ...}` for what the pages' scripts fetch, and the Document Server's
`{"error": 1}` for its callback and download. Proxied Confluence paths are not touched: their
request line is bounded by `proxy.max_header_bytes` alone, as Confluence's own server bounds it.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

from aiohttp import hdrs, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from gateway.onlyoffice.answers import Refusal, error_page, json_answer
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT, OnlyOfficeContext
from gateway.onlyoffice.signed_links import PagePurpose, valid_page_request
from gateway.proxy.plugin import Handler
from gateway.settings import ProxySettings

__all__ = [
    "BadBody",
    "JsonLimits",
    "RouteKind",
    "bounded_query",
    "check_json_shape",
    "page_request_attachment",
    "parse_json_object",
    "read_json_object",
    "read_page_json",
    "read_page_post",
]

log = logging.getLogger(__name__)

# A JSON string: quote, then runs of plain characters or escapes. Unrolled so it never backtracks.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_INNERMOST = re.compile(rb"\[\]|\{\}")
_JSON_TYPES = ("application/json",)


class BadBody(Refusal):
    """A body refused before any handler logic ran: 400 malformed, 413 too large, 415 wrong type."""


@dataclass(frozen=True, slots=True)
class JsonLimits:
    max_bytes: int
    max_depth: int
    max_number_digits: int

    @classmethod
    def for_pages(cls, proxy: ProxySettings) -> JsonLimits:
        """The gateway's own pages send a few short fields."""
        return cls(proxy.max_json_bytes, proxy.max_json_depth, proxy.max_json_number_digits)

    @classmethod
    def for_callbacks(cls, proxy: ProxySettings) -> JsonLimits:
        """Callbacks repeat everything in their token; long histories make them large, never deep."""
        return cls(proxy.max_callback_bytes, proxy.max_json_depth, proxy.max_json_number_digits)


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def check_json_shape(raw: bytes, limits: JsonLimits) -> None:
    """BadBody(400) when `raw` nests deeper than allowed, or carries an overlong number, or its
    brackets do not pair up; cheap (C-speed passes over the bytes), and before any decoding."""
    bare = _STRING.sub(b'""', raw)  # brackets and digits inside strings do not count
    if re.search(rb"[0-9]{%d}" % (limits.max_number_digits + 1), bare):
        raise BadBody(400, f"a number in the JSON body has more than {limits.max_number_digits} digits")
    brackets = bare.translate(None, _NOT_BRACKETS)
    # Each pass removes the innermost pairs, that is one level of nesting.
    for _ in range(limits.max_depth):
        if not brackets:
            return
        shorter = _INNERMOST.sub(b"", brackets)  # one pass over the original: `{[]}` loses one level
        if len(shorter) == len(brackets):
            raise BadBody(400, "the request body is not valid JSON")  # unbalanced brackets
        brackets = shorter
    if brackets:
        raise BadBody(400, f"the JSON body is nested deeper than {limits.max_depth} levels")


def parse_json_object(raw: bytes, limits: JsonLimits) -> dict[str, Any]:
    """The JSON object in `raw` (UTF-8), or BadBody(400) saying what is wrong with it."""
    check_json_shape(raw, limits)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadBody(400, "the request body is not UTF-8") from error
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:  # RecursionError: belt and braces after the shape check
        raise BadBody(400, "the request body is not valid JSON") from error
    if not isinstance(value, dict):
        raise BadBody(400, "the request body is not a JSON object")
    if "\\u" in text:
        # Only escapes can make lone surrogates, which no later step could encode.
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as error:
            raise BadBody(400, "the JSON body contains an unpaired surrogate escape") from error
    return value


def _media_type_problem(request: web.Request, *, lenient: bool) -> str | None:
    """Why the request's Content-Type is not acceptable for JSON; None when it is."""
    encoding = request.headers.get(hdrs.CONTENT_ENCODING, "identity").strip().lower()
    if encoding != "identity":  # the gateway never decodes request bodies (app.py)
        return f"compressed request bodies are not accepted (Content-Encoding: {encoding[:30]})"
    if hdrs.CONTENT_TYPE not in request.headers:
        return None if lenient else "the request has no Content-Type; send application/json"
    media_type = request.content_type.lower()
    if media_type in _JSON_TYPES or (media_type.startswith("application/") and media_type.endswith("+json")):
        pass
    elif not (lenient and media_type == "text/plain"):
        return f"the request body must be application/json, not {media_type[:60]}"
    charset = (request.charset or "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        return f"the request body must be UTF-8, not {charset[:30]}"
    return None


async def _read_capped(request: web.Request, max_bytes: int) -> bytes:
    """The whole body, or BadBody(413) past the cap (`content.read(n)` returns only what has arrived)."""
    too_large = BadBody(413, f"the request body is larger than {max_bytes} bytes")
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.content.iter_any():
            size += len(chunk)
            if size > max_bytes:
                raise too_large
            chunks.append(chunk)
    except (RequestPayloadError, HttpProcessingError) as error:  # a broken chunked encoding
        raise BadBody(400, "the request body could not be read") from error
    return b"".join(chunks)


async def read_json_object(
    request: web.Request, limits: JsonLimits, *, route: str, from_docserver: bool = False
) -> dict[str, Any]:
    """The request's JSON object, or BadBody with the status and message to answer.

    `from_docserver`: the Document Server always sends `application/json` (protocol §2.1), but a
    refused callback is not retried and its edit ends up "forgotten", so there a missing type and
    `text/plain` are tolerated, and an empty body is `{}` (the JWT may come in the header alone).
    Browser pages always send `application/json` and a body.
    """
    try:
        problem = _media_type_problem(request, lenient=from_docserver)
        if problem is not None:
            raise BadBody(415, problem)
        raw = await _read_capped(request, limits.max_bytes)
        if not raw.strip():
            if from_docserver:
                return {}
            raise BadBody(400, "the request has no JSON body")
        return parse_json_object(raw, limits)
    except BadBody as refusal:
        # Never the body or the query (the callback's query carries a token): what and how large.
        log.warning(
            "%s: request body refused (%s): %s; %s bytes from %s",
            route,
            refusal.status,
            refusal.message,
            request.content_length if request.content_length is not None else "unknown",
            request.remote,
        )
        raise


async def read_page_json(request: web.Request, proxy: ProxySettings, *, route: str) -> dict[str, Any]:
    """The JSON object a gateway page's script POSTs (Convert, Download As, Save As, pickers...)."""
    return await read_json_object(request, JsonLimits.for_pages(proxy), route=route)


def page_request_attachment(
    context: OnlyOfficeContext,
    request: web.Request,
    purpose: PagePurpose,
    body: Mapping[str, Any],
    *,
    refused: str,
    token_field: str = "csrf",
) -> str:
    """The attachment a page's POST names, once its token (`body[token_field]`) and Origin are the
    page's own; a 403 Refusal saying `refused` (in the page's words) otherwise."""
    attachment_id = str(body.get("attachmentId", ""))
    if not valid_page_request(context, request, purpose, attachment_id, body.get(token_field)):
        log.warning("%s refused: CSRF check failed for attachment %r", purpose, attachment_id[:20])
        raise Refusal(403, refused)
    return attachment_id


async def read_page_post(
    context: OnlyOfficeContext,
    request: web.Request,
    purpose: PagePurpose,
    *,
    refused: str,
    token_field: str = "csrf",
) -> tuple[dict[str, Any], str]:
    """A POST of one of the gateway's pages: its JSON body and the attachment it names, once the
    body (400/413/415) and the page's token and Origin (403, saying `refused`) are checked."""
    body = await read_page_json(request, context.settings.proxy, route=purpose)
    return body, page_request_attachment(
        context, request, purpose, body, refused=refused, token_field=token_field
    )


# ---- query strings -------------------------------------------------------------------------

# page: opened by a browser (HTML error page); script: fetched by a gateway page's script (JSON);
# docserver: called by the Document Server (its `{"error": 1}` shape).
RouteKind = Literal["page", "script", "docserver"]


def _problem(request: web.Request, max_bytes: int, max_params: int) -> tuple[int, str] | None:
    if len(request.query_string) > max_bytes:
        return 414, f"the query string is longer than {max_bytes} bytes"
    if request.query_string.count("&") + 1 > max_params and len(request.query) > max_params:
        return 400, f"the query string has more than {max_params} parameters"
    return None


def bounded_query(handler: Handler, kind: RouteKind) -> Handler:
    """`handler`, answering a query string beyond the caps itself (never reaching the handler)."""

    @functools.wraps(handler)
    async def bounded(request: web.Request) -> web.StreamResponse:
        context = request.config_dict[ONLYOFFICE_CONTEXT]
        proxy = context.settings.proxy
        found = _problem(request, proxy.max_query_bytes, proxy.max_query_params)
        if found is None:
            return await handler(request)
        status, message = found
        # The path only: the query may carry a link token.
        log.warning("%s refused (%s): %s, from %s", request.path, status, message, request.remote)
        if kind == "page":
            return error_page(context, request, status, "error.bad_address", "error.bad_address_detail")
        if kind == "docserver":
            return web.json_response({"error": 1, "message": message}, status=status)
        return json_answer({"error": message}, status)

    return bounded
