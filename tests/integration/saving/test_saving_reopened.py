"""Sessions that outlive a failed save: reopened from the forgotten file, failed force saves."""

from __future__ import annotations

import asyncio

from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.testing.confluence import FAULTS
from gateway.testing.stack import running_stack
from tests.integration.saving.saving_helpers import (
    FAST,
    attachment,
    callbacks,
    editor_config,
    open_editor,
    text_of,
    wait_for,
)


async def test_a_session_reopened_from_the_forgotten_file_saves_again_after_recovery() -> None:
    """Recovery saves the forgotten file while someone edits it again under the same key: both land."""
    async with running_stack(**FAST, settings={"documentserver": {"recovery_interval": 0.3}}) as stack:
        att = attachment(stack)
        state = stack.gateway_app[ONLYOFFICE_CONTEXT].state
        config, alice = await open_editor(stack, att.id)
        key = config["document"]["key"]
        stack.docserver.type_text(alice, "First session")
        async with state.lock("recovery", ttl=60.0, wait=5.0):  # recovery waits until alice is back in
            stack.confluence_app[FAULTS].unavailable = True
            stack.docserver.leave(alice)
            await stack.docserver.drain()
            assert key in stack.docserver.forgotten
            stack.confluence_app[FAULTS].unavailable = False
            # Before recovery runs, alice opens again: same version, same key, from the forgotten file.
            again = await editor_config(stack, att.id)
            assert again["document"]["key"] == key
            opened = await stack.docserver.open(again, base_url=stack.docserver_url)
            assert opened.warning and "forgotten" in opened.warning
            assert "First session" in opened.session.text
            assert len(att.versions) == 1

        await wait_for(lambda: len(att.versions) == 2, what="recovery of the first session")
        assert "recovered" in att.current.comment
        stack.docserver.type_text(opened.participant, "Second session")
        stack.docserver.leave(opened.participant)
        await stack.docserver.drain()
        assert [v.number for v in att.versions] == [1, 2, 3]
        assert "First session" in text_of(stack, att) and "Second session" in text_of(stack, att)
        # Reopened from the forgotten file, the callback has no history; the editor is named from `users`.
        assert att.current.comment == "Edited in ONLYOFFICE by Alice Example"
        await asyncio.sleep(1.0)  # later recovery passes add nothing
        assert len(att.versions) == 3


async def test_a_failed_force_save_loses_nothing_the_final_save_carries_it() -> None:
    async with running_stack(**FAST) as stack:
        att = attachment(stack)
        _, alice = await open_editor(stack, att.id)
        stack.docserver.type_text(alice, "Force saved while down")
        stack.confluence_app[FAULTS].unavailable = True
        assert await stack.docserver.force_save(alice)
        await stack.docserver.drain()
        six = callbacks(stack, status=6)
        assert len(six) == 1 and six[0].response_text == '{"error": 1}'  # not retried by the server
        assert len(att.versions) == 1
        stack.confluence_app[FAULTS].unavailable = False
        stack.docserver.type_text(alice, "And more")
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        assert [v.number for v in att.versions] == [1, 2]
        assert "Force saved while down" in text_of(stack, att) and "And more" in text_of(stack, att)
