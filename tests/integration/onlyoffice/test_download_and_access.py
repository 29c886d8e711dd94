"""The download route the Document Server uses, and the /access route the browser script uses."""

from __future__ import annotations

import json

import jwt as pyjwt
from yarl import URL

from gateway.docserver.jwt import bearer_value, sign_header_payload
from gateway.testing.stack import Stack
from tests.integration.onlyoffice.oo_stack_helpers import (
    attachment_id,
    editor_config,
    editor_url,
    get,
    welcome,
)


def _secret(stack: Stack) -> str:
    return stack.settings.documentserver.jwt.secret.get_secret_value()


def _ds_headers(stack: Stack, url: str, secret: str | None = None) -> dict[str, str]:
    header = stack.settings.documentserver.jwt.header
    return {header: bearer_value(sign_header_payload({"url": url}, secret or _secret(stack)))}


async def _download_url(stack: Stack, name: str, user: str = "alice") -> str:
    status, _, body = await get(editor_url(stack, attachment_id(stack, name)), user)
    assert status == 200
    url: str = editor_config(body)["document"]["url"]
    return url


async def test_download_streams_the_exact_version_with_both_proofs(stack: Stack) -> None:
    url = await _download_url(stack, "report.docx")
    report = stack.store.attachment_by_name(welcome(stack).id, "report.docx")
    assert report is not None
    status, headers, body = await get(url, headers=_ds_headers(stack, url))
    assert status == 200
    assert body == stack.store.data(report, 1)
    assert headers["Cache-Control"] == "no-store"
    # A newer version does not change what an open session's link serves.
    stack.store.add_version(report, b"version two bytes", "application/octet-stream", by="admin")
    status, _, body = await get(url, headers=_ds_headers(stack, url))
    assert status == 200
    assert body == stack.store.data(report, 1)
    url2 = await _download_url(stack, "report.docx")
    status, _, body = await get(url2, headers=_ds_headers(stack, url2))
    assert body == b"version two bytes"


async def test_download_refuses_missing_or_forged_link_token(stack: Stack) -> None:
    base = f"{stack.public_url}/plugins/servlet/onlyoffice/download"
    status, _, _ = await get(base, headers=_ds_headers(stack, base))
    assert status == 403
    url = await _download_url(stack, "report.docx")
    token = URL(url).query["token"]
    claims = pyjwt.decode(token, options={"verify_signature": False})
    for forged in (
        pyjwt.encode(claims, "not the secret, but long enough for HS256 keys", algorithm="HS256"),
        pyjwt.encode(claims, _secret(stack), algorithm="HS256"),  # the DS secret is not the link secret
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "garbage",
    ):
        forged_url = str(URL(url).update_query(token=forged))
        status, _, body = await get(forged_url, headers=_ds_headers(stack, forged_url))
        assert status == 403, forged
        assert json.loads(body)["message"].startswith("Forbidden")
    # A callback token is not a download token.
    status, _, body = await get(editor_url(stack, attachment_id(stack, "report.docx")), "alice")
    callback_token = URL(editor_config(body)["editorConfig"]["callbackUrl"]).query["token"]
    wrong = str(URL(url).update_query(token=callback_token))
    status, _, _ = await get(wrong, headers=_ds_headers(stack, wrong))
    assert status == 403


async def test_download_token_is_bound_to_its_attachment(stack: Stack) -> None:
    url = await _download_url(stack, "report.docx")
    budget = attachment_id(stack, "budget.xlsx")
    # An extra attachmentId does not redirect the token to another file.
    swapped = str(URL(url).update_query(attachmentId=str(budget)))
    status, _, body = await get(swapped, headers=_ds_headers(stack, swapped))
    report = stack.store.attachment_by_name(welcome(stack).id, "report.docx")
    assert report is not None
    if status == 200:
        assert body == stack.store.data(report, 1)
    else:
        assert status in (400, 403)
    # The token of another attachment serves that attachment only.
    budget_url = await _download_url(stack, "budget.xlsx")
    status, _, body = await get(budget_url, headers=_ds_headers(stack, budget_url))
    assert status == 200
    budget_att = stack.store.attachment_by_name(welcome(stack).id, "budget.xlsx")
    assert budget_att is not None
    assert body == stack.store.data(budget_att, 1)


async def test_download_refuses_missing_forged_or_misdirected_ds_jwt(stack: Stack) -> None:
    url = await _download_url(stack, "report.docx")
    other = await _download_url(stack, "budget.xlsx")
    header = stack.settings.documentserver.jwt.header
    for headers in (
        {},
        {header: "Bearer "},
        {header: "Bearer garbage"},
        _ds_headers(stack, url, secret="a wrong secret of a decent length, 32+ bytes"),
        _ds_headers(stack, other),  # signed for another URL
        {header: bearer_value(pyjwt.encode({"payload": {"url": url}}, None, algorithm="none"))},
        {header: bearer_value(pyjwt.encode({"payload": {"url": url}, "exp": 1}, _secret(stack)))},
    ):
        status, _, body = await get(url, headers=headers)
        assert status == 403, headers
        assert b"Traceback" not in body
    # The JWT must name this link, not merely some link of the gateway.
    unwrapped = {header: bearer_value(pyjwt.encode({"url": "http://elsewhere/"}, _secret(stack)))}
    status, _, _ = await get(url, headers=unwrapped)
    assert status == 403


async def test_access_route_batches_and_hides(stack: Stack) -> None:
    route = f"{stack.public_url}/plugins/servlet/onlyoffice/access"
    report, budget, legacy, png = (
        attachment_id(stack, n) for n in ("report.docx", "budget.xlsx", "legacy.doc", "diagram.png")
    )
    query = f"?attachmentId={report}&attachmentId={budget}&attachmentId={legacy}&attachmentId={png}"
    status, headers, body = await get(route + query, "alice")
    assert status == 200
    assert "no-store" in headers["Cache-Control"]
    answer = json.loads(body)
    assert answer[str(report)] == {"mode": "edit", "convert": None, "download": True}
    assert answer[str(budget)]["mode"] == "edit"
    assert answer[str(legacy)] == {"mode": "view", "convert": "docx", "download": True}
    assert answer[str(png)] == {"mode": None, "convert": None, "download": False}

    status, _, body = await get(route + query, "bob")
    answer = json.loads(body)
    assert answer[str(report)] == {"mode": "view", "convert": None, "download": True}
    assert answer[str(legacy)]["convert"] is None

    # Invisible: on a page bob cannot read, or unknown; and anonymous sees nothing.
    secret = stack.store.add_page("DEMO", "Secret", body="hush", by="admin")
    stack.store.restrict(secret.id, "read", users=("admin",))
    hidden = stack.store.add_attachment(secret.id, "plan.docx", b"PK", "application/octet-stream", by="admin")
    status, _, body = await get(
        f"{route}?attachmentId={hidden.id}&attachmentId=99999999&attachmentId={report}", "bob"
    )
    assert status == 200
    assert set(json.loads(body)) == {str(report)}
    status, _, body = await get(route + query)
    assert status == 200
    assert json.loads(body) == {}

    for bad in (
        "",
        "?attachmentId=",
        "?attachmentId=abc",
        "?attachmentId=1&attachmentId=x",
        "?attachmentId=-1",
        f"?attachmentId={report}%D9%A0",
        "?attachmentId=" + "9" * 20,
    ):
        status, headers, body = await get(route + bad, "alice")
        assert status == 400, bad
        assert "error" in json.loads(body)
    many = "&".join(f"attachmentId={i}" for i in range(1, 102))
    status, _, _ = await get(f"{route}?{many}", "alice")
    assert status == 400
