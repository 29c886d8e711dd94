"""Force saves (status 6): a version each while the session and its key go on; keep or collapse."""

from __future__ import annotations

import pytest

from gateway.testing.stack import running_stack
from tests.integration.saving.saving_helpers import (
    FAST,
    attachment,
    callbacks,
    editor_config,
    open_editor,
    text_of,
)


def _rules(policy: str) -> dict[str, object]:
    return {"rules": [{"forcesave_versions": policy}]}


@pytest.mark.parametrize("policy", ["keep", "collapse"])
async def test_force_save_then_final_save(policy: str) -> None:
    async with running_stack(**FAST, settings=_rules(policy)) as stack:
        att = attachment(stack)
        config, alice = await open_editor(stack, att.id)
        key = config["document"]["key"]
        stack.docserver.type_text(alice, "First draft")
        assert await stack.docserver.force_save(alice)
        await stack.docserver.drain()
        sixes = callbacks(stack, status=6)
        assert len(sixes) == 1 and sixes[0].success
        assert [v.number for v in att.versions] == [1, 2]
        assert att.current.comment == "Edited in ONLYOFFICE by Alice Example (intermediate save)"
        assert "First draft" in text_of(stack, att)

        # A newcomer after the force save joins the same session (same key), not a new one.
        newcomer = await editor_config(stack, att.id, "admin")
        assert newcomer["document"]["key"] == key
        opened = await stack.docserver.open(newcomer, base_url=stack.docserver_url)
        admin = opened.participant
        assert len(stack.docserver.sessions[key].editors()) == 2

        stack.docserver.type_text(admin, "Admin's addition")
        stack.docserver.leave(alice)
        stack.docserver.leave(admin)
        await stack.docserver.drain()
        final = att.current
        assert "First draft" in text_of(stack, att) and "Admin's addition" in text_of(stack, att)
        assert "intermediate" not in final.comment and "conflict" not in final.comment
        assert "uploaded meanwhile" not in final.comment
        if policy == "keep":
            assert [v.number for v in att.versions] == [1, 2, 3]
        else:
            assert [v.number for v in att.versions] == [1, 3]
        # After the final save the next editor gets a fresh key.
        assert (await editor_config(stack, att.id))["document"]["key"] != key


@pytest.mark.parametrize("policy", ["keep", "collapse"])
async def test_close_without_changes_after_force_saves_makes_the_last_one_final(policy: str) -> None:
    async with running_stack(**FAST, settings=_rules(policy)) as stack:
        att = attachment(stack)
        _, alice = await open_editor(stack, att.id)
        stack.docserver.type_text(alice, "One")
        assert await stack.docserver.force_save(alice)
        await stack.docserver.drain()
        stack.docserver.type_text(alice, "Two")
        assert await stack.docserver.force_save(alice)
        await stack.docserver.drain()
        assert not await stack.docserver.force_save(alice)  # nothing new: no force save
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        final = callbacks(stack, status=2)
        assert len(final) == 1 and final[0].body.get("notmodified") is True and final[0].success
        assert "One" in text_of(stack, att) and "Two" in text_of(stack, att)
        if policy == "keep":
            assert [v.number for v in att.versions] == [1, 2, 3]
        else:
            assert [v.number for v in att.versions] == [1, 3]


async def test_replayed_force_save_adds_nothing() -> None:
    import aiohttp

    async with running_stack(**FAST) as stack:
        att = attachment(stack)
        _, alice = await open_editor(stack, att.id)
        stack.docserver.type_text(alice, "Draft")
        assert await stack.docserver.force_save(alice)
        await stack.docserver.drain()
        six = callbacks(stack, status=6)[0]
        async with (
            aiohttp.ClientSession() as client,
            client.post(six.url, json=six.body, headers=six.headers) as response,
        ):
            assert await response.json() == {"error": 0}
        assert len(att.versions) == 2


async def test_an_old_editors_status_1_does_not_split_a_session_with_force_saves() -> None:
    """A tab still open on an older key reports in; newcomers must still join the live session."""
    import time

    import aiohttp
    import jwt

    from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
    from gateway.onlyoffice.signed_links import LinkClaims, make_link_token

    async with running_stack(**FAST) as stack:
        att = attachment(stack)
        config, alice = await open_editor(stack, att.id)
        key = config["document"]["key"]
        stack.docserver.type_text(alice, "Draft")
        assert await stack.docserver.force_save(alice)
        await stack.docserver.drain()
        assert len(att.versions) == 2

        context = stack.gateway_app[ONLYOFFICE_CONTEXT]
        old_key = "oldsessionkey_" + str(att.id)
        link = make_link_token(
            LinkClaims(action="callback", attachment_id=str(att.id), key=old_key, version=1, user="u"),
            context.link_secret,
        )
        url = config["editorConfig"]["callbackUrl"].split("?", 1)[0] + f"?token={link}"
        body = {"key": old_key, "status": 1, "users": ["u"], "actions": [{"type": 1, "userid": "u"}]}
        now = int(time.time())
        body["token"] = jwt.encode({**body, "iat": now, "exp": now + 300}, context.jwt_secret)
        async with aiohttp.ClientSession() as client, client.post(url, json=body) as response:
            assert await response.json() == {"error": 0}
        assert (await editor_config(stack, att.id, "admin"))["document"]["key"] == key
