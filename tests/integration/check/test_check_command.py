"""`check` against small real servers on loopback that answer as Confluence and the Document Server do.

The stubs follow shared/reference: Confluence's /status and /rest/api/user/current (200 "known" for
good credentials, 401 with X-Seraph-LoginReason for bad ones, 200 "anonymous" without any), and the
Document Server's /healthcheck (text "true"/"false", always 200), POST /command (always HTTP 200;
error 6 for a bad token; the body token wins over the header) and api.js.
"""

from __future__ import annotations

import asyncio
import base64
import io
import socket
import sys
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.check import run_check
from gateway.settings import Settings, load_settings_from_mapping

TOKEN = "pat-NzY1NDMyMTA5ODc2"
SECRET = "ds-jwt-secret-0123456789abcdefghij"
API_JS = "/web-apps/apps/api/documents/api.js"
REPO = Path(__file__).resolve().parents[3]

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
RECEIVED = web.AppKey("received", list[dict[str, Any]])


def confluence_app(context: str = "/confluence", state: str = "RUNNING") -> web.Application:
    async def status(request: web.Request) -> web.Response:
        return web.json_response({"state": state})

    async def current_user(request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        if not auth:
            return web.json_response({"type": "anonymous", "displayName": "Anonymous"})
        if auth in (f"Bearer {TOKEN}", "Basic " + base64.b64encode(b"svc:pass word").decode()):
            return web.json_response(
                {"type": "known", "username": "svc", "userKey": "8a7f", "displayName": "Svc"}
            )
        return web.Response(
            status=401,
            text="<html><body>Unauthorized</body></html>",
            content_type="text/html",
            headers={"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"},
        )

    app = web.Application()
    app.router.add_get(f"{context}/status", status)
    app.router.add_get(f"{context}/rest/api/user/current", current_user)
    return app


def docserver_app(
    *, secret: str = SECRET, healthy: bool = True, delay: float = 0.0, command_path: str = "/command"
) -> web.Application:
    received: list[dict[str, Any]] = []

    async def healthcheck(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        return web.Response(text="true" if healthy else "false", content_type="text/plain")

    async def command(request: web.Request) -> web.Response:
        body = await request.json()
        received.append({"body": body, "headers": dict(request.headers)})
        token = body.get("token")
        if token is None:
            header = request.headers.get("Authorization", "")
            token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        try:
            with warnings.catch_warnings():  # the Document Server takes short secrets without a word
                warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
                claims = jwt.decode(token or "", secret, algorithms=["HS256", "HS384", "HS512"], leeway=60)
        except jwt.InvalidTokenError:
            return web.json_response({"error": 6})
        params = {**claims, **claims.get("payload", {})}
        if params.get("c") != "version":
            return web.json_response({"error": 5})
        return web.json_response({"error": 0, "version": "8.3.0.100"})

    async def api_js(request: web.Request) -> web.Response:
        return web.Response(text="var DocsAPI = {};", content_type="application/javascript")

    app = web.Application()
    app[RECEIVED] = received
    app.router.add_get("/healthcheck", healthcheck)
    app.router.add_post(command_path, command)
    app.router.add_get(API_JS, api_js)
    return app


def settings_for(confluence: TestServer, docserver: TestServer, **changes: Any) -> Settings:
    auth = changes.pop("auth", {"token": TOKEN})
    documentserver = {
        "public_url": str(docserver.make_url("/")),
        "jwt": {"secret": changes.pop("secret", SECRET)},
        "timeout": changes.pop("timeout", 10),
        **changes.pop("documentserver", {}),
    }
    return load_settings_from_mapping(
        {
            "public_url": "https://wiki.example.com/confluence",
            "confluence": {"url": str(confluence.make_url("/confluence")), "auth": auth},
            "documentserver": documentserver,
            **changes,
        }
    )


async def check(settings: Settings) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = await run_check(settings, out=out)
    text = out.getvalue()
    assert TOKEN not in text and SECRET not in text and "pass word" not in text
    return code, [" ".join(line.split()) for line in text.splitlines()]


async def test_everything_answers(aiohttp_server: ServerFactory) -> None:
    confluence = await aiohttp_server(confluence_app())
    docserver = await aiohttp_server(docserver_app())
    code, lines = await check(settings_for(confluence, docserver, listen={"workers": 1}))
    base, ds = confluence.make_url("/confluence"), docserver.make_url("")
    assert lines == [
        "OK config valid",
        f"OK confluence status {base}/status: RUNNING",
        "OK confluence account authenticated as 'svc'",
        f"OK docserver health {ds}/healthcheck: true",
        "OK docserver version version 8.3.0.100, JWT secret accepted",
        f"OK docserver api.js {ds}{API_JS}: served to browsers",
        "OK shared state in memory (one worker; set state.path to keep it across restarts)",
        "all checks passed",
    ]
    assert code == 0


async def test_command_is_signed_in_body_and_configured_header(aiohttp_server: ServerFactory) -> None:
    confluence = await aiohttp_server(confluence_app())
    ds_app = docserver_app()
    docserver = await aiohttp_server(ds_app)
    settings = settings_for(
        confluence, docserver, documentserver={"jwt": {"secret": SECRET, "header": "AuthorizationJwt"}}
    )
    code, _ = await check(settings)
    assert code == 0
    (request,) = ds_app[RECEIVED]
    body_claims = jwt.decode(request["body"]["token"], SECRET, algorithms=["HS256"])
    assert body_claims["c"] == "version" and body_claims["exp"] - body_claims["iat"] == 300
    header = request["headers"]["AuthorizationJwt"]
    assert header.startswith("Bearer ")
    assert jwt.decode(header[7:], SECRET, algorithms=["HS256"])["payload"] == {"c": "version"}
    assert "Authorization" not in request["headers"]


async def test_basic_auth_and_internal_url(aiohttp_server: ServerFactory) -> None:
    """Health and commands go to internal_url; api.js is checked where browsers load it."""
    confluence = await aiohttp_server(confluence_app())
    internal = await aiohttp_server(docserver_app())
    public = await aiohttp_server(docserver_app(healthy=False))  # would fail health if asked
    settings = settings_for(
        confluence,
        public,
        auth={"username": "svc", "password": "pass word"},
        documentserver={"internal_url": str(internal.make_url("/"))},
    )
    code, lines = await check(settings)
    assert code == 0, lines
    assert f"OK docserver health {internal.make_url('')}/healthcheck: true" in lines
    assert f"OK docserver api.js {public.make_url('')}{API_JS}: served to browsers" in lines


async def test_document_server_under_the_gateway_is_probed_at_internal_url(
    aiohttp_server: ServerFactory,
) -> None:
    """With the Document Server under the gateway's path, api.js comes through the gateway, which
    need not run during `check`: everything is probed at internal_url, the public URL is reported."""
    confluence = await aiohttp_server(confluence_app())
    internal = await aiohttp_server(docserver_app())
    settings = load_settings_from_mapping(
        {
            "public_url": "https://wiki.example.com/confluence",
            "confluence": {"url": str(confluence.make_url("/confluence")), "auth": {"token": TOKEN}},
            "documentserver": {
                "public_url": "/onlyoffice",
                "internal_url": str(internal.make_url("/")),
                "jwt": {"secret": SECRET},
                "timeout": 10,
            },
        }
    )
    code, lines = await check(settings)
    assert code == 0, lines
    ds = internal.make_url("")
    assert f"OK docserver health {ds}/healthcheck: true" in lines
    assert (
        f"OK docserver api.js {ds}{API_JS}: served to browsers by the gateway at "
        f"https://wiki.example.com/onlyoffice{API_JS}"
    ) in lines


async def test_rejected_credentials_and_secret(aiohttp_server: ServerFactory) -> None:
    confluence = await aiohttp_server(confluence_app())
    docserver = await aiohttp_server(docserver_app(secret="the-document-servers-other-secret-0123"))
    code, lines = await check(settings_for(confluence, docserver, auth={"token": "pat-wrong-0000000"}))
    assert "FAIL confluence account credentials rejected by Confluence (HTTP 401)" in lines
    assert (
        "FAIL docserver version JWT secret rejected by the Document Server (error 6: invalid token)" in lines
    )
    assert lines[-1] == "2 check(s) failed"
    assert code == 1


async def test_unhealthy_stopped_and_wrong_servers(aiohttp_server: ServerFactory) -> None:
    confluence = await aiohttp_server(confluence_app(state="STARTING"))
    docserver = await aiohttp_server(docserver_app(healthy=False))
    not_ds = await aiohttp_server(confluence_app())  # a server that is not the Document Server
    settings = settings_for(confluence, not_ds, documentserver={"internal_url": str(docserver.make_url("/"))})
    code, lines = await check(settings)
    base = confluence.make_url("/confluence")
    assert f"FAIL confluence status {base}/status: Confluence is STARTING, not RUNNING" in lines
    assert (
        f"FAIL docserver health {docserver.make_url('')}/healthcheck: the Document Server reports it is "
        "not healthy (answered 'false')"
    ) in lines
    assert f"FAIL docserver api.js {not_ds.make_url('')}{API_JS}: HTTP 404" in lines
    assert code == 1


async def test_wrong_context_path_and_nothing_listening(aiohttp_server: ServerFactory) -> None:
    confluence = await aiohttp_server(confluence_app(context="/wiki"))
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = load_settings_from_mapping(
        {
            "public_url": "https://wiki.example.com/confluence",
            "confluence": {"url": str(confluence.make_url("/confluence")), "auth": {"token": TOKEN}},
            "documentserver": {"public_url": f"http://127.0.0.1:{port}", "jwt": {"secret": SECRET}},
        }
    )
    code, lines = await check(settings)
    assert f"FAIL confluence status {confluence.make_url('/confluence')}/status: HTTP 404" in lines
    refused = [line for line in lines if line.startswith("FAIL docserver")]
    assert len(refused) == 2
    assert all(f"cannot connect to 127.0.0.1:{port}:" in line for line in refused)
    assert "SKIP docserver version the Document Server is not reachable" in lines
    assert code == 1


async def test_timeouts_are_reported(aiohttp_server: ServerFactory) -> None:
    confluence = await aiohttp_server(confluence_app())
    docserver = await aiohttp_server(docserver_app(delay=5.0))
    code, lines = await check(settings_for(confluence, docserver, timeout=0.3))
    assert "FAIL docserver health no answer within 0.3 s" in lines
    assert "SKIP docserver version the Document Server is not reachable" in lines
    assert code == 1


async def test_short_secret_is_a_warning_not_a_failure(aiohttp_server: ServerFactory) -> None:
    confluence = await aiohttp_server(confluence_app())
    docserver = await aiohttp_server(docserver_app(secret="short"))
    code, lines = await check(settings_for(confluence, docserver, secret="short"))
    assert lines[1].startswith("WARN config documentserver.jwt.secret: shorter than 32 bytes")
    assert code == 0


async def test_cli_check_command(aiohttp_server: ServerFactory, tmp_path: Path) -> None:
    confluence = await aiohttp_server(confluence_app())
    docserver = await aiohttp_server(docserver_app())
    config = tmp_path / "gateway.yaml"
    config.write_text(
        "public_url: https://wiki.example.com/confluence\n"
        f"confluence: {{url: '{confluence.make_url('/confluence')}', auth: {{token: ${{TOKEN}}}}}}\n"
        f"documentserver: {{public_url: '{docserver.make_url('/')}', jwt: {{secret: ${{file:secret}}}}}}\n"
    )
    (tmp_path / "secret").write_text(SECRET + "\n")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "check",
        "--config",
        str(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO,
        env={"TOKEN": TOKEN},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, (stdout, stderr)
    assert stdout.decode().splitlines()[-1] == "all checks passed"
    assert TOKEN.encode() not in stdout + stderr and SECRET.encode() not in stdout + stderr


@pytest.mark.parametrize("status", [302, 500])
async def test_unexpected_answers(aiohttp_server: ServerFactory, status: int) -> None:
    async def odd(request: web.Request) -> web.Response:
        headers = {"Location": "/login.action?os_destination=x"} if status == 302 else {}
        return web.Response(status=status, headers=headers, text="nope")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", odd)
    server = await aiohttp_server(app)
    docserver = await aiohttp_server(docserver_app())
    code, lines = await check(settings_for(server, docserver))
    base = server.make_url("/confluence")
    if status == 302:
        assert lines[1] == (
            f"FAIL confluence status {base}/status: HTTP 302 redirect to '/login.action?os_destination=x'; "
            "is the context path in confluence.url right?"
        )
    else:
        assert lines[1] == f"FAIL confluence status {base}/status: HTTP 500"
        assert lines[2] == f"FAIL confluence account {base}/rest/api/user/current: HTTP 500"
    assert code == 1


async def test_unreachable_confluence_skips_the_account_check(aiohttp_server: ServerFactory) -> None:
    docserver = await aiohttp_server(docserver_app())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = load_settings_from_mapping(
        {
            "public_url": "https://wiki.example.com/confluence",
            "confluence": {"url": f"http://127.0.0.1:{port}/confluence", "auth": {"token": TOKEN}},
            "documentserver": {"public_url": str(docserver.make_url("/")), "jwt": {"secret": SECRET}},
        }
    )
    code, lines = await check(settings)
    assert lines[1].startswith(f"FAIL confluence status cannot connect to 127.0.0.1:{port}:")
    assert lines[2] == "SKIP confluence account Confluence is not reachable"
    assert [line.split()[0] for line in lines[3:6]] == ["OK", "OK", "OK"]
    assert lines[-1] == "1 check(s) failed"
    assert code == 1


async def test_document_server_before_8_2_has_only_the_legacy_command_path(
    aiohttp_server: ServerFactory,
) -> None:
    confluence = await aiohttp_server(confluence_app())
    docserver = await aiohttp_server(docserver_app(command_path="/coauthoring/CommandService.ashx"))
    code, lines = await check(settings_for(confluence, docserver))
    assert "OK docserver version version 8.3.0.100, JWT secret accepted" in lines
    assert code == 0


async def _state_line(aiohttp_server: ServerFactory, **changes: Any) -> tuple[int, str]:
    confluence = await aiohttp_server(confluence_app())
    docserver = await aiohttp_server(docserver_app())
    code, lines = await check(settings_for(confluence, docserver, **changes))
    (line,) = [line for line in lines if "shared state" in line]
    return code, line


async def test_state_file_to_be_created_is_reported_and_not_created(
    aiohttp_server: ServerFactory, tmp_path: Path
) -> None:
    path = tmp_path / "new" / "state.sqlite3"
    code, line = await _state_line(aiohttp_server, state={"path": str(path)})
    assert line == f"OK shared state SQLite file {path}: created at start (in {tmp_path}); state.path"
    assert code == 0 and not path.parent.exists()


async def test_several_workers_without_state_settings_use_the_default_file(
    aiohttp_server: ServerFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path))
    _, line = await _state_line(aiohttp_server, listen={"workers": 3})
    assert line.startswith(f"OK shared state SQLite file {tmp_path}/state.sqlite3: created at start")
    assert line.endswith("default for 3 workers; set state.path to choose")


async def test_a_state_file_that_is_not_a_database_fails(
    aiohttp_server: ServerFactory, tmp_path: Path
) -> None:
    path = tmp_path / "state.sqlite3"
    path.write_text("not a database\n")
    code, line = await _state_line(aiohttp_server, state={"path": str(path)})
    assert line == f"FAIL shared state SQLite file {path} exists but is not an SQLite database"
    assert code == 1


async def test_redis_state_answering_and_not(aiohttp_server: ServerFactory, redis_url: str) -> None:
    code, line = await _state_line(aiohttp_server, state={"redis_url": redis_url})
    assert line == "OK shared state Redis answers PING (state.redis_url)" and code == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))  # bound, never listening: nothing answers there
        dead = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
        code, line = await _state_line(aiohttp_server, state={"redis_url": dead})
    assert line == "FAIL shared state Redis (state.redis_url) does not answer PING" and code == 1
