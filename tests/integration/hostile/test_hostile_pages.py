"""The routes the gateway's pages POST JSON to: every hostile body is a 4xx with the pages' usual
`{"error": "..."}`, never a 5xx; a body at the cap is read, and a valid request still works after."""

from __future__ import annotations

import json

import pytest

from gateway.confluence.client import UserCredentials
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.onlyoffice.signed_links import PagePurpose, page_token
from gateway.testing.stack import Stack, demo_login
from tests.integration.hostile.hostile_helpers import JSON, SERVLET, hostile_bodies, post_raw

# route -> the page token's purpose and the body field that carries it
ROUTES: dict[str, tuple[PagePurpose, str]] = {
    "convert": ("convert", "csrf"),
    "download-as": ("download-as", "token"),
    "save-as": ("save-as", "csrf"),
    "reference-data": ("reference-data", "csrf"),
    "attachments": ("pick", "token"),
    "notify": ("notify", "csrf"),
}


@pytest.mark.parametrize("route", sorted(ROUTES))
async def test_every_hostile_body_is_a_clear_4xx(stack: Stack, route: str) -> None:
    url = f"{stack.public_url}{SERVLET}/{route}"
    alice = demo_login("alice")
    max_bytes = stack.settings.proxy.max_json_bytes
    for case in hostile_bodies(max_bytes):
        status, media_type, answer = await post_raw(
            url, case.data, case.content_type, {**alice, **dict(case.headers)}
        )
        assert (status, media_type) == (case.status, "application/json"), (case.name, answer)
        assert case.message in answer["error"], (case.name, answer)
    for data, content_type, message in (
        (b"", JSON, "no JSON body"),
        (b"  \r\n", JSON, "no JSON body"),
        (b"{}", None, "no Content-Type"),
        (b"{}", "text/plain", "application/json"),  # what a cross-site form can send: refused
    ):
        status, _, answer = await post_raw(url, data, content_type, alice)
        assert status in (400, 415) and message in answer["error"], (data, content_type, answer)
    # Exactly at the cap: read whole (then refused for the missing page token, not for its size).
    at_cap = json.dumps({"padding": "x" * (max_bytes - 15)}).encode()
    assert len(at_cap) == max_bytes
    status, _, _ = await post_raw(url, at_cap, JSON, alice)
    assert status == 403


@pytest.mark.parametrize("route", sorted(ROUTES))
async def test_a_valid_request_still_works_after_hostile_ones(stack: Stack, route: str) -> None:
    url = f"{stack.public_url}{SERVLET}/{route}"
    alice = demo_login("alice")
    for case in hostile_bodies(stack.settings.proxy.max_json_bytes)[:4]:
        assert (await post_raw(url, case.data, case.content_type, {**alice, **dict(case.headers)}))[
            0
        ] == case.status
    purpose, field = ROUTES[route]
    source = stack.welcome_attachment_id("legacy.doc" if route == "convert" else "report.docx")
    context = stack.gateway_app[ONLYOFFICE_CONTEXT]
    token = page_token(context, UserCredentials.from_headers(alice), purpose, str(source))
    body: dict[str, object] = {"attachmentId": str(source), field: token}
    extra: dict[str, dict[str, object]] = {
        "download-as": {"fileName": "report", "targetFileType": "pdf"},
        "attachments": {"purpose": "image", "pick": str(stack.welcome_attachment_id("report.docx"))},
        "reference-data": {"referenceData": {"fileKey": str(source), "instanceId": stack.public_url}},
        "save-as": {"url": "", "fileType": "docx", "title": "copy"},
        "notify": {"emails": ["bob"], "message": "after the hostile ones"},
    }
    body |= extra.get(route, {})
    status, _, answer = await post_raw(url, json.dumps(body).encode(), JSON, alice)
    # Past the body checks: the route's own answer (progress, a refusal about the content).
    expected = {
        "convert": 200,
        "download-as": 200,
        "reference-data": 200,
        "attachments": 415,
        "save-as": 404,
        "notify": 200,
    }
    assert status == expected[route], answer
