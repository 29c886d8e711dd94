"""Restore in Version History: `POST .../onlyoffice/history/restore` makes an old version the newest.

Real sockets: the Confluence simulator, the Document Server simulator and the gateway. Every
refusal is checked to store nothing; every success to store exactly one version with the old bytes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.testing.confluence import CONFIG
from gateway.testing.confluence.store import Attachment
from gateway.testing.documents.ooxml import make_docx
from gateway.testing.editor_requests import editor_data, post_route
from gateway.testing.stack import Stack
from tests.integration.history.history_helpers import report

V2 = make_docx("Version two")
V3 = make_docx("Version three")


def _three_versions(stack: Stack) -> Attachment:
    found = report(stack)
    stack.store.add_version(found, V2, found.current.media_type, by="alice")
    stack.store.add_version(found, V3, found.current.media_type, by="admin")
    return found


async def _body(stack: Stack, attachment: Attachment, user: str = "alice", **fields: Any) -> dict[str, Any]:
    data = await editor_data(stack, user, attachment.id, "onlyoffice-history")
    body = {"attachmentId": str(attachment.id), "version": 1, "base": 3, "csrf": data["restore-csrf"]}
    return {**body, **fields}


async def test_alice_restores_version_one_as_version_four(stack: Stack) -> None:
    found = _three_versions(stack)
    original = stack.store.data(found, 1)
    status, answer = await post_route(stack, "history/restore", await _body(stack, found), "alice")
    assert status == 200, answer
    assert answer == {"version": 4, "restored": 1, "alreadyRestored": False}
    assert [v.number for v in found.versions] == [1, 2, 3, 4]
    assert stack.store.data(found, 4) == original
    alice = stack.store.users["alice"]
    assert found.current.comment == f"Restored version 1 by {alice.display_name}"
    # the history the editor asks for next shows it
    status, answer = await post_route(stack, "history/restore", await _body(stack, found), "alice")
    assert status == 200 and answer["alreadyRestored"] and answer["version"] == 4
    assert len(found.versions) == 4  # the repeated request (a second click, a retry) added nothing


async def test_concurrent_identical_restores_store_one_version(stack: Stack) -> None:
    found = _three_versions(stack)
    body = await _body(stack, found, version=2)
    answers = await asyncio.gather(*(post_route(stack, "history/restore", body, "alice") for _ in range(5)))
    assert [status for status, _ in answers] == [200] * 5
    assert sorted(a["alreadyRestored"] for _, a in answers) == [False, True, True, True, True]
    assert {a["version"] for _, a in answers} == {4}
    assert len(found.versions) == 4 and stack.store.data(found, 4) == V2


async def test_a_restore_from_an_outdated_history_is_refused(stack: Stack) -> None:
    found = _three_versions(stack)
    assert (await post_route(stack, "history/restore", await _body(stack, found), "alice"))[0] == 200
    status, answer = await post_route(stack, "history/restore", await _body(stack, found, version=2), "alice")
    assert status == 409 and "changed meanwhile" in answer["error"]
    status, answer = await post_route(
        stack, "history/restore", await _body(stack, found, version=4, base=4), "alice"
    )
    assert status == 400 and "already the current one" in answer["error"]
    assert len(found.versions) == 4


async def test_refusals_store_nothing(stack: Stack) -> None:
    found = _three_versions(stack)
    good = await _body(stack, found)
    cases: list[tuple[str, Any, str | None, dict[str, str], int]] = [
        ("viewer", await _body(stack, found, "bob"), "bob", {}, 403),
        ("viewer with alice's token", good, "bob", {}, 403),
        ("anonymous", good, None, {}, 401),
        ("forged token", {**good, "csrf": "0" * 64}, "alice", {}, 403),
        ("other origin", good, "alice", {"Origin": "https://evil.example"}, 403),
        ("unknown version", {**good, "version": 9}, "alice", {}, 404),
        ("version not a number", {**good, "version": "1"}, "alice", {}, 400),
        ("version true", {**good, "version": True}, "alice", {}, 400),
        ("no base", {k: v for k, v in good.items() if k != "base"}, "alice", {}, 400),
        ("not an object", [good], "alice", {}, 400),
        ("not JSON", b"{", "alice", {}, 400),
        ("unknown attachment", {**good, "attachmentId": "999999"}, "alice", {}, 403),
    ]
    for name, body, user, headers, expected in cases:
        status, answer = await post_route(stack, "history/restore", body, user, **headers)
        assert status == expected, (name, status, answer)
        assert answer["error"], name
    assert len(found.versions) == 3


async def test_bob_gets_no_restore_on_his_editor_page(stack: Stack) -> None:
    found = _three_versions(stack)
    assert (await editor_data(stack, "bob", found.id, "onlyoffice-history"))["restore-url"] == ""
    assert (await editor_data(stack, "alice", found.id, "onlyoffice-history"))["restore-url"]


async def test_a_restore_whose_answer_was_lost_is_recognised_not_repeated(stack: Stack) -> None:
    """Confluence stored the restored version but its answer never reached the gateway: the
    request's retry finds that version by its comment instead of storing another."""
    found = _three_versions(stack)
    context = stack.gateway_app[ONLYOFFICE_CONTEXT]
    # What the first attempt left: its intent, and the version Confluence stored.
    comment = f"Restored version 1 by {stack.store.users['alice'].display_name}"
    await context.state.put(f"restoring:{found.id}:3:1", {"comment": comment}, ttl=60)
    stack.store.add_version(
        found, stack.store.data(found, 1), found.current.media_type, by="admin", comment=comment
    )
    status, answer = await post_route(stack, "history/restore", await _body(stack, found), "alice")
    assert status == 200 and answer == {"version": 4, "restored": 1, "alreadyRestored": False}
    assert len(found.versions) == 4
    assert await context.state.get(f"restoring:{found.id}:3:1") is None


async def test_a_restore_over_confluences_attachment_limit_says_so(stack: Stack) -> None:
    """An old version larger than today's Attachment Maximum Size (an admin lowered it since):
    Confluence refuses the new version; the user hears the limit, and nothing is stored."""
    found = _three_versions(stack)
    stack.confluence_app[CONFIG].attachment_max_size = len(stack.store.data(found, 1)) - 1
    status, answer = await post_route(stack, "history/restore", await _body(stack, found), "alice")
    assert status == 413, answer
    assert str(answer["error"]).startswith(
        "The file is larger than Confluence allows for an attachment (at most "
    )
    assert [v.number for v in found.versions] == [1, 2, 3]
