"""The login form, `dologin.action` (JSESSIONID + seraph.confluence remember-me) and logout (§2.1),
and the password check of secure administrator sessions (websudo): `authenticate.action`,
`doauthenticate.action` (fields `password`, `authenticate=Confirm`, `destination`, as admin
scripts and Atlassian's own integration tests post them) and `dropauthentication.action`.
"""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlsplit

from aiohttp import web

from gateway.testing.confluence.auth import (
    REMEMBER_ME_AGE,
    SERAPH_COOKIE,
    new_session,
    set_session_cookie,
    xsrf_failure,
)
from gateway.testing.confluence.common import CONFIG, SESSION, SESSIONS, STORE, USER, current_user, origin_of
from gateway.testing.confluence.download import login_redirect
from gateway.testing.confluence.render import render

__all__ = ["routes", "safe_destination"]

routes = web.RouteTableDef()


_HOME = "/index.action"


def safe_destination(raw: str | None, request: web.Request) -> str:
    """Where a login (or websudo) sends the user next: a path under the context path, never off site.

    Accepted, as Seraph's same-context check accepts them: a context-relative path (`/pages/...`,
    what Confluence's own links carry); one without the leading slash (`plugins/servlet/...`, what
    the ONLYOFFICE plugin sends, resolved against the login action under the context path); an
    absolute URL on Confluence's own origin and context path. Anything else
    (`//host`, other origins, schemes, backslashes, control characters) is the dashboard: an
    `os_destination` must never become an open redirect."""
    if not raw or "\\" in raw or any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        return _HOME
    if raw.startswith("//"):
        return _HOME
    if raw.startswith("/"):
        return raw
    parts = urlsplit(raw)
    if not parts.scheme and not parts.netloc:
        return "/" + raw if parts.path and not parts.path.startswith(":") else _HOME
    if parts.scheme not in ("http", "https"):
        return _HOME
    ctx = request.app[CONFIG].context_path
    origins = {origin_of(request)}
    if (configured := request.app[CONFIG].base_url) is not None:
        conf = urlsplit(configured)
        origins.add(f"{conf.scheme}://{conf.netloc}")
    if f"{parts.scheme}://{parts.netloc}" not in origins or parts.username or parts.password:
        return _HOME
    path = parts.path or "/"
    if ctx and path != ctx and not path.startswith(ctx + "/"):
        return _HOME
    inner = path[len(ctx) :] or "/"
    return inner + (f"?{parts.query}" if parts.query else "")


@routes.get("/login.action")
async def login_page(request: web.Request) -> web.Response:
    return render(
        request,
        "login.html",
        failed=False,
        logged_out=request.query.get("logout") == "true",
        violation=request.query.get("permissionViolation") == "true",
        destination=safe_destination(request.query.get("os_destination"), request),
    )


@routes.post("/dologin.action")
async def do_login(request: web.Request) -> web.Response:
    form = await request.post()
    username = str(form.get("os_username", ""))
    password = str(form.get("os_password", ""))
    destination = safe_destination(str(form.get("os_destination", "")) or None, request)
    store = request.app[STORE]
    user = store.check_password(username, password)
    if user is None:
        response = render(
            request, "login.html", failed=True, logged_out=False, violation=False, destination=destination
        )
        response.headers["X-Seraph-LoginReason"] = "AUTHENTICATED_FAILED"
        return response
    old = request.get(SESSION)
    if old is not None:
        request.app[SESSIONS].pop(old.id, None)  # a fresh id on login: no session fixation
    session = new_session(request, user)
    request[SESSION], request[USER] = session, user
    ctx = request.app[CONFIG].context_path
    response = web.Response(status=302, headers={"Location": ctx + destination, "X-Seraph-LoginReason": "OK"})
    set_session_cookie(request, response, session)
    if str(form.get("os_cookie", "")).lower() == "true":
        token = secrets.token_urlsafe(24)
        store.remember_me[token] = user.username
        store.save()
        response.set_cookie(
            SERAPH_COOKIE,
            token,
            path=ctx or "/",
            httponly=True,
            max_age=REMEMBER_ME_AGE,
            secure=origin_of(request).startswith("https:"),
        )
    return response


@routes.get("/logout.action")
@routes.post("/logout.action")
async def logout(request: web.Request) -> web.Response:
    store = request.app[STORE]
    session = request.get(SESSION)
    if session is not None:
        request.app[SESSIONS].pop(session.id, None)
    token = request.cookies.get(SERAPH_COOKIE)
    if token and store.remember_me.pop(token, None) is not None:
        store.save()
    ctx = request.app[CONFIG].context_path
    request[SESSION], request[USER] = None, None
    response = web.Response(status=302, headers={"Location": f"{ctx}/login.action?logout=true"})
    response.del_cookie("JSESSIONID", path=ctx or "/")
    response.del_cookie(SERAPH_COOKIE, path=ctx or "/")
    return response


@routes.get("/authenticate.action")
async def authenticate_page(request: web.Request) -> web.Response:
    """ "Administrator Access": the password again before an admin page (websudo)."""
    if current_user(request) is None:
        return login_redirect(request)
    destination = safe_destination(request.query.get("destination"), request)
    return render(request, "authenticate.html", failed=False, destination=destination)


@routes.post("/doauthenticate.action")
async def do_authenticate(request: web.Request) -> web.Response:
    form = await request.post()
    token = form.get("atl_token")
    if failed := xsrf_failure(
        request, requires_check=True, form_token=token if isinstance(token, str) else None, rest=False
    ):
        return failed
    user = current_user(request)
    if user is None:
        return login_redirect(request)
    destination = safe_destination(str(form.get("destination", "")) or None, request)
    if request.app[STORE].check_password(user.username, str(form.get("password", ""))) is None:
        return render(request, "authenticate.html", failed=True, destination=destination)
    response = web.Response(status=302, headers={"Location": request.app[CONFIG].context_path + destination})
    session = request.get(SESSION)
    if session is None:  # Basic or PAT: the elevation needs a Tomcat session to live in
        session = new_session(request, user)
        request[SESSION] = session
        set_session_cookie(request, response, session)
    session.websudo_at = time.time()
    return response


@routes.get("/dropauthentication.action")
async def drop_authentication(request: web.Request) -> web.Response:
    """The admin banner's "Drop access": back to a normal session at once. [I: the path]"""
    session = request.get(SESSION)
    if session is not None:
        session.websudo_at = None
    destination = safe_destination(request.query.get("destination"), request)
    return web.Response(status=302, headers={"Location": request.app[CONFIG].context_path + destination})
