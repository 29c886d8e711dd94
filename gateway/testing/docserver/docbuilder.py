"""`POST /docbuilder`: Document Builder runs a script and returns links to the files it saved (§6).

Request: `{url (the .docbuilder script), async, key, argument, token}` under DS's usual JWT rules (body
`token` or the inbox header; only the token's payload counts), or the raw script as the body.
Answer (SRV `fillResponseBuilder`): `{key, urls: {<file name>: <signed cache link>}, end: true}`,
`{key, end: false}` while an async job runs (poll with that `key`), or `{error}` with the
conversion codes (-8 bad token, -4 script or source download failed, -10 too large, -3 the script
failed, -1 nothing to run or an unknown key). A new job gets the key `bld_<random>`.

The real builder runs JavaScript against the full document API; the simulator understands the
calls that make files, in source order: `builder.CreateFile("docx")`, `builder.OpenFile("<url>")`,
`….AddText("text")` (one paragraph each), `builder.SaveFile("pdf", "name.pdf")` (converting when
the type differs) and `builder.CloseFile()`. Other statements are ignored; `argument` is accepted
and not used.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ..documents import DocumentError, append_text, convert_document, make_document
from .cache import CacheFiles, base_url_from_request
from .egress import DownloadError, Egress
from .tokens import TokenError, request_params

__all__ = ["BuildJob", "DocBuilder", "ScriptError", "run_script"]

_STRING = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'"
_CALL = re.compile(
    rf"builder\s*\.\s*(?P<method>CreateFile|OpenFile|SaveFile|CloseFile)\s*\((?P<args>[^)]*)\)"
    rf"|\.\s*AddText\s*\(\s*(?P<text>{_STRING})\s*\)"
)
_ARG = re.compile(_STRING)
_NAME = re.compile(r"^[^/\\?#]{1,128}$")


class ScriptError(Exception):
    """The script cannot run: error -3, or -4/-10 when a file it opens cannot be fetched."""

    def __init__(self, message: str, code: int = -3) -> None:
        super().__init__(message)
        self.code = code


def _literal(text: str) -> str:
    if text.startswith("'"):
        text = '"' + text[1:-1].replace('\\"', '"').replace('"', '\\"') + '"'
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ScriptError(f"bad string literal {text}") from exc
    return str(value)


async def run_script(script: str, egress: Egress) -> dict[str, bytes]:
    """Run the builder calls of `script`; the files it saved, by name."""
    saved: dict[str, bytes] = {}
    current: tuple[str, bytes] | None = None  # (file type, content)
    for match in _CALL.finditer(script):
        if match.group("text") is not None:
            if current is None:
                raise ScriptError("AddText with no open file")
            text = _literal(match.group("text"))
            try:
                current = (current[0], append_text(current[0], current[1], text))
            except DocumentError as exc:
                raise ScriptError(str(exc)) from exc
            continue
        method = match.group("method")
        args = [_literal(a) for a in _ARG.findall(match.group("args"))]
        if method == "CreateFile":
            if not args:
                raise ScriptError("CreateFile needs a file type")
            try:
                current = (args[0].lower(), make_document(args[0].lower(), ""))
            except DocumentError as exc:
                raise ScriptError(str(exc)) from exc
        elif method == "OpenFile":
            if not args:
                raise ScriptError("OpenFile needs a URL")
            try:
                data = await egress.download(args[0], signed=egress.jwt_enabled)
            except DownloadError as exc:
                raise ScriptError(str(exc), -10 if exc.too_large else -4) from exc
            current = (args[0].rsplit("?", 1)[0].rsplit(".", 1)[-1].lower(), data)
        elif method == "SaveFile":
            if current is None or not args:
                raise ScriptError("SaveFile with no open file or no type")
            target = args[0].lower()
            name = args[1] if len(args) > 1 else f"output.{target}"
            if not _NAME.match(name):
                raise ScriptError(f"bad file name {name!r}")
            try:
                data = (
                    current[1] if target == current[0] else convert_document(current[1], current[0], target)
                )
            except DocumentError as exc:
                raise ScriptError(str(exc)) from exc
            saved[name] = data
        else:  # CloseFile
            current = None
    return saved


@dataclass
class BuildJob:
    key: str
    task: asyncio.Task[None] | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    error: int | None = None
    done: bool = False


@dataclass
class DocBuilder:
    egress: Egress
    cache: CacheFiles
    jobs: dict[str, BuildJob] = field(default_factory=dict)

    def add_to(self, app: web.Application) -> None:
        app.router.add_post("/docbuilder", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        return web.json_response(await self.build(request))

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], str | None]:
        """The request's params (token rules applied) and the raw script, if the body is one."""
        raw = await request.read()
        body: dict[str, Any] = {}
        script: str | None = None
        if raw.strip():
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                body = parsed
            else:
                script = raw.decode("utf-8", "replace")
        if not self.egress.jwt_enabled:
            return body, script
        params, _ = request_params(body, request.headers.get(self.egress.jwt_header), self.egress.jwt_secret)
        return params, script

    async def build(self, request: web.Request) -> dict[str, Any]:
        try:
            params, script = await self._params(request)
        except TokenError:
            return {"error": -8}
        key = params.get("key")
        url = params.get("url")
        is_async = params.get("async") in (True, "true")
        if isinstance(key, str) and key:
            job = self.jobs.get(key)
            if job is None:
                return {"error": -1}
        elif (isinstance(url, str) and url) or script:
            job = BuildJob(key="bld_" + secrets.token_hex(4))
            source = url if isinstance(url, str) and url else None
            job.task = asyncio.get_running_loop().create_task(self._run(job, source, script))
            self.jobs[job.key] = job
        else:
            return {"error": -1}
        if not job.done:
            if is_async:
                return {"key": job.key, "end": False}
            assert job.task is not None
            await asyncio.shield(job.task)
        if job.error is not None:
            return {"error": job.error}
        base = base_url_from_request(request)
        urls = {name: self.cache.link(base, job.key, name, name) for name in job.files}
        return {"key": job.key, "urls": urls, "end": True}

    async def _run(self, job: BuildJob, url: str | None, script: str | None) -> None:
        try:
            if url is not None:
                try:
                    source = await self.egress.download(url, signed=self.egress.jwt_enabled)
                except DownloadError as exc:
                    raise ScriptError(str(exc), -10 if exc.too_large else -4) from exc
                script = source.decode("utf-8", "replace")
            job.files = await run_script(script or "", self.egress)
            for name, data in job.files.items():
                self.cache.put(job.key, name, data)
        except ScriptError as exc:
            job.error = exc.code
        except Exception:
            job.error = -1
        job.done = True

    async def close(self) -> None:
        pending = [job.task for job in self.jobs.values() if job.task is not None and not job.done]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
