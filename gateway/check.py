"""`onlyoffice-gateway check`: is this config going to work? Ask the systems it names.

Each probe is what the gateway itself will do at run time, so a green report means the service
account, the JWT secret and the URLs are right: Confluence's `/status` and `/rest/api/user/current`
with the service account, the Document Server's `/healthcheck`, a signed `version` command (the
cheapest call that proves the JWT secret), and the public `api.js` that browsers will load.
Failures are reported, never raised; secrets are never printed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TextIO

import aiohttp

from gateway.confluence.client import service_authorization
from gateway.docserver.jwt import bearer_value, sign, sign_header_payload
from gateway.logs import redact
from gateway.settings import Settings, settings_warnings
from gateway.state import RedisState, StateUnavailable, choose_state
from gateway.state.sqlite import inspect_file

__all__ = ["API_JS_PATH", "CheckResult", "run_check", "service_account_headers", "sign_command"]

API_JS_PATH = "/web-apps/apps/api/documents/api.js"
_BODY_LIMIT = 64 * 1024  # a probe never needs more; a wrong URL may point at something huge


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # OK, FAIL, WARN or SKIP
    detail: str
    reached: bool = True  # False when the server could not be reached at all


class _Failed(Exception):
    """A probe's verdict: the message is what the report shows."""


def service_account_headers(settings: Settings) -> dict[str, str]:
    """Authorization for the service account: Bearer for a token (PAT), Basic for a password."""
    return {"Authorization": service_authorization(settings.confluence.auth)}


def sign_command(settings: Settings, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A command-service request signed both ways, as ONLYOFFICE's examples do: body and header."""
    jwt_settings = settings.documentserver.jwt
    secret = jwt_settings.secret.get_secret_value()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a short secret is reported by the check itself
        body_token = sign(body, secret)
        header_token = sign_header_payload(body, secret)
    return {**body, "token": body_token}, {jwt_settings.header: bearer_value(header_token)}


async def _read(response: aiohttp.ClientResponse) -> bytes:
    return await response.content.read(_BODY_LIMIT)


def _redirect(response: aiohttp.ClientResponse) -> str:
    return f"HTTP {response.status} redirect to {response.headers.get('Location', '?')!r}"


async def _confluence_status(session: aiohttp.ClientSession, settings: Settings) -> str:
    url = f"{settings.confluence.url}/status"
    async with session.get(url, allow_redirects=False) as response:
        if 300 <= response.status < 400:
            raise _Failed(f"{url}: {_redirect(response)}; is the context path in confluence.url right?")
        if response.status != 200:
            raise _Failed(f"{url}: HTTP {response.status}")
        try:
            state = json.loads(await _read(response)).get("state")
        except (ValueError, AttributeError):
            raise _Failed(f"{url}: not Confluence's status JSON") from None
    if state != "RUNNING":
        raise _Failed(f"{url}: Confluence is {state}, not RUNNING")
    return f"{url}: RUNNING"


async def _confluence_account(session: aiohttp.ClientSession, settings: Settings) -> str:
    url = f"{settings.confluence.url}/rest/api/user/current"
    async with session.get(url, headers=service_account_headers(settings), allow_redirects=False) as response:
        if response.status == 401:
            reason = response.headers.get("X-Seraph-LoginReason", "")
            hint = " (login denied: too many failures, CAPTCHA required)" if "DENIED" in reason else ""
            raise _Failed(f"credentials rejected by Confluence (HTTP 401){hint}")
        if 300 <= response.status < 400:
            raise _Failed(f"{url}: {_redirect(response)}")
        if response.status != 200:
            raise _Failed(f"{url}: HTTP {response.status}")
        try:
            user = json.loads(await _read(response))
            kind, name = user.get("type"), user.get("username")
        except (ValueError, AttributeError):
            raise _Failed(f"{url}: not a Confluence user JSON") from None
    if kind != "known":
        raise _Failed(f"credentials not accepted: Confluence treats the service account as {kind!r}")
    return f"authenticated as {name!r}"


def _internal_ds(settings: Settings) -> str:
    return settings.documentserver.internal_url or settings.documentserver.public_url


async def _ds_health(session: aiohttp.ClientSession, settings: Settings) -> str:
    url = f"{_internal_ds(settings)}/healthcheck"
    async with session.get(url, allow_redirects=False) as response:
        if response.status != 200:
            raise _Failed(f"{url}: HTTP {response.status}")
        body = (await _read(response)).decode("utf-8", "replace").strip()
    if body != "true":
        raise _Failed(f"{url}: the Document Server reports it is not healthy (answered {body[:40]!r})")
    return f"{url}: true"


async def _ds_version(session: aiohttp.ClientSession, settings: Settings) -> str:
    # /command exists since 8.2; older servers only have the legacy CommandService.ashx.
    for path in ("/command", "/coauthoring/CommandService.ashx"):
        url = f"{_internal_ds(settings)}{path}"
        body, headers = sign_command(settings, {"c": "version"})
        async with session.post(url, json=body, headers=headers, allow_redirects=False) as response:
            if response.status == 404 and path == "/command":
                continue
            if response.status != 200:
                raise _Failed(f"{url}: HTTP {response.status}")
            try:
                answer = json.loads(await _read(response))
                error = answer.get("error")
            except (ValueError, AttributeError):
                raise _Failed(f"{url}: not a command-service answer") from None
        break
    if error == 6:
        raise _Failed("JWT secret rejected by the Document Server (error 6: invalid token)")
    if error == 7:
        raise _Failed("the Document Server says the token expired (error 7): compare the clocks")
    if error != 0:
        raise _Failed(f"{url}: command service error {error}")
    return f"version {answer.get('version')}, JWT secret accepted"


async def _ds_api_js(session: aiohttp.ClientSession, settings: Settings) -> str:
    public = f"{settings.documentserver.public_url}{API_JS_PATH}"
    # Under the gateway's own path the public URL is this gateway, which need not be running yet:
    # probe what it will proxy to.
    mounted = settings.docserver_prefix is not None
    url = f"{_internal_ds(settings)}{API_JS_PATH}" if mounted else public
    async with session.get(url, allow_redirects=False) as response:
        if response.status != 200:
            raise _Failed(f"{url}: HTTP {response.status}")
        kind = response.headers.get("Content-Type", "")
        if "javascript" not in kind and "ecmascript" not in kind:
            raise _Failed(f"{url}: answered {kind or 'no Content-Type'}, not JavaScript")
    if mounted:
        return f"{url}: served to browsers by the gateway at {public}"
    return f"{url}: served to browsers"


async def _shared_state(session: aiohttp.ClientSession, settings: Settings) -> str:
    """Where locks and pending saves will live, and whether that works (the file is not created)."""
    choice = choose_state(settings.state, workers=settings.listen.worker_count)
    if settings.state.redis_url:
        redis = RedisState(settings.state.redis_url)
        try:
            if not await redis.ping():
                raise _Failed("Redis (state.redis_url) does not answer PING")
        finally:
            await redis.close()
        return "Redis answers PING (state.redis_url)"
    if choice.path is None:
        return choice.describe()
    try:
        return f"{inspect_file(choice.path)}; {choice.why}"
    except StateUnavailable as error:
        raise _Failed(str(error)) from None


async def _probe(
    name: str,
    probe: Callable[[aiohttp.ClientSession, Settings], Awaitable[str]],
    session: aiohttp.ClientSession,
    settings: Settings,
    timeout: float,
) -> CheckResult:
    try:
        async with asyncio.timeout(timeout):
            return CheckResult(name, "OK", await probe(session, settings))
    except _Failed as failure:
        return CheckResult(name, "FAIL", str(failure))
    except TimeoutError:
        return CheckResult(name, "FAIL", f"no answer within {timeout:g} s", reached=False)
    except aiohttp.ClientConnectorError as error:
        detail = f"cannot connect to {error.host}:{error.port}: {error.os_error}"
        return CheckResult(name, "FAIL", detail, reached=False)
    except (aiohttp.ClientError, OSError, ValueError) as error:
        return CheckResult(name, "FAIL", f"{type(error).__name__}: {error}")


async def run_check(settings: Settings, *, out: TextIO | None = None) -> int:
    """Probe everything the config names and print one line per check; 0 only if all passed."""
    stream = out or sys.stdout
    results = [CheckResult("config", "OK", "valid")]
    for loc, text in settings_warnings(settings):
        results.append(CheckResult("config", "WARN", f"{'.'.join(map(str, loc))}: {text}"))
    confluence_timeout = settings.confluence.connect_timeout + 30.0
    ds_timeout = min(settings.documentserver.timeout, 30.0)
    connector = aiohttp.TCPConnector(limit=4)
    async with aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),  # never send one probe's session cookie with the next
        timeout=aiohttp.ClientTimeout(connect=settings.confluence.connect_timeout),
        requote_redirect_url=False,
    ) as session:
        status = await _probe("confluence status", _confluence_status, session, settings, confluence_timeout)
        results.append(status)
        if status.reached:
            results.append(
                await _probe("confluence account", _confluence_account, session, settings, confluence_timeout)
            )
        else:
            results.append(CheckResult("confluence account", "SKIP", "Confluence is not reachable"))
        health = await _probe("docserver health", _ds_health, session, settings, ds_timeout)
        results.append(health)
        if health.reached:
            results.append(await _probe("docserver version", _ds_version, session, settings, ds_timeout))
        else:
            results.append(CheckResult("docserver version", "SKIP", "the Document Server is not reachable"))
        results.append(await _probe("docserver api.js", _ds_api_js, session, settings, ds_timeout))
        results.append(await _probe("shared state", _shared_state, session, settings, 10.0))
    width = max(len(r.name) for r in results)
    for result in results:
        # Probe details quote what the other side sent: scrub them as a log line would be.
        detail = result.detail if result.name == "config" else redact(result.detail)
        print(f"{result.status:<4}  {result.name:<{width}}  {detail}", file=stream)
    failed = sum(r.status == "FAIL" for r in results)
    print(f"{failed} check(s) failed" if failed else "all checks passed", file=stream)
    return 1 if failed else 0
