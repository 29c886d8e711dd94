"""A save over Confluence's Attachment Maximum Size: refused with a reason an admin can act on, the
edit kept (pending record + the Document Server's forgotten file) and saved once the limit is raised."""

from __future__ import annotations

from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.onlyoffice.saving.callback import pending_record_key
from gateway.onlyoffice.saving.recovery import recover_save
from gateway.testing.confluence import CONFIG
from gateway.testing.stack import running_stack
from tests.integration.saving.saving_helpers import FAST, attachment, callbacks, open_editor, text_of


async def test_a_save_over_the_limit_is_kept_and_saved_after_the_limit_is_raised() -> None:
    async with running_stack(**FAST) as stack:
        context = stack.gateway_app[ONLYOFFICE_CONTEXT]
        att = attachment(stack)
        before = [v.number for v in att.versions]
        stack.confluence_app[CONFIG].attachment_max_size = 1000  # smaller than any edited docx
        config, alice = await open_editor(stack, att.id)
        key = config["document"]["key"]
        stack.docserver.type_text(alice, "Too big for this Confluence")
        stack.docserver.leave(alice)
        await stack.docserver.drain()

        assert [v.number for v in att.versions] == before  # nothing half-stored
        saves = callbacks(stack, status=2)
        # Refused for good, not "retry": the Document Server's retries would all fail alike.
        assert saves and saves[-1].response_text == '{"error": 1}'
        assert len(saves) == 1 and saves[0].http_status == 200  # answered once, no 5xx retry loop
        record = await context.state.get(pending_record_key(key))
        assert record is not None
        assert record["refused"] == (
            "The file is larger than Confluence allows for an attachment (at most 1000 bytes). "
            "A Confluence administrator can raise the Attachment Maximum Size."
        )

        stack.confluence_app[CONFIG].attachment_max_size = 100 * 1024 * 1024
        recovered = await recover_save(context, key, record, forgotten=True)
        assert recovered.done, recovered
        assert [v.number for v in att.versions] == [*before, before[-1] + 1]
        assert "Too big for this Confluence" in text_of(stack, att)
