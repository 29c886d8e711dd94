"""Rotating secrets (`links.secret`, `documentserver.jwt.secret`) without losing open editors' edits.

The Document Server keeps the download and callback links it got when the editor opened, for
days. After an admin rotates `links.secret` and restarts the gateway, those links must still work
while `links.previous_secret` is accepted (`links.previous_until`), and stop working after. The
same for the Document Server's JWT secret: between the gateway's switch and the Document Server's,
callbacks signed with the old one are still taken (`documentserver.jwt.previous_secret`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.testing.stack import running_stack
from tests.integration.saving.saving_helpers import FAST, attachment, callbacks, open_editor, text_of

OLD, NEW = "old-link-secret-" + "a" * 24, "new-link-secret-" + "b" * 24


def _rotated(until: datetime) -> dict[str, dict[str, object]]:
    return {"links": {"secret": NEW, "previous_secret": OLD, "previous_until": until}}


async def test_an_editor_opened_before_the_rotation_saves_once_after_it() -> None:
    async with running_stack(**FAST, settings={"links": {"secret": OLD}}) as stack:
        att = attachment(stack)
        before = len(att.versions)
        _, alice = await open_editor(stack, att.id)
        await stack.restart_gateway(_rotated(datetime.now(UTC) + timedelta(days=30)))
        stack.docserver.type_text(alice, "Written across a rotation")
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        assert len(att.versions) == before + 1
        assert "Written across a rotation" in text_of(stack, att)
        saves = callbacks(stack, status=2)
        assert len(saves) == 1 and saves[0].success


async def test_after_previous_until_the_old_links_are_refused() -> None:
    async with running_stack(**FAST, settings={"links": {"secret": OLD}}) as stack:
        att = attachment(stack)
        before = len(att.versions)
        _, alice = await open_editor(stack, att.id)
        await stack.restart_gateway(_rotated(datetime.now(UTC) - timedelta(seconds=1)))
        stack.docserver.type_text(alice, "Too late")
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        assert len(att.versions) == before
        saves = callbacks(stack, status=2)
        assert saves and not any(s.success for s in saves)


async def test_the_link_secret_is_not_the_document_servers() -> None:
    """With `links.secret` set, the Document Server's secret does not sign links: a link made
    under one `links.secret` fails under another even with the same Document Server secret."""
    async with running_stack(**FAST, settings={"links": {"secret": OLD}}) as stack:
        att = attachment(stack)
        before = len(att.versions)
        _, alice = await open_editor(stack, att.id)
        await stack.restart_gateway({"links": {"secret": NEW}})
        stack.docserver.type_text(alice, "Lost link")
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        assert len(att.versions) == before


async def test_moving_to_a_link_secret_of_its_own_keeps_open_editors() -> None:
    """Before, the links' key came from the Document Server's secret: naming that secret as the
    previous one keeps the links handed out so far (the runbook's first step of a JWT rotation)."""
    async with running_stack(**FAST) as stack:
        att = attachment(stack)
        before = len(att.versions)
        _, alice = await open_editor(stack, att.id)
        jwt_secret = stack.settings.documentserver.jwt.secret.get_secret_value()
        until = datetime.now(UTC) + timedelta(days=30)
        await stack.restart_gateway(
            {"links": {"secret": NEW, "previous_secret": jwt_secret, "previous_until": until}}
        )
        stack.docserver.type_text(alice, "Kept across the move")
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        assert len(att.versions) == before + 1
        assert "Kept across the move" in text_of(stack, att)


JWT_NEW = "new-document-server-secret-" + "c" * 16


async def test_a_jwt_rotation_keeps_open_editors_saving() -> None:
    """The runbook's order: the gateway first (new secret, the old one still accepted), then the
    Document Server; a callback signed either way is taken, and the edit is saved once."""
    async with running_stack(**FAST, settings={"links": {"secret": OLD}}) as stack:
        att = attachment(stack)
        before = len(att.versions)
        old = stack.settings.documentserver.jwt.secret.get_secret_value()
        _, alice = await open_editor(stack, att.id)
        _, admin = await open_editor(stack, att.id, "admin")
        await stack.docserver.drain()  # the join callbacks are in before the restart
        earlier = len(callbacks(stack))
        until = datetime.now(UTC) + timedelta(days=1)
        await stack.restart_gateway(
            {"documentserver": {"jwt": {"secret": JWT_NEW, "previous_secret": old, "previous_until": until}}}
        )
        stack.docserver.type_text(alice, "Before the Document Server switched")
        stack.docserver.leave(alice)  # a callback signed with the old secret, the gateway on the new
        await stack.docserver.drain()
        stack.docserver.egress.jwt_secret = JWT_NEW  # the Document Server restarted with the new secret
        stack.docserver.type_text(admin, "after it")
        stack.docserver.leave(admin)
        await stack.docserver.drain()
        assert len(att.versions) == before + 1
        text = text_of(stack, att)
        assert "Before the Document Server switched" in text and "after it" in text
        after = callbacks(stack)[earlier:]
        assert len(after) >= 2 and all(c.success for c in after)  # old-signed, then new-signed


async def test_without_the_previous_jwt_secret_old_callbacks_are_refused() -> None:
    async with running_stack(**FAST, settings={"links": {"secret": OLD}}) as stack:
        att = attachment(stack)
        before = len(att.versions)
        _, alice = await open_editor(stack, att.id)
        await stack.restart_gateway({"documentserver": {"jwt": {"secret": JWT_NEW}}})
        stack.docserver.type_text(alice, "Signed with the old secret")
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        assert len(att.versions) == before
        assert not any(s.success for s in callbacks(stack, status=2))
