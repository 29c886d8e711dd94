"""Co-editing sessions and the callbacks they produce (reference §2.1, §2.2, §3.2, §8.2)."""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
import zipfile
from typing import Any

import aiohttp
import jwt
import pytest

from gateway.testing.documents import extract_text, make_document
from tests.simulators.docserver.docserver_helpers import (
    SECRET,
    Sim,
    StubHost,
    closed_with,
    editor_config,
    receive,
)


async def open_editor(sim: Sim, config: dict[str, Any], **headers: str) -> dict[str, Any]:
    """Open an editor over its socket; the socket stays open (in `sim.sockets`) until the test ends."""
    _, answer = await sim.open_socket(config, **headers)
    assert answer["type"] == "opened", answer
    return answer


def assert_signed_twice(host: StubHost, index: int) -> dict[str, Any]:
    """Body `token` = HS256 of the other fields + iat/exp(+300); header = `{payload: body}`."""
    request = host.callbacks[index]
    body = json.loads(request.body)
    claims = jwt.decode(body["token"], SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 300
    plain = {k: v for k, v in body.items() if k != "token"}
    assert {k: v for k, v in claims.items() if k not in ("iat", "exp")} == plain
    assert jwt.get_unverified_header(body["token"])["alg"] == "HS256"
    header = request.headers["Authorization"]
    assert header.startswith("Bearer ")
    header_claims = jwt.decode(header[7:], SECRET, algorithms=["HS256"])
    assert header_claims["payload"] == plain
    assert request.headers["Content-Type"].startswith("application/json")
    return plain


async def test_open_downloads_with_outbox_header_and_sends_status_1(sim: Sim, host: StubHost) -> None:
    answer = await open_editor(sim, editor_config(host, "doc-1"))
    assert answer["mode"] == "edit"
    assert answer["title"] == "report.docx"
    assert answer["text"] == "Quarterly report"
    assert [u["id"] for u in answer["users"]] == ["alice"]

    assert len(host.downloads) == 1
    download = host.downloads[0]
    assert download.claims is not None
    assert download.claims["payload"] == {"url": host.url("/files/report.docx")}
    assert download.claims["exp"] - download.claims["iat"] == 300

    await sim.state.drain()
    body = assert_signed_twice(host, 0)
    assert body == {
        "key": "doc-1",
        "status": 1,
        "users": ["alice"],
        "actions": [{"type": 1, "userid": "alice"}],
    }


async def test_same_key_is_one_shared_session_without_redownload(sim: Sim, host: StubHost) -> None:
    first = await open_editor(sim, editor_config(host, "doc-2"))
    second = await open_editor(sim, editor_config(host, "doc-2", user="bob"))
    assert len(host.downloads) == 1
    assert [u["id"] for u in second["users"]] == ["alice", "bob"]
    assert len(sim.state.sessions) == 1

    sim.state.type_text(first["connection"], "Alice was here")
    state = await receive(sim.sockets[second["connection"]], "state")
    while state["text"] != "Quarterly report\nAlice was here":  # pushed: maybe a users change first
        state = await receive(sim.sockets[second["connection"]], "state")
    assert [u["name"] for u in state["users"]] == ["Alice", "Bob"]

    await sim.state.drain()
    bodies = host.bodies(1)
    assert bodies[1]["users"] == ["alice", "bob"]
    assert bodies[1]["actions"] == [{"type": 1, "userid": "bob"}]


async def test_viewers_trigger_no_callbacks(sim: Sim, host: StubHost) -> None:
    answer = await open_editor(sim, editor_config(host, "doc-3", mode="view"))
    assert answer["mode"] == "view"
    sim.state.leave(answer["connection"])
    await sim.state.drain()
    assert host.callbacks == []


async def test_status_4_when_last_editor_leaves_without_changes(sim: Sim, host: StubHost) -> None:
    answer = await open_editor(sim, editor_config(host, "doc-4"))
    sim.state.leave(answer["connection"])
    await sim.state.drain()
    assert [b["status"] for b in host.bodies()] == [1, 4]
    body = assert_signed_twice(host, 1)
    assert body == {"key": "doc-4", "status": 4, "actions": [{"type": 0, "userid": "alice"}]}
    assert "doc-4" not in sim.state.sessions
    # Same key again: DS serves its cached copy.
    await open_editor(sim, editor_config(host, "doc-4"))
    assert len(host.downloads) == 1


async def test_status_2_after_save_delay_with_real_modified_file(sim: Sim, host: StubHost) -> None:
    alice = await open_editor(sim, editor_config(host, "doc-5"))
    bob = await open_editor(sim, editor_config(host, "doc-5", user="bob"))
    sim.state.type_text(alice["connection"], "First line")
    sim.state.type_text(alice["connection"], "Second line")
    sim.state.type_text(bob["connection"], "Bob's line")
    sim.state.leave(alice["connection"])
    await sim.state.drain()
    status1 = host.bodies(1)[-1]
    assert status1["users"] == ["bob"]
    assert status1["actions"] == [{"type": 0, "userid": "alice"}]

    left_at = time.monotonic()
    sim.state.leave(bob["connection"])
    await host.wait_callbacks(4)
    assert host.callbacks[-1].at - left_at >= 0.2  # the save delay
    body = assert_signed_twice(host, 3)
    assert list(body) == [
        "key",
        "status",
        "url",
        "changesurl",
        "history",
        "users",
        "actions",
        "lastsave",
        "notmodified",
        "filetype",
    ]
    assert body["status"] == 2 and body["key"] == "doc-5"
    assert body["users"] == ["bob"]
    assert body["actions"] == [{"type": 0, "userid": "bob"}]
    assert body["filetype"] == "docx"
    assert body["notmodified"] is False
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["lastsave"])
    assert body["history"]["serverVersion"] == "9.3.0"
    changes = body["history"]["changes"]
    assert [c["user"] for c in changes] == [{"id": "alice", "name": "Alice"}, {"id": "bob", "name": "Bob"}]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", changes[0]["created"])
    assert re.match(
        re.escape(sim.base) + r"/cache/files/data/doc-5_\d+/output\.docx/output\.docx\?md5=", body["url"]
    )

    async with aiohttp.ClientSession() as client:
        resp = await client.get(body["url"])
        assert resp.status == 200
        saved = await resp.read()
        resp = await client.get(body["changesurl"])
        assert resp.status == 200
        changes_zip = await resp.read()
    assert extract_text("docx", saved) == "Quarterly report\nFirst line\nSecond line\nBob's line"
    assert zipfile.ZipFile(io.BytesIO(changes_zip)).namelist() == ["changes0.json"]
    assert "doc-5" not in sim.state.sessions


async def test_editor_returning_during_save_delay_cancels_the_save(make_sim: Any, host: StubHost) -> None:
    sim = await make_sim(save_delay=0.5)
    alice = await open_editor(sim, editor_config(host, "doc-6"))
    sim.state.type_text(alice["connection"], "edit")
    sim.state.leave(alice["connection"])
    again = await open_editor(sim, editor_config(host, "doc-6"))
    assert again["text"] == "Quarterly report\nedit"
    await sim.state.drain()
    assert [b["status"] for b in host.bodies()] == [1, 1]


async def test_force_save_button_sends_status_6_and_keeps_the_key(sim: Sim, host: StubHost) -> None:
    alice = await open_editor(sim, editor_config(host, "doc-7", forcesave=True))
    assert await sim.state.force_save(alice["connection"]) is False  # nothing to save yet
    sim.state.type_text(alice["connection"], "Saved by button")
    assert await sim.state.force_save(alice["connection"]) is True
    await sim.state.drain()
    body = assert_signed_twice(host, 1)
    assert body["status"] == 6
    assert body["forcesavetype"] == 1
    assert body["actions"] == [{"type": 2, "userid": "alice"}]
    assert body["users"] == ["alice"]
    assert body["key"] == "doc-7"
    assert "doc-7" in sim.state.sessions  # editing continues

    sim.state.leave(alice["connection"])
    await sim.state.drain()
    final = host.bodies(2)[0]
    assert final["notmodified"] is True


async def test_plain_save_button_is_a_command_style_force_save(sim: Sim, host: StubHost) -> None:
    alice = await open_editor(sim, editor_config(host, "doc-8"))
    sim.state.type_text(alice["connection"], "text")
    ws = sim.sockets[alice["connection"]]
    await ws.send_json({"type": "save"})
    assert await receive(ws, "saved") == {"type": "saved", "saved": True}
    await sim.state.drain()
    body = host.bodies(6)[0]
    assert body["forcesavetype"] == 0
    assert "actions" not in body


async def test_update_version_rule_after_a_save(sim: Sim, host: StubHost) -> None:
    alice = await open_editor(sim, editor_config(host, "doc-9"))
    sim.state.type_text(alice["connection"], "change")
    sim.state.leave(alice["connection"])
    await sim.state.drain()
    assert host.bodies(2)

    reopened = await open_editor(sim, editor_config(host, "doc-9"))
    assert reopened["outdated"] is True
    assert reopened["mode"] == "view"
    assert "version has been changed" in reopened["warning"]
    sim.state.leave(reopened["connection"])
    assert len(host.downloads) == 1

    sim.state.store.update_version["doc-9"] -= 301  # the 5 minutes are over: DS re-downloads
    fresh = await open_editor(sim, editor_config(host, "doc-9"))
    assert fresh["outdated"] is False and fresh["mode"] == "edit"
    assert len(host.downloads) == 2


async def test_links_use_the_editor_connection_host(sim: Sim, host: StubHost) -> None:
    alice = await open_editor(
        sim,
        editor_config(host, "doc-10"),
        **{
            "X-Forwarded-Host": "docs.example.com, proxy",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Prefix": "/ds",
        },
    )
    sim.state.type_text(alice["connection"], "x")
    sim.state.leave(alice["connection"])
    await sim.state.drain()
    url = host.bodies(2)[0]["url"]
    assert url.startswith("https://docs.example.com/ds/cache/files/data/doc-10_")


async def test_unknown_and_invalid_requests_to_the_editor_channel(sim: Sim) -> None:
    for bad in ("not a packet", "4not json", '42["message","not an object"]', "45-[]", "9"):
        ws = await sim.connect("k")
        await ws.send_raw(bad)
        assert await closed_with(ws) == 1003, bad
    ws = await sim.connect("k")
    await ws.ws.send_bytes(b"\x04binary")
    assert await closed_with(ws) == 1003
    ws = await sim.connect("k")
    await ws.send_json({"type": "append", "text": "x"})
    assert (await receive(ws, "error"))["code"] == -1  # nothing open on this socket yet
    await ws.send_json({"type": "open", "nothing": 1})
    assert (await receive(ws, "error"))["code"] == -20
    assert await closed_with(ws) == 4006


async def test_a_socket_that_stops_answering_pings_is_disconnected(make_sim: Any, host: StubHost) -> None:
    """engine.io v4: the server pings every pingInterval; no pong within pingTimeout ends the session."""
    sim = await make_sim(ping_interval=0.2, ping_timeout=0.3)
    ws = await sim.connect("doc-11", answer_pings=False)
    await ws.send_json({"type": "open", "config": editor_config(host, "doc-11")})
    assert (await receive(ws))["type"] == "opened"
    assert await closed_with(ws) == 1000
    assert ws.pings == 1 and not ws.disconnected  # one unanswered ping: the transport is closed
    await host.wait_callbacks(2, timeout=10)
    assert [b["status"] for b in host.bodies()] == [1, 4]
    assert "doc-11" not in sim.state.sessions


async def test_a_socket_that_answers_pings_stays(make_sim: Any, host: StubHost) -> None:
    sim = await make_sim(ping_interval=0.1, ping_timeout=0.2)
    ws = await sim.connect("doc-11b")
    await ws.send_json({"type": "open", "config": editor_config(host, "doc-11b")})
    assert (await receive(ws))["type"] == "opened"
    while ws.pings < 5:  # reading answers them: 0.5 s, more than twice pingTimeout
        with contextlib.suppress(TimeoutError):
            await ws.receive(timeout=0.05)
    assert not ws.closed and "doc-11b" in sim.state.sessions
    assert [b["status"] for b in host.bodies()] == [1]
    await ws.close()


async def test_concurrent_opens_of_one_key_download_once(sim: Sim, host: StubHost) -> None:
    import asyncio

    answers = await asyncio.gather(*(open_editor(sim, editor_config(host, "doc-12", user=u)) for u in "abc"))
    assert len(host.downloads) == 1
    assert len({a["key"] for a in answers}) == 1
    assert len(sim.state.sessions["doc-12"].participants) == 3


async def test_a_viewer_arriving_during_the_save_delay_does_not_cancel_the_save(
    make_sim: Any, host: StubHost
) -> None:
    sim = await make_sim(save_delay=0.3)
    alice = await open_editor(sim, editor_config(host, "doc-13"))
    sim.state.type_text(alice["connection"], "edit")
    sim.state.leave(alice["connection"])
    await open_editor(sim, editor_config(host, "doc-13", user="bob", mode="view"))
    await sim.state.drain()
    assert [b["status"] for b in host.bodies()] == [1, 2]
    # An editor arriving now (within 5 minutes of the save) with the old key gets a read-only editor.
    late = await open_editor(sim, editor_config(host, "doc-13", user="carol"))
    assert late["mode"] == "view" and late["outdated"] is True


async def test_assembly_failure_sends_status_3_and_7_without_url(sim: Sim, host: StubHost) -> None:
    alice = await open_editor(sim, editor_config(host, "doc-14", forcesave=True))
    sim.state.type_text(alice["connection"], "one")
    sim.state.corrupt_next_save("doc-14")
    assert await sim.state.force_save(alice["connection"]) is True
    await sim.state.drain()
    body = assert_signed_twice(host, 1)
    assert body == {"key": "doc-14", "status": 7, "users": ["alice"], "forcesavetype": 1}

    sim.state.type_text(alice["connection"], "two")
    sim.state.corrupt_next_save("doc-14")
    sim.state.leave(alice["connection"])
    await sim.state.drain()
    body = assert_signed_twice(host, 2)
    assert body == {
        "key": "doc-14",
        "status": 3,
        "users": ["alice"],
        "actions": [{"type": 0, "userid": "alice"}],
    }
    assert "doc-14" not in sim.state.forgotten  # the host acknowledged it


@pytest.mark.parametrize(
    ("ext", "saved_as"),
    [
        ("docx", "docx"),
        ("xlsx", "xlsx"),
        ("pptx", "pptx"),
        ("pdf", "pdf"),
        ("odt", "odt"),
        ("ods", "ods"),
        ("doc", "docx"),
        ("xls", "xlsx"),
        ("ppt", "pptx"),
    ],
)
async def test_every_demo_format_round_trips(sim: Sim, host: StubHost, ext: str, saved_as: str) -> None:
    host.files[f"file.{ext}"] = make_document(ext, "Original")
    editor = await open_editor(sim, editor_config(host, f"fmt-{ext}", name=f"file.{ext}"))
    assert editor["text"] == "Original"
    sim.state.type_text(editor["connection"], "Added")
    sim.state.leave(editor["connection"])
    await sim.state.drain()
    body = host.bodies(2)[0]
    assert body["filetype"] == saved_as
    async with aiohttp.ClientSession() as client:
        resp = await client.get(body["url"])
        assert extract_text(saved_as, await resp.read()) == "Original\nAdded"
