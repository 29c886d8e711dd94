"""The callback route: every hostile body is a 4xx in the Document Server's `{"error": 1}` shape,
never a 5xx, and a correctly signed save still works on the same gateway afterwards."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
from aiohttp.test_utils import TestServer

from gateway.testing.stack import Stack
from tests.integration.hostile.hostile_helpers import JSON, hostile_bodies, post_raw
from tests.integration.saving import saving_helpers

attachment, editor_config, text_of = (
    saving_helpers.attachment,
    saving_helpers.editor_config,
    saving_helpers.text_of,
)


def _secret(stack: Stack) -> str:
    return stack.settings.documentserver.jwt.secret.get_secret_value()


def _signed_save(stack: Stack, key: str, url: str) -> dict[str, Any]:
    body = {"key": key, "status": 2, "url": url, "filetype": "docx", "users": ["u1"], "notmodified": False}
    now = int(time.time())
    return {**body, "token": jwt.encode({**body, "iat": now, "exp": now + 300}, _secret(stack))}


def _file_url(server: TestServer) -> str:
    return str(server.make_url("/cache/files/data/k_1/output.docx/output.docx?md5=x&expires=9999999999"))


async def test_every_hostile_body_is_a_4xx_then_a_save_still_works(
    saving_stack: Stack, file_server: TestServer
) -> None:
    stack = saving_stack
    config = await editor_config(stack, attachment(stack).id)
    url, key = config["editorConfig"]["callbackUrl"], config["document"]["key"]
    for case in hostile_bodies(stack.settings.proxy.max_callback_bytes):
        status, media_type, answer = await post_raw(url, case.data, case.content_type, dict(case.headers))
        assert (status, media_type) == (case.status, "application/json"), case.name
        assert answer["error"] == 1 and case.message in answer["message"], (case.name, answer)
    assert len(attachment(stack).versions) == 1
    save = json.dumps(_signed_save(stack, key, _file_url(file_server))).encode()
    status, _, answer = await post_raw(url, save, JSON)
    assert (status, answer) == (200, {"error": 0})
    assert len(attachment(stack).versions) == 2
    assert "Saved after the hostile bodies" in text_of(stack, attachment(stack))


async def test_what_a_document_server_may_send_is_not_refused_for_its_type(
    saving_stack: Stack, file_server: TestServer
) -> None:
    """The Document Server sends `application/json` (protocol §2.1); a refused callback is not
    retried, so a missing type, `text/plain` and a charset parameter are accepted too."""
    stack = saving_stack
    config = await editor_config(stack, attachment(stack).id)
    url, key = config["editorConfig"]["callbackUrl"], config["document"]["key"]
    status1 = {"key": key, "status": 1, "users": ["u1"], "actions": [{"type": 1, "userid": "u1"}]}
    now = int(time.time())
    token = jwt.encode({**status1, "iat": now, "exp": now + 300}, _secret(stack))
    signed = json.dumps({**status1, "token": token})
    for content_type in (None, JSON, "application/json; charset=utf-8", "text/plain; charset=UTF-8"):
        status, _, answer = await post_raw(url, signed.encode(), content_type)
        assert (status, answer) == (200, {"error": 0}), content_type
    # An empty body is `{}`: the header token alone may carry the callback; without one it is 403.
    status, _, answer = await post_raw(url, b"", JSON)
    assert (status, answer) == (403, {"error": 1})


async def test_signed_fields_of_the_wrong_type_are_no_500(saving_stack: Stack) -> None:
    """Found by the callback property: a signed status 1 with `"users": 1` was a TypeError (500)."""
    stack = saving_stack
    config = await editor_config(stack, attachment(stack).id)
    url, key = config["editorConfig"]["callbackUrl"], config["document"]["key"]
    now = int(time.time())
    for users in (1, "alice", {"a": 1}, None, [1, None, "u1"]):
        for status in (1, 2, 4):
            body = {"key": key, "status": status, "users": users}
            token = jwt.encode({**body, "iat": now, "exp": now + 300}, _secret(stack))
            got, _, answer = await post_raw(url, json.dumps({**body, "token": token}).encode(), JSON)
            assert got < 500 and answer["error"] in (0, 1), (users, status, got, answer)
