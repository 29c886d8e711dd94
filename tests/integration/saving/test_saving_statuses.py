"""Each callback status end to end: gateway editor config -> Document Server simulator -> callback -> Confluence."""

from __future__ import annotations

import aiohttp

from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.onlyoffice.saving.save import session_record_key
from gateway.testing.stack import running_stack
from tests.integration.saving.saving_helpers import (
    FAST,
    attachment,
    callbacks,
    editor_config,
    metric_value,
    open_editor,
    text_of,
    wait_for,
)


async def test_final_save_is_one_new_version_with_the_edit_and_the_editor_named() -> None:
    async with running_stack(**FAST) as stack:
        att = attachment(stack)
        before = att.current.number
        config, alice = await open_editor(stack, att.id)
        stack.docserver.type_text(alice, "Alice was here")
        stack.docserver.leave(alice)
        await stack.docserver.drain()

        assert [v.number for v in att.versions] == [before, before + 1]
        new = att.current
        assert "Alice was here" in text_of(stack, att)
        assert "Alice was here" not in text_of(stack, att, before)
        assert new.comment == "Edited in ONLYOFFICE by Alice Example"
        assert new.title == "report.docx"
        assert new.media_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        saves = callbacks(stack, status=2)
        assert len(saves) == 1 and saves[0].success and saves[0].response_text == '{"error": 0}'
        assert await metric_value(stack, "onlyoffice_saves_total", kind="final", outcome="ok") == 1
        # The next editor starts from the new version under a new key.
        again = await editor_config(stack, att.id)
        assert again["document"]["key"] != config["document"]["key"]


async def test_status_1_tracks_editors_and_status_4_closes_without_a_version() -> None:
    async with running_stack(**FAST) as stack:
        att = attachment(stack)
        state = stack.gateway_app[ONLYOFFICE_CONTEXT].state
        config, alice = await open_editor(stack, att.id)
        key = config["document"]["key"]
        await stack.docserver.drain()
        ones = callbacks(stack, status=1)
        assert ones and all(a.success for a in ones)
        record = await state.get(session_record_key(str(att.id)))
        assert (
            record is not None
            and record["key"] == key
            and record["users"] == [config["editorConfig"]["user"]["id"]]
        )

        stack.docserver.leave(alice)
        await stack.docserver.drain()
        fours = callbacks(stack, status=4)
        assert len(fours) == 1 and fours[0].success
        assert await state.get(session_record_key(str(att.id))) is None
        assert len(att.versions) == 1
        assert await metric_value(stack, "onlyoffice_callbacks_total", status="4", outcome="received") == 1
        # Unchanged document: the key may be reused.
        assert (await editor_config(stack, att.id))["document"]["key"] == key


async def test_replayed_callback_adds_no_second_version() -> None:
    async with running_stack(**FAST) as stack:
        att = attachment(stack)
        _, alice = await open_editor(stack, att.id)
        stack.docserver.type_text(alice, "Only once")
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        assert len(att.versions) == 2
        save = callbacks(stack, status=2)[0]
        async with aiohttp.ClientSession() as client:
            for _ in range(3):
                async with client.post(save.url, json=save.body, headers=save.headers) as response:
                    assert response.status == 200
                    assert await response.json() == {"error": 0}
        assert len(att.versions) == 2
        assert await metric_value(stack, "onlyoffice_saves_total", kind="final", outcome="already") == 3


async def test_co_editors_share_the_key_and_both_are_named() -> None:
    async with running_stack(**FAST) as stack:
        att = attachment(stack)
        config_a, alice = await open_editor(stack, att.id, "alice")
        config_b, admin = await open_editor(stack, att.id, "admin")
        assert config_a["document"]["key"] == config_b["document"]["key"]
        session = stack.docserver.sessions[config_a["document"]["key"]]
        assert len(session.editors()) == 2
        stack.docserver.type_text(alice, "From Alice")
        stack.docserver.type_text(admin, "From Admin")
        stack.docserver.leave(alice)
        stack.docserver.leave(admin)
        await stack.docserver.drain()
        assert len(att.versions) == 2
        text = text_of(stack, att)
        assert "From Alice" in text and "From Admin" in text
        comment = att.current.comment
        assert "Alice Example" in comment and "Admin" in comment, comment
        assert len(callbacks(stack, status=2)) == 1


async def test_bob_who_may_only_view_gets_no_callback() -> None:
    async with running_stack(**FAST) as stack:
        att = attachment(stack)
        config = await editor_config(stack, att.id, "bob")
        assert config["editorConfig"]["mode"] == "view"
        assert "callbackUrl" not in config["editorConfig"]


async def test_save_error_status_3_is_counted_and_the_edits_are_kept_and_recovered() -> None:
    settings = {"documentserver": {"recovery_interval": 0.3}}
    async with running_stack(**FAST, settings=settings) as stack:
        att = attachment(stack)
        config, alice = await open_editor(stack, att.id)
        key = config["document"]["key"]
        stack.docserver.type_text(alice, "Kept despite the error")
        stack.docserver.corrupt_next_save(key)
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        threes = callbacks(stack, status=3)
        # Refused, so the Document Server keeps the edits as a forgotten file instead of dropping them.
        assert len(threes) == 1 and threes[0].response_text == '{"error": 1}'
        assert await metric_value(stack, "onlyoffice_document_errors_total", status="3") == 1
        assert key in stack.docserver.forgotten
        await wait_for(lambda: len(att.versions) == 2, what="recovery of the forgotten file")
        assert "Kept despite the error" in text_of(stack, att)
        assert att.current.comment == "Edited in ONLYOFFICE by Alice Example (recovered after a failed save)"
        await wait_for(lambda: key not in stack.docserver.forgotten, what="deleteForgotten")


async def test_a_configured_jwt_header_and_the_servers_clock_leeway() -> None:
    """`documentserver.jwt.header: AuthorizationJwt`: the whole flow, then header-only callbacks."""
    import json
    import time

    import jwt

    secret = "configured-secret-" + "x" * 32
    settings = {"documentserver": {"jwt": {"secret": secret, "header": "AuthorizationJwt"}}}
    async with running_stack(**FAST, settings=settings) as stack:
        att = attachment(stack)
        config, alice = await open_editor(stack, att.id)
        stack.docserver.type_text(alice, "Through AuthorizationJwt")
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        assert len(att.versions) == 2
        assert "AuthorizationJwt" in callbacks(stack, status=2)[0].headers

        config = await editor_config(stack, att.id)
        url, key = config["editorConfig"]["callbackUrl"], config["document"]["key"]
        body = {"key": key, "status": 4, "actions": [{"type": 0, "userid": "u"}]}
        now = int(time.time())

        def header_token(exp: int) -> str:
            return "Bearer " + jwt.encode({"payload": body, "iat": now - 400, "exp": exp}, secret)

        async with aiohttp.ClientSession() as client:

            async def post(headers: dict[str, str]) -> int:
                async with client.post(url, data=json.dumps(body), headers=headers) as response:
                    return response.status

            assert await post({"AuthorizationJwt": header_token(now + 300)}) == 200
            assert await post({"AuthorizationJwt": header_token(now - 30)}) == 200  # within 60 s leeway
            assert await post({"AuthorizationJwt": header_token(now - 120)}) == 403
            assert await post({"Authorization": header_token(now + 300)}) == 403  # not the configured header
