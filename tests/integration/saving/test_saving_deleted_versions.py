"""A version deleted in Confluence never lends its number, hence its document key, to other bytes:
the gateway's key is `<instance>_<attachment>_<version>`, so a reused number would make the
Document Server reopen the deleted version's session for a different file."""

from __future__ import annotations

from saving_helpers import FAST, attachment, editor_config, open_editor, text_of

from gateway.testing.stack import running_stack


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
        # Version 1 is current again, under its old key, which the Document Server saved: within its
        # 5-minute window it would open read-only ("version changed", a known limit of a key built
        # from the version number alone); past the window it re-downloads.
        first_key = deleted_key.replace(f"_{att.id}_2", f"_{att.id}_1")
        stack.docserver.store.update_version[first_key] -= 301
        reopened, bob = await open_editor(stack, att.id, "alice")
        assert reopened["document"]["key"] == first_key
        stack.docserver.type_text(bob, "Edited again")
        stack.docserver.leave(bob)
        await stack.docserver.drain()

        assert [v.number for v in att.versions] == [1, 3]
        assert "Edited again" in text_of(stack, att) and "Soon deleted" not in text_of(stack, att)
        fresh = (await editor_config(stack, att.id))["document"]["key"]
        assert fresh.endswith(f"_{att.id}_3") and fresh != deleted_key
