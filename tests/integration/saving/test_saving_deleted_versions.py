"""A version deleted in Confluence never lends its number, hence its document key, to other bytes:
the gateway's key is `<instance>_<attachment>_<version>`, so a reused number would make the
Document Server reopen the deleted version's session for a different file. And the version that is
current again after a deletion reopens under a fresh key, never the one its deleted edit was saved
under, which the Document Server would open read-only for five minutes."""

from __future__ import annotations

from gateway.testing.stack import running_stack
from tests.integration.saving.saving_helpers import FAST, attachment, editor_config, open_editor, text_of


async def test_after_the_latest_version_is_deleted_the_next_save_gets_a_new_number_and_key() -> None:
    async with running_stack(**FAST) as stack:
        att = attachment(stack)
        _, alice = await open_editor(stack, att.id)
        stack.docserver.type_text(alice, "Soon deleted")
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        assert [v.number for v in att.versions] == [1, 2]
        deleted_key = (await editor_config(stack, att.id))["document"]["key"]
        assert deleted_key.endswith(f"_{att.id}_2")

        assert stack.store.delete_version(att, 2)  # an admin removes version 2 in Confluence
        # Version 1 is current again. Its own key is spent: the Document Server saved the deleted
        # edit under it, and would open it read-only ("version changed") for five minutes.
        first_key = deleted_key.replace(f"_{att.id}_2", f"_{att.id}_1")
        reopened, bob = await open_editor(stack, att.id, "alice")
        assert reopened["document"]["key"] == first_key + "-1" and bob.mode == "edit"
        assert "Soon deleted" not in stack.docserver.sessions[first_key + "-1"].text
        stack.docserver.type_text(bob, "Edited again")
        stack.docserver.leave(bob)
        await stack.docserver.drain()

        assert [v.number for v in att.versions] == [1, 3]
        assert "Edited again" in text_of(stack, att) and "Soon deleted" not in text_of(stack, att)
        fresh = (await editor_config(stack, att.id))["document"]["key"]
        assert fresh.endswith(f"_{att.id}_3") and fresh != deleted_key

        assert stack.store.delete_version(att, 3)  # and once more: the next fresh key
        again, carol = await open_editor(stack, att.id, "alice")
        assert again["document"]["key"] == first_key + "-2" and carol.mode == "edit"
        assert "Edited again" not in stack.docserver.sessions[first_key + "-2"].text
