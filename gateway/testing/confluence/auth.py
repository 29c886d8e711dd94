"""Seraph-like authentication and the XSRF rules (reference §2.1-§2.7).

Order as Seraph: session (JSESSIONID), remember-me cookie (seraph.confluence, which creates a new
session), then the Authorization header (Basic or PAT Bearer).  Bad credentials are a non-JSON 401
with `X-Seraph-LoginReason`; no credentials is anonymous.  Every response names the user in
`X-AUSERNAME`, as Confluence's access log relies on.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from gateway.testing.confluence.common import (
    CONFIG,
    SESSION,
    SESSIONS,
    STORE,
    USER,
    RouteHandler,
    Session,
    origin_of,
)
from gateway.testing.confluence.store import User

__all__ = [
    "ADMIN_GROUP",
    "REMEMBER_ME_AGE",
    "SERAPH_COOKIE",
    "atl_token",
    "auth_middleware",
    "is_admin",
    "new_session",
    "open_session",
    "rest_xsrf_middleware",
    "set_session_cookie",
    "websudo_active",
    "xsrf_checked",
    "xsrf_failure",
]

#: Confluence's administrators group: who may see `/admin/...` at all
ADMIN_GROUP = "confluence-administrators"

SERAPH_COOKIE = "seraph.confluence"
REMEMBER_ME_AGE = 14 * 24 * 3600
_BROWSER_UA = re.compile(r"mozilla|opera|msie|trident", re.IGNORECASE)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
_MUTATING = frozenset({"POST", "PUT", "DELETE", "PATCH"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def new_session(request: web.Request, user: User) -> Session:
    session = Session(secrets.token_hex(16).upper(), user.username)
    request.app[SESSIONS][session.id] = session
    return session


def open_session(app: web.Application, username: str) -> str:
    """A logged-in JSESSIONID for ``username`` without the login form (for tests of cookie forwarding)."""
    session = Session(secrets.token_hex(16).upper(), app[STORE].users[username].username)
    app[SESSIONS][session.id] = session
    return session.id


def set_session_cookie(request: web.Request, response: web.StreamResponse, session: Session) -> None:
    path = request.app[CONFIG].context_path or "/"
    response.set_cookie(
        "JSESSIONID", session.id, path=path, httponly=True, secure=origin_of(request).startswith("https:")
    )


def _unauthorized(reason: str = "AUTHENTICATED_FAILED") -> web.Response:
    return web.Response(
        status=401,
        text=f"Basic Authentication Failure - Reason : {reason}",
        headers={"X-Seraph-LoginReason": reason, "WWW-Authenticate": 'Basic realm="Confluence"'},
    )


def _from_authorization(request: web.Request, header: str) -> User | web.Response | None:
    store = request.app[STORE]
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            username, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return _unauthorized()
        user = store.check_password(username, password)
        return user if user is not None else _unauthorized()
    if scheme.lower() == "bearer":
        user = store.user_by_token(value.strip())
        return user if user is not None else _unauthorized()
    return None


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Resolve the caller into request[USER]/request[SESSION]; tag the response."""
    store = request.app[STORE]
    sessions = request.app[SESSIONS]
    user: User | None = None
    session: Session | None = None
    created: Session | None = None
    login_reason: str | None = None
    sid = request.cookies.get("JSESSIONID")
    if sid and sid in sessions and sessions[sid].username in store.users:
        session = sessions[sid]
        user = store.users[session.username]
    elif (token := request.cookies.get(SERAPH_COOKIE)) and token in store.remember_me:
        user = store.users.get(store.remember_me[token])
        if user is not None:
            session = created = new_session(request, user)
    if user is None and (header := request.headers.get("Authorization")):
        resolved = _from_authorization(request, header)
        if isinstance(resolved, web.Response):
            resolved.headers["X-AUSERNAME"] = "anonymous"
            return resolved
        if resolved is not None:
            user = resolved
            login_reason = "OK"
    request[USER] = user
    request[SESSION] = session
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # router 404/405: still tagged, then re-raised
        _tag(request, exc, created, login_reason)
        raise
    _tag(request, response, created, login_reason)
    return response


def _tag(
    request: web.Request, response: web.StreamResponse, created: Session | None, login_reason: str | None
) -> None:
    """X-AUSERNAME/X-ASESSIONID as Seraph adds them; Set-Cookie for a session made from remember-me."""
    final_user: User | None = request.get(USER)
    final_session: Session | None = request.get(SESSION)
    response.headers["X-AUSERNAME"] = final_user.username if final_user else "anonymous"
    if final_session is not None:
        response.headers["X-ASESSIONID"] = final_session.short_id
    if login_reason:
        response.headers.setdefault("X-Seraph-LoginReason", login_reason)
    if created is not None and final_session is created and "JSESSIONID" not in response.cookies:
        set_session_cookie(request, response, created)


@web.middleware
async def rest_xsrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The REST filter: any mutating form-like request (multipart, urlencoded, text) is checked."""
    ctx = request.app[CONFIG].context_path
    if request.path.startswith(f"{ctx}/rest/") and (failed := xsrf_failure(request, requires_check=False)):
        return failed
    return await handler(request)


def atl_token(request: web.Request) -> str:
    """The XSRF form token for this caller (kept in the session, else derived from the user)."""
    session: Session | None = request.get(SESSION)
    if session is not None:
        return session.atl_token
    user: User | None = request.get(USER)
    secret = request.app[CONFIG].secret.encode()
    who = user.username if user else "anonymous"
    return hmac.new(secret, who.encode(), "sha1").hexdigest()


def _same_origin(request: web.Request) -> bool:
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if not claimed:
        return False
    parts = urlsplit(claimed)
    origin = f"{parts.scheme}://{parts.netloc}"
    allowed = {origin_of(request)}
    configured = request.app[CONFIG].base_url
    if configured:
        conf = urlsplit(configured)
        allowed.add(f"{conf.scheme}://{conf.netloc}")
    return origin in allowed


def xsrf_failure(
    request: web.Request, *, requires_check: bool, form_token: str | None = None, rest: bool = True
) -> web.Response | None:
    """None when the request passes XSRF protection, else DC's plain 403 (reference §2.6)."""
    if request.method not in _MUTATING:
        return None
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if not requires_check and content_type not in _FORM_TYPES:
        return None
    failed = web.Response(status=403, text="XSRF check failed")
    header = request.headers.get("X-Atlassian-Token", "").strip().lower()
    token = form_token if form_token is not None else request.query.get("atl_token")
    ok = header in ("no-check", "nocheck") or (
        token is not None and hmac.compare_digest(token.encode(), atl_token(request).encode())
    )
    if not ok:
        return failed
    user_agent = request.headers.get("User-Agent", "")
    if rest and request.method == "POST" and _BROWSER_UA.search(user_agent) and not _same_origin(request):
        return failed
    return None


def xsrf_checked(handler: RouteHandler) -> RouteHandler:
    """Route decorator for REST resources that always require the XSRF check, whatever the content
    type (DC's `@RequiresXsrfCheck`): a failure is the 403 of `xsrf_failure`, before anything else."""

    @functools.wraps(handler)
    async def route(request: web.Request) -> web.Response:
        if failed := xsrf_failure(request, requires_check=True):
            return failed
        return await handler(request)

    return route


def is_admin(user: User | None) -> bool:
    return user is not None and ADMIN_GROUP in user.groups


def websudo_active(request: web.Request, *, touch: bool = True) -> bool:
    """Whether this caller's secure administrator session is on (always, when websudo is off).

    It lives in the Tomcat session, so a request without one (Basic, PAT) is never elevated; each
    admin page seen within the timeout starts it again (`touch`), so it lapses after the timeout
    *without admin activity*, as Confluence's "Secure administrator sessions" do."""
    config = request.app[CONFIG]
    if not config.websudo:
        return True
    session: Session | None = request.get(SESSION)
    if session is None or session.websudo_at is None:
        return False
    now = time.time()
    if now - session.websudo_at >= config.websudo_timeout:
        session.websudo_at = None
        return False
    if touch:
        session.websudo_at = now
    return True
