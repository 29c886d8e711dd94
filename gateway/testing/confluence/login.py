"""The login form, `dologin.action` (JSESSIONID + seraph.confluence remember-me) and logout (§2.1),
and the password check of secure administrator sessions (websudo): `authenticate.action`,
`doauthenticate.action` (fields `password`, `authenticate=Confirm`, `destination`, as admin
scripts and Atlassian's own integration tests post them) and `dropauthentication.action`.
"""

from __future__ import annotations

import secrets
import time

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


def safe_destination(raw: str | None) -> str:
    """Only same-site relative paths: `os_destination` must never become an open redirect."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/index.action"
    return raw


@routes.get("/login.action")
async def login_page(request: web.Request) -> web.Response:
    return render(
        request,
        "login.html",
        failed=False,
        logged_out=request.query.get("logout") == "true",
        violation=request.query.get("permissionViolation") == "true",
        destination=safe_destination(request.query.get("os_destination")),
    )


@routes.post("/dologin.action")
async def do_login(request: web.Request) -> web.Response:
    form = await request.post()
    username = str(form.get("os_username", ""))
    password = str(form.get("os_password", ""))
    destination = safe_destination(str(form.get("os_destination", "")) or None)
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
    destination = safe_destination(request.query.get("destination"))
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
    destination = safe_destination(str(form.get("destination", "")) or None)
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
    destination = safe_destination(request.query.get("destination"))
    return web.Response(status=302, headers={"Location": request.app[CONFIG].context_path + destination})
