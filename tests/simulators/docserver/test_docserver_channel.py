"""The editor's WebSocket at /doc/<key>/c/ (reference §2.2 statuses, §3.1 and §8.2 close codes)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import aiohttp
import jwt
import pytest

from gateway.testing.docserver import engineio
from gateway.testing.documents import extract_text
from tests.simulators.docserver.docserver_helpers import (
    SECRET,
    Sim,
    SimFactory,
    StubHost,
    closed_with,
    editor_config,
    receive,
)


def plain(body: dict[str, Any]) -> dict[str, Any]:
    """A callback body without its `token` (the signing is checked in test_docserver_sessions)."""
    return {k: v for k, v in body.items() if k != "token"}


async def test_joining_over_the_socket_sends_status_1(sim: Sim, host: StubHost) -> None:
    ws, opened = await sim.open_socket(editor_config(host, "w1"))
    assert opened["type"] == "opened"
    assert opened["mode"] == "edit" and opened["text"] == "Quarterly report"
    assert opened["users"] == [{"id": "alice", "name": "Alice", "mode": "edit"}]
    bodies = await host.wait_callbacks(1)
    assert plain(bodies[0]) == {
        "key": "w1",
        "status": 1,
        "users": ["alice"],
        "actions": [{"type": 1, "userid": "alice"}],
    }
    assert not ws.closed


async def test_two_sockets_on_one_key_share_a_session_and_see_pushed_state(sim: Sim, host: StubHost) -> None:
    alice, _ = await sim.open_socket(editor_config(host, "w2"))
    bob, opened = await sim.open_socket(editor_config(host, "w2", user="bob"))
    assert [u["id"] for u in opened["users"]] == ["alice", "bob"]
    assert list(sim.state.sessions) == ["w2"] and len(host.downloads) == 1
    # Alice is told that Bob came, without asking.
    state = await receive(alice, "state")
    assert [u["id"] for u in state["users"]] == ["alice", "bob"]

    await bob.send_json({"type": "append", "text": "Bob typed"})
    assert (await receive(bob, "appended"))["text"] == "Quarterly report\nBob typed"
    state = await receive(alice, "state")
    assert state["text"] == "Quarterly report\nBob typed"

    await bob.close()  # Bob's socket goes away: he leaves, Alice still edits
    state = await receive(alice, "state")
    assert [u["id"] for u in state["users"]] == ["alice"]
    bodies = await host.wait_callbacks(3)
    assert plain(bodies[2]) == {
        "key": "w2",
        "status": 1,
        "users": ["alice"],
        "actions": [{"type": 0, "userid": "bob"}],
    }


async def test_append_then_disconnect_saves_after_the_delay(sim: Sim, host: StubHost) -> None:
    ws, _ = await sim.open_socket(editor_config(host, "w3"))
    await ws.send_json({"type": "append", "text": "Typed over the socket"})
    await receive(ws, "appended")
    left_at = time.monotonic()
    await ws.close()
    await host.wait_callbacks(2)
    assert host.callbacks[1].at - left_at >= 0.2  # the save delay (0.2 s in these tests)
    body = host.bodies()[1]
    assert body["status"] == 2 and body["actions"] == [{"type": 0, "userid": "alice"}]
    resp = await sim.client.get(body["url"])
    assert extract_text("docx", await resp.read()) == "Quarterly report\nTyped over the socket"
    await sim.state.drain()
    assert "w3" not in sim.state.sessions


async def test_clean_close_message_leaves_like_the_close_button(sim: Sim, host: StubHost) -> None:
    ws, _ = await sim.open_socket(editor_config(host, "w4"))
    await ws.send_json({"type": "close"})
    assert await closed_with(ws) == 1000
    bodies = await host.wait_callbacks(2)
    assert plain(bodies[1]) == {"key": "w4", "status": 4, "actions": [{"type": 0, "userid": "alice"}]}


async def test_clean_close_after_edits_saves_without_the_delay(make_sim: SimFactory, host: StubHost) -> None:
    """§2.2: DS skips `savetimeoutdelay` when the editor closed cleanly; a dropped socket waits it out."""
    slow = await make_sim(save_delay=30.0)
    ws, _ = await slow.open_socket(editor_config(host, "w4b"))
    await ws.send_json({"type": "append", "text": "Closed cleanly"})
    await receive(ws, "appended")
    await ws.send_json({"type": "close"})
    assert await closed_with(ws) == 1000
    bodies = await host.wait_callbacks(2)  # long before the 30 s delay
    assert bodies[1]["status"] == 2


async def test_save_message_is_a_force_save_with_status_6(sim: Sim, host: StubHost) -> None:
    ws, _ = await sim.open_socket(editor_config(host, "w5", forcesave=True))
    await ws.send_json({"type": "save"})
    assert await receive(ws, "saved") == {"type": "saved", "saved": False}  # nothing yet
    await ws.send_json({"type": "append", "text": "keep me"})
    await ws.send_json({"type": "save"})
    assert await receive(ws, "saved") == {"type": "saved", "saved": True}
    await sim.state.drain()
    body = host.bodies(6)[0]
    assert body["forcesavetype"] == 1 and body["actions"] == [{"type": 2, "userid": "alice"}]
    assert "w5" in sim.state.sessions and not ws.closed


async def test_viewers_cannot_append(sim: Sim, host: StubHost) -> None:
    ws, opened = await sim.open_socket(editor_config(host, "w6", mode="view"))
    assert opened["mode"] == "view"
    await ws.send_json({"type": "append", "text": "nope"})
    assert (await receive(ws, "error"))["code"] == -23
    assert not ws.closed and sim.state.sessions["w6"].text == "Quarterly report"


@pytest.mark.parametrize(
    ("change", "code", "close_code"),
    [
        ("unsigned", -20, 4006),
        ("wrong-secret", -20, 4006),
        ("expired", -120, 4005),
        ("permissions", -23, 4004),
    ],
)
async def test_token_errors_close_the_socket_with_the_real_codes(
    sim: Sim, host: StubHost, change: str, code: int, close_code: int
) -> None:
    from tests.simulators.docserver.test_docserver_jwt import resign

    config: dict[str, Any] = editor_config(host, "w7", sign_it=change != "unsigned")
    if change == "wrong-secret":
        config = resign(config, secret="another-secret-another-secret-xx")
    elif change == "expired":
        config = resign(config, exp=int(time.time()) - 3600)
    elif change == "permissions":
        config["document"]["permissions"] = {"edit": True, "download": False}
    ws, answer = await sim.open_socket(config)
    assert answer["type"] == "error" and answer["code"] == code
    assert await closed_with(ws) == close_code
    assert host.downloads == [] and sim.state.sessions == {}


async def test_a_key_saved_moments_ago_opens_read_only_then_closes_4008(sim: Sim, host: StubHost) -> None:
    ws, _ = await sim.open_socket(editor_config(host, "w8"))
    await ws.send_json({"type": "append", "text": "saved"})
    await receive(ws, "appended")
    await ws.close()
    await sim.state.drain()
    assert host.bodies(2)
    ws, opened = await sim.open_socket(editor_config(host, "w8", user="bob"))
    assert opened["outdated"] is True and opened["mode"] == "view"
    assert await closed_with(ws) == 4008


async def test_leaving_through_the_test_hook_tells_the_socket(sim: Sim, host: StubHost) -> None:
    ws, opened = await sim.open_socket(editor_config(host, "w9"))
    sim.state.leave(opened["connection"])
    assert await receive(ws, "closed") == {"type": "closed"}
    assert await closed_with(ws) == 1000


async def test_the_engine_io_query_is_required(sim: Sim) -> None:
    resp = await sim.client.get(sim.url("/doc/k/c/?transport=websocket"))
    assert resp.status == 400 and await resp.json() == {"code": 5, "message": "Unsupported protocol version"}
    resp = await sim.client.get(sim.url("/doc/k/c/?EIO=4&transport=polling"))
    assert resp.status == 400 and await resp.json() == {"code": 0, "message": "Transport unknown"}
    resp = await sim.client.get(sim.socket_url("k"))  # no Upgrade header
    assert resp.status == 400 and await resp.json() == {"code": 3, "message": "Bad request"}


async def test_shutdown_closes_sockets_1001_without_anyone_leaving(sim: Sim, host: StubHost) -> None:
    ws, _ = await sim.open_socket(editor_config(host, "w10"))
    await ws.send_json({"type": "append", "text": "unsaved"})
    await receive(ws, "appended")
    close_code = asyncio.create_task(closed_with(ws))
    await sim.server.close()
    assert await close_code == 1001
    assert [b["status"] for b in host.bodies()] == [1]  # no status 2: DS saves on its next start


async def test_meta_command_is_pushed_to_the_editor(sim: Sim, host: StubHost) -> None:
    from tests.simulators.docserver.docserver_helpers import sign

    ws, _ = await sim.open_socket(editor_config(host, "w11"))
    command = {"c": "meta", "key": "w11", "meta": {"title": "Renamed.docx"}}
    resp = await sim.client.post(sim.url("/command"), json={"token": sign(command)})
    assert (await resp.json())["error"] == 0
    assert (await receive(ws, "metaChange"))["title"] == "Renamed.docx"
    assert (await receive(ws, "state"))["title"] == "Renamed.docx"


async def test_the_engine_io_handshake_as_socket_io_4_does_it(make_sim: SimFactory, host: StubHost) -> None:
    sim = await make_sim(ping_interval=0.5, ping_timeout=0.25)
    ws = await sim.client.ws_connect(sim.socket_url("w12"))
    first = await ws.receive(timeout=5)
    assert first.data.startswith("0{")
    handshake = json.loads(first.data[1:])
    assert set(handshake) == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
    assert handshake["upgrades"] == [] and handshake["maxPayload"] == 100_000_000
    assert (handshake["pingInterval"], handshake["pingTimeout"]) == (500, 250)
    assert re.fullmatch(r"[A-Za-z0-9_-]{20}", handshake["sid"])
    # Messages before the namespace is connected are dropped, as socket.io does.
    await ws.send_str(
        engineio.event_packet("message", {"type": "open", "config": editor_config(host, "w12")})
    )
    await ws.send_str('40/admin,{"token":"x"}')
    assert (await ws.receive(timeout=5)).data == '44/admin,{"message":"Invalid namespace"}'
    await ws.send_str('40{"token":"a JWT, as the real editor sends"}')
    connected = await ws.receive(timeout=5)
    assert (
        connected.data.startswith('40{"sid":"') and json.loads(connected.data[2:])["sid"] != handshake["sid"]
    )
    assert sim.state.sessions == {} and host.downloads == []
    # The server pings first; a pong keeps the session.
    assert (await ws.receive(timeout=5)).data == "2"
    await ws.send_str("3")
    await ws.send_str('421["other event",{}]')  # an event nobody listens to, with an ack id: ignored
    await ws.send_str(
        engineio.event_packet("message", {"type": "open", "config": editor_config(host, "w12")})
    )
    opened = json.loads((await ws.receive(timeout=5)).data[2:])
    assert opened[0] == "message" and opened[1]["type"] == "opened" and "settings" not in opened[1]
    await ws.send_str("41")  # socket.io disconnect from the client: the editor left
    assert (await ws.receive(timeout=5)).type is aiohttp.WSMsgType.CLOSE
    assert [b["status"] for b in await host.wait_callbacks(2)] == [1, 4]


async def test_no_namespace_connect_within_the_connect_timeout_closes(make_sim: SimFactory) -> None:
    sim = await make_sim(connect_timeout=0.2)
    ws = await sim.client.ws_connect(sim.socket_url("w13"))
    assert (await ws.receive(timeout=5)).data.startswith("0{")
    closed = await ws.receive(timeout=5)  # no `40` sent: socket.io gives up on the client
    assert closed.type is aiohttp.WSMsgType.CLOSE and closed.extra == "connect timeout"
    connected = await sim.connect("w13")  # one that connects in time stays: no close frame comes
    with pytest.raises(TimeoutError):
        await connected.ws.receive(timeout=0.4)


async def test_a_frame_over_max_payload_closes_1009(make_sim: SimFactory) -> None:
    sim = await make_sim(max_payload=100)
    ws = await sim.connect("w14")
    await ws.send({"type": "append", "text": "x" * 200})
    assert await closed_with(ws) == 1009


async def test_reconnection_settings_are_told_in_the_auth_answer(
    make_sim: SimFactory, host: StubHost
) -> None:
    sim = await make_sim(reconnection=(3, 0.25))
    _, opened = await sim.open_socket(editor_config(host, "w15"))
    assert opened["settings"] == {"reconnection": {"attempts": 3, "delay": 250}}


async def test_an_editor_that_reconnects_within_the_save_delay_keeps_the_session(
    make_sim: SimFactory, host: StubHost
) -> None:
    """The socket drops (no `41`), the editor opens the same key again: nothing is saved meanwhile,
    the edits are still there, and co-editing goes on in the same session."""
    slow = await make_sim(save_delay=1.0)
    ws, first = await slow.open_socket(editor_config(host, "w16"))
    await ws.send({"type": "append", "text": "before the drop"})
    await receive(ws, "appended")
    session = slow.state.sessions["w16"]
    await ws.close(code=1001)  # the transport goes away without a socket.io DISCONNECT
    ws, again = await slow.open_socket(editor_config(host, "w16"))
    assert again["connection"] != first["connection"]
    assert again["text"] == "Quarterly report\nbefore the drop"
    assert slow.state.sessions["w16"] is session and session.save_task is None
    await ws.send({"type": "append", "text": "after"})
    await receive(ws, "appended")
    await asyncio.sleep(1.2)
    assert host.bodies(2) == [] and len(host.downloads) == 1
    await ws.send({"type": "close"})
    assert await closed_with(ws) == 1000
    bodies = await host.wait_callbacks(3)
    assert [b["status"] for b in bodies] == [1, 1, 2]  # joined, rejoined, saved once
    resp = await slow.client.get(bodies[2]["url"])
    assert extract_text("docx", await resp.read()) == "Quarterly report\nbefore the drop\nafter"


async def test_a_reconnect_shows_the_session_token_so_an_expired_config_token_still_opens(
    sim: Sim, host: StubHost
) -> None:
    """§3.3: the config token's `exp` only matters at open; reconnects use DS's session token."""
    from tests.simulators.docserver.test_docserver_jwt import resign

    ws, opened = await sim.open_socket(editor_config(host, "w17"))
    claims = jwt.decode(opened["jwt"], SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 30 * 24 * 3600
    assert claims["config"]["document"]["key"] == "w17"
    await ws.close(code=1001)
    expired = resign(editor_config(host, "w17"), exp=int(time.time()) - 3600)

    ws = await sim.connect("w17")
    await ws.send({"type": "open", "config": expired})
    assert (await receive(ws, "error"))["code"] == -120  # no session token: refused, 4005
    assert await closed_with(ws) == 4005 and ws.disconnected

    ws = await sim.connect("w17")
    await ws.send({"type": "open", "config": expired, "session": opened["jwt"]})
    again = await receive(ws, "opened")
    assert again["mode"] == "edit" and again["user"] == {"id": "alice", "name": "Alice"}

    forged = jwt.encode({"config": claims["config"]}, "another-secret-another-secret-xx", algorithm="HS256")
    ws = await sim.connect("w17")
    await ws.send({"type": "open", "config": expired, "session": forged})
    assert (await receive(ws, "error"))["code"] == -20
    assert await closed_with(ws) == 4006
