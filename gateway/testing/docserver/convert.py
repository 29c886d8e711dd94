"""Conversion API (reference §4): `/converter` (JSON first) and `/ConvertService.ashx` (XML first).

Always HTTP 200 with the error in the body; results cached per (key, outputtype) like DS's
`conv_<key>_<format>` tasks. Download (-4), size (-10) and password (-5) errors are forgotten once
reported, so the next identical request starts again (DS marks them ErrToReload, and NeedPassword
while `openProtectedFile` is on, its default); the others, -3 for a file that cannot be read as its
type among them, stick to the key. A protected file is found by its content, whatever `filetype`
says, as DS's format checker does; nothing is decrypted, so a `password` does not help here.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

from ..documents import DocumentError, convert_document, protection_of
from .cache import CacheFiles, base_url_from_request
from .egress import DownloadError, Egress
from .sessions import KEY_PATTERN
from .tokens import TokenError, request_params

__all__ = ["Converter", "negotiate", "read_request_params"]

_FAMILIES: dict[str, tuple[str, str]] = {}
for _exts, _ooxml, _odf in (
    (
        "doc docx docm dot dotx dotm odt ott fodt rtf txt html htm mht mhtml epub fb2 md docxf oform "
        "pdf djvu xps oxps hwp hwpx",
        "docx",
        "odt",
    ),
    ("xls xlsx xlsm xlsb xlt xltx xltm ods ots fods csv numbers", "xlsx", "ods"),
    ("ppt pptx pptm pps ppsx ppsm pot potx potm odp otp fodp key odg", "pptx", "odp"),
):
    for _ext in _exts.split():
        _FAMILIES[_ext] = (_ooxml, _odf)

_KNOWN_OUTPUTS = set(_FAMILIES) | {"png", "jpg", "jpeg", "bmp", "gif", "ooxml", "odf", "zip"}
_RETRYABLE = frozenset({-4, -5, -10})
_ALNUM = re.compile(r"^[0-9a-zA-Z]+$")


class ConvertError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class PasswordRequired(Exception):
    """The source is encrypted or rights-managed (DS: CONVERT_PASSWORD / CONVERT_DRM, reported as -5)."""


def _convert(data: bytes, filetype: str, target: str) -> bytes:
    """DS's converter: a protected file stops it before any reader runs; unreadable input is a DocumentError."""
    if protection_of(data) is not None:
        raise PasswordRequired
    return convert_document(data, filetype, target)


def negotiate(accept: str | None, offered: tuple[str, str]) -> str:
    """Express's `req.accepts([...])` for 'json'/'xml': best quality wins, ties go to the first offer."""
    media = {"json": ("application", "json"), "xml": ("application", "xml")}
    if not accept:
        return offered[0]
    ranges: list[tuple[str, str, float]] = []
    for part in accept.split(","):
        bits = [b.strip() for b in part.split(";")]
        kind, _, sub = bits[0].partition("/")
        q = 1.0
        for param in bits[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranges.append((kind.lower(), sub.lower(), q))

    def quality(name: str) -> float:
        kind, sub = media[name]
        best, specificity = 0.0, -1
        for rkind, rsub, q in ranges:
            if name == "xml" and rkind == "text" and rsub == "xml":
                rkind = "application"
            if (rkind, rsub) == (kind, sub):
                spec = 2
            elif rkind == kind and rsub == "*":
                spec = 1
            elif rkind == "*":
                spec = 0
            else:
                continue
            if spec > specificity:
                best, specificity = q, spec
        return best

    scores = [(quality(name), -index, name) for index, name in enumerate(offered)]
    score, _, name = max(scores)
    return name if score > 0 else offered[0]


async def read_request_params(request: web.Request, egress: Egress) -> dict[str, Any]:
    """Body JSON (or the query of a legacy GET), then the JWT rules: only the token payload counts.

    Raises ValueError for a body that is not a JSON object and TokenError for a missing/bad token.
    """
    body: dict[str, Any] = dict(request.query)
    if request.method == "POST":
        raw = await request.read()
        if raw.strip():
            parsed = json.loads(raw)  # ValueError for the caller
            if not isinstance(parsed, dict):
                raise ValueError("request body is not a JSON object")
            body.update(parsed)
    if not egress.jwt_enabled:
        return body
    params, _ = request_params(body, request.headers.get(egress.jwt_header), egress.jwt_secret)
    return params


@dataclass
class ConvertTask:
    doc_id: str
    file_type: str
    name: str
    task: asyncio.Task[None] | None = None
    done: bool = False
    error: int | None = None


@dataclass
class Converter:
    egress: Egress
    cache: CacheFiles
    delay: float = 0.0
    tasks: dict[tuple[str, str], ConvertTask] = field(default_factory=dict)

    def _validate(self, params: dict[str, Any]) -> tuple[str, str, str, str, str, bool]:
        url = params.get("url")
        key = params.get("key")
        filetype = params.get("filetype", params.get("fileType"))
        outputtype = params.get("outputtype", params.get("outputType"))
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise ConvertError(-7)
        if not isinstance(filetype, str) or not _ALNUM.match(filetype):
            raise ConvertError(-7)
        if not isinstance(outputtype, str) or outputtype.lower() not in _KNOWN_OUTPUTS:
            raise ConvertError(-7)
        if not isinstance(url, str) or not url:
            raise ConvertError(-7)
        password = params.get("password")
        if password is not None and (not isinstance(password, str) or len(password) > 255):
            raise ConvertError(-7)
        filetype, outputtype = filetype.lower(), outputtype.lower()
        if outputtype in ("ooxml", "odf"):
            family = _FAMILIES.get(filetype)
            if family is None:
                raise ConvertError(-9)
            outputtype = family[0] if outputtype == "ooxml" else family[1]
        title = params.get("title")
        stem = str(title).rsplit(".", 1)[0] if isinstance(title, str) and title else "output"
        is_async = params.get("async") in (True, "true", "True")
        return url, key, filetype, outputtype, f"{stem}.{outputtype}", is_async

    async def _run(self, job: ConvertTask, url: str, filetype: str) -> None:
        try:
            data = await self.egress.download(url, signed=self.egress.jwt_enabled)
            if self.delay:
                await asyncio.sleep(self.delay)
            output = await asyncio.to_thread(_convert, data, filetype, job.file_type)
            self.cache.put(job.doc_id, f"output.{job.file_type}", output)
        except DownloadError as exc:
            job.error = -10 if exc.too_large else -4
        except PasswordRequired:
            job.error = -5
        except DocumentError:
            job.error = -3
        except Exception:
            job.error = -1
        job.done = True

    async def convert(self, request: web.Request) -> dict[str, Any]:
        """One converter request; returns the response fields (`error` or the progress/result)."""
        try:
            try:
                params = await read_request_params(request, self.egress)
            except TokenError:
                raise ConvertError(-8) from None
            except ValueError:
                raise ConvertError(-7) from None
            url, key, filetype, outputtype, name, is_async = self._validate(params)
        except ConvertError as exc:
            return {"error": exc.code}
        task_key = (key, outputtype)
        job = self.tasks.get(task_key)
        if job is None:
            job = ConvertTask(doc_id=f"conv_{key}_{outputtype}", file_type=outputtype, name=name)
            job.task = asyncio.get_running_loop().create_task(self._run(job, url, filetype))
            self.tasks[task_key] = job
        if not job.done:
            if is_async:
                return {"endConvert": False, "percent": 0}
            assert job.task is not None
            await asyncio.shield(job.task)
        if job.error is not None:
            if job.error in _RETRYABLE:
                self.tasks.pop(task_key, None)
            return {"error": job.error}
        link = self.cache.link(base_url_from_request(request), job.doc_id, f"output.{job.file_type}", name)
        return {"endConvert": True, "fileType": job.file_type, "fileUrl": link, "percent": 100}

    async def close(self) -> None:
        pending = [job.task for job in self.tasks.values() if job.task is not None and not job.done]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def render(result: dict[str, Any], fmt: str) -> web.Response:
    if fmt == "json":
        return web.json_response(result)
    if "error" in result:
        inner = f"<Error>{int(result['error'])}</Error>"
    elif result.get("endConvert"):
        inner = (
            f"<FileUrl>{escape(result['fileUrl'])}</FileUrl><FileType>{escape(result['fileType'])}</FileType>"
            "<Percent>100</Percent><EndConvert>True</EndConvert>"
        )
    else:
        percent = int(result.get("percent", 0))
        inner = f"<FileUrl/><FileType/><Percent>{percent}</Percent><EndConvert>False</EndConvert>"
    text = f'<?xml version="1.0" encoding="utf-8"?><FileResult>{inner}</FileResult>'
    return web.Response(text=text, content_type="application/xml", charset="utf-8")


def handler(converter: Converter, offered: tuple[str, str]) -> Any:
    async def handle(request: web.Request) -> web.Response:
        fmt = negotiate(request.headers.get("Accept"), offered)
        return render(await converter.convert(request), fmt)

    return handle
