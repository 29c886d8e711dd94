"""engine.io v4 and socket.io v5 packets, as far as the editor's channel uses them.

The real Document Server runs socket.io 4 at `/doc/<key>/c/` (options from
`services.CoAuthoring.socketio.connection`: pingInterval 25000, pingTimeout 20000,
maxHttpBufferSize 100000000). Over the WebSocket transport each text frame is one engine.io packet:
`0{open}` (server, first), `1` close, `2` ping (the server sends it), `3` pong, `4<socket.io packet>`.
A socket.io packet is `<type>[<namespace>,][<ack id>][<json>]` with types 0 CONNECT,
1 DISCONNECT, 2 EVENT, 3 ACK, 4 CONNECT_ERROR (5/6, the binary ones, carry attachments the editor's
JSON messages never have). So the editor's `socket.emit("message", data)` travels as
`42["message",{...}]`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ACK",
    "CLOSE",
    "CONNECT",
    "CONNECT_ERROR",
    "DISCONNECT",
    "EVENT",
    "MESSAGE",
    "OPEN",
    "PING",
    "PONG",
    "EngineOptions",
    "PacketError",
    "SocketPacket",
    "connect_error_packet",
    "connect_packet",
    "disconnect_packet",
    "event_packet",
    "open_packet",
    "parse_socket_packet",
]

# engine.io packet types (the first character of a frame)
OPEN, CLOSE, PING, PONG, MESSAGE = "0", "1", "2", "3", "4"
# socket.io packet types (the character after engine.io's MESSAGE)
CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR = 0, 1, 2, 3, 4


class PacketError(ValueError):
    """A frame that is not a packet socket.io would decode: the server closes the transport."""


@dataclass(frozen=True)
class EngineOptions:
    """The handshake values; DS's defaults. Seconds here, milliseconds on the wire."""

    ping_interval: float = 25.0
    ping_timeout: float = 20.0
    max_payload: int = 100_000_000
    connect_timeout: float = 45.0  # socket.io's connectTimeout: no CONNECT in time, the transport closes


@dataclass(frozen=True)
class SocketPacket:
    type: int
    namespace: str = "/"
    ack_id: int | None = None
    data: Any = None


def open_packet(sid: str, options: EngineOptions) -> str:
    handshake = {
        "sid": sid,
        "upgrades": [],  # already on the WebSocket: nothing to upgrade to
        "pingInterval": round(options.ping_interval * 1000),
        "pingTimeout": round(options.ping_timeout * 1000),
        "maxPayload": options.max_payload,
    }
    return OPEN + json.dumps(handshake, separators=(",", ":"))


def connect_packet(socket_id: str) -> str:
    return f"{MESSAGE}{CONNECT}" + json.dumps({"sid": socket_id}, separators=(",", ":"))


def connect_error_packet(namespace: str, message: str) -> str:
    prefix = "" if namespace == "/" else f"{namespace},"
    return f"{MESSAGE}{CONNECT_ERROR}{prefix}" + json.dumps({"message": message}, separators=(",", ":"))


def event_packet(name: str, *args: Any) -> str:
    return f"{MESSAGE}{EVENT}" + json.dumps([name, *args], separators=(",", ":"))


def disconnect_packet() -> str:
    return f"{MESSAGE}{DISCONNECT}"


def parse_socket_packet(text: str) -> SocketPacket:
    """Decode the socket.io packet that follows engine.io's MESSAGE type."""
    if not text or not text[0].isdigit():
        raise PacketError("no socket.io packet type")
    kind = int(text[0])
    if kind > CONNECT_ERROR:
        raise PacketError(f"socket.io packet type {kind} is not supported (binary attachments)")
    rest = text[1:]
    namespace = "/"
    if rest.startswith("/"):
        end = rest.find(",")
        namespace, rest = (rest, "") if end < 0 else (rest[:end], rest[end + 1 :])
    digits = 0
    while digits < len(rest) and rest[digits].isdigit():
        digits += 1
    ack_id = int(rest[:digits]) if digits else None
    rest = rest[digits:]
    data: Any = None
    if rest:
        try:
            data = json.loads(rest)
        except ValueError as exc:
            raise PacketError("the packet's payload is not JSON") from exc
    if kind == EVENT and (not isinstance(data, list) or not data or not isinstance(data[0], str)):
        raise PacketError("an EVENT's payload is an array starting with the event name")
    if kind == CONNECT and data is not None and not isinstance(data, dict):
        raise PacketError("a CONNECT's payload (auth) is an object")
    return SocketPacket(kind, namespace, ack_id, data)
