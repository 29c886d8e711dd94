"""With a data_dir, sessions, cached downloads and forgotten files survive a restart."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from gateway.testing.documents import extract_text
from tests.simulators.docserver.docserver_helpers import SimFactory, StubHost, editor_config


async def test_unsaved_session_is_saved_after_restart(
    make_sim: SimFactory, host: StubHost, tmp_data: Path
) -> None:
    first = await make_sim(data_dir=tmp_data, save_delay=60)
    opened = await first.state.open(editor_config(host, "p1"), base_url=first.base)
    await host.wait_callbacks(1)  # status 1 arrived: the count below cannot race with it
    first.state.type_text(opened.participant, "before restart")
    first.state.leave(opened.participant)
    await first.server.close()
    statuses = [b["status"] for b in host.bodies()]
    assert 2 not in statuses

    second = await make_sim(data_dir=tmp_data, save_delay=0.05)
    await host.wait_callbacks(len(statuses) + 1)
    body = host.bodies(2)[0]
    assert body["key"] == "p1"
    # The link points at the first server's address (the editor connection's host), as DS does;
    # fetch the same file through the restarted server.
    path = body["url"].split("/cache/", 1)[1]
    async with aiohttp.ClientSession() as client:
        resp = await client.get(second.url("/cache/" + path))
        assert resp.status == 200
        assert extract_text("docx", await resp.read()) == "Quarterly report\nbefore restart"


async def test_cached_copy_and_forgotten_files_survive(
    make_sim: SimFactory, host: StubHost, tmp_data: Path
) -> None:
    first = await make_sim(data_dir=tmp_data, save_delay=0.01, retry_base_delay=0.01)
    host.default_reply = "404"
    opened = await first.state.open(editor_config(host, "p2"), base_url=first.base)
    first.state.type_text(opened.participant, "never delivered")
    first.state.leave(opened.participant)
    await first.state.drain()
    plain = await first.state.open(editor_config(host, "p3"), base_url=first.base)
    first.state.leave(plain.participant)
    await first.state.drain()
    await first.server.close()
    assert len(host.downloads) == 2

    second = await make_sim(data_dir=tmp_data)
    assert "p2" in second.state.forgotten
    again = await second.state.open(editor_config(host, "p2"), base_url=second.base)
    assert again.session.text == "Quarterly report\nnever delivered"
    cached = await second.state.open(editor_config(host, "p3"), base_url=second.base)
    assert cached.session.text == "Quarterly report"
    assert len(host.downloads) == 2
