"""The engine.io / socket.io packet codec of the editor's channel (engineio.py), without sockets."""

from __future__ import annotations

import json

import pytest

from gateway.testing.docserver.engineio import (
    CONNECT,
    EVENT,
    EngineOptions,
    PacketError,
    SocketPacket,
    connect_error_packet,
    connect_packet,
    disconnect_packet,
    event_packet,
    open_packet,
    parse_socket_packet,
)


def test_the_open_packet_carries_ds_defaults_in_milliseconds() -> None:
    packet = open_packet("abc", EngineOptions())
    assert packet[0] == "0"
    assert json.loads(packet[1:]) == {
        "sid": "abc",
        "upgrades": [],
        "pingInterval": 25000,
        "pingTimeout": 20000,
        "maxPayload": 100000000,
    }


def test_server_packets() -> None:
    assert connect_packet("s1") == '40{"sid":"s1"}'
    assert disconnect_packet() == "41"
    assert event_packet("message", {"type": "state"}) == '42["message",{"type":"state"}]'
    assert connect_error_packet("/", "nope") == '44{"message":"nope"}'
    assert connect_error_packet("/admin", "Invalid namespace") == '44/admin,{"message":"Invalid namespace"}'


@pytest.mark.parametrize(
    ("text", "packet"),
    [
        ("0", SocketPacket(CONNECT)),
        ('0{"token":"t"}', SocketPacket(CONNECT, data={"token": "t"})),
        ("0/admin,", SocketPacket(CONNECT, "/admin")),
        ('2["message",{"a":1}]', SocketPacket(EVENT, data=["message", {"a": 1}])),
        ('213["message",1]', SocketPacket(EVENT, ack_id=13, data=["message", 1])),
        ('2/admin,7["x"]', SocketPacket(EVENT, "/admin", 7, ["x"])),
        ("1", SocketPacket(1)),
        ("3/admin,4[]", SocketPacket(3, "/admin", 4, [])),
    ],
)
def test_parse(text: str, packet: SocketPacket) -> None:
    assert parse_socket_packet(text) == packet


@pytest.mark.parametrize(
    "text", ["", "x", "5-[]", "6-0[]", "2", '2{"not":"array"}', "2[1]", "0[1]", "2[broken"]
)
def test_what_socket_io_would_not_decode(text: str) -> None:
    with pytest.raises(PacketError):
        parse_socket_packet(text)
