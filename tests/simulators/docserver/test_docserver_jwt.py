"""Config token checks on open (reference §3.1, §3.3) and the private-IP rule (§8.4)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from tests.simulators.docserver.docserver_helpers import SECRET, Sim, StubHost, editor_config, sign


async def open_error(sim: Sim, config: dict[str, Any]) -> dict[str, Any] | None:
    """The error the editor's socket answers to `open` (None when it opened)."""
    _, answer = await sim.open_socket(config)
    return answer if answer["type"] == "error" else None


def resign(config: dict[str, Any], payload: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    unsigned = {k: v for k, v in config.items() if k != "token"}
    config = dict(unsigned)
    config["token"] = sign(payload if payload is not None else unsigned, **kw)
    return config


async def test_missing_token_is_refused(sim: Sim, host: StubHost) -> None:
    error = await open_error(sim, editor_config(host, "j1", sign_it=False))
    assert error is not None and error["code"] == -20
    assert "not correctly formed" in error["description"]
    assert host.downloads == []


async def test_wrong_secret_is_refused(sim: Sim, host: StubHost) -> None:
    config = resign(editor_config(host, "j2"), secret="another-secret-another-secret-xx")
    error = await open_error(sim, config)
    assert error is not None and error["code"] == -20


async def test_alg_none_is_refused(sim: Sim, host: StubHost) -> None:
    config = editor_config(host, "j3", sign_it=False)

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    config["token"] = b64({"alg": "none", "typ": "JWT"}) + "." + b64(config) + "."
    error = await open_error(sim, config)
    assert error is not None and error["code"] == -20


@pytest.mark.parametrize("algorithm", ["HS256", "HS384", "HS512"])
async def test_hmac_algorithms_are_accepted(sim: Sim, host: StubHost, algorithm: str) -> None:
    config = resign(editor_config(host, f"j4-{algorithm}"), algorithm=algorithm)
    assert await open_error(sim, config) is None


async def test_expiry_has_sixty_seconds_leeway(sim: Sim, host: StubHost) -> None:
    within = resign(editor_config(host, "j5a"), exp=int(time.time()) - 30)
    assert await open_error(sim, within) is None
    beyond = resign(editor_config(host, "j5b"), exp=int(time.time()) - 120)
    error = await open_error(sim, beyond)
    assert error is not None and error["code"] == -120


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("document", "key"), "key"),
        (("document", "url"), "url"),
        (("document", "permissions"), "permissions"),
        (("editorConfig", "callbackUrl"), "callbackUrl"),
        (("editorConfig", "mode"), "mode"),
    ],
)
async def test_required_signed_fields_since_7_1(
    sim: Sim, host: StubHost, path: tuple[str, str], field: str
) -> None:
    config = editor_config(host, "j6", sign_it=False)
    payload = json.loads(json.dumps(config))
    del payload[path[0]][path[1]]
    error = await open_error(sim, resign(config, payload))
    assert error is not None and error["code"] == -20
    assert field in error["description"]


async def test_view_mode_needs_no_signed_mode(sim: Sim, host: StubHost) -> None:
    config = editor_config(host, "j7", mode="view", sign_it=False)
    payload = json.loads(json.dumps(config))
    del payload["editorConfig"]["mode"]
    assert await open_error(sim, resign(config, payload)) is None


async def test_permissions_must_equal_the_signed_ones(sim: Sim, host: StubHost) -> None:
    config = editor_config(host, "j8")
    config["document"]["permissions"] = {"edit": True, "download": False}
    error = await open_error(sim, config)
    assert error is not None and error["code"] == -23


@pytest.mark.parametrize("field", ["url", "payload", "key"])
async def test_download_or_command_shaped_payloads_are_refused(sim: Sim, host: StubHost, field: str) -> None:
    config = editor_config(host, "j9", sign_it=False)
    payload = json.loads(json.dumps(config))
    payload[field] = "x"
    error = await open_error(sim, resign(config, payload))
    assert error is not None and error["code"] == -23


async def test_the_signed_values_win(sim: Sim, host: StubHost) -> None:
    config = editor_config(host, "j10")
    config["document"]["title"] = "<b>forged</b>.docx"
    config["editorConfig"]["user"] = {"id": "mallory", "name": "Mallory"}
    config["editorConfig"]["mode"] = "edit"
    _, answer = await sim.open_socket(config)
    assert answer["title"] == "report.docx"
    assert answer["user"] == {"id": "alice", "name": "Alice"}


async def test_private_addresses_are_refused_for_unsigned_requests(make_sim: Any, host: StubHost) -> None:
    sim = await make_sim(jwt_enabled=False, jwt_secret="")
    error = await open_error(sim, editor_config(host, "j11", sign_it=False))
    assert error is not None and error["code"] == -4
    assert "private IP address" in error["description"]
    assert host.downloads == []


async def test_private_addresses_allowed_by_the_switch_and_sent_unsigned(
    make_sim: Any, host: StubHost
) -> None:
    sim = await make_sim(jwt_enabled=False, jwt_secret="", allow_private_ip_unsigned=True)
    assert await open_error(sim, editor_config(host, "j12", sign_it=False)) is None
    assert len(host.downloads) == 1
    assert "Authorization" not in host.downloads[0].headers
    await sim.state.drain()
    body = json.loads(host.callbacks[0].body)
    assert "token" not in body and "Authorization" not in host.callbacks[0].headers


async def test_custom_jwt_header(make_sim: Any, host: StubHost) -> None:
    sim = await make_sim(jwt_header="AuthorizationJwt")
    assert await open_error(sim, editor_config(host, "j13")) is None
    await sim.state.drain()
    assert "AuthorizationJwt" in host.callbacks[0].headers
    assert host.downloads[0].headers["AuthorizationJwt"].startswith("Bearer ")


async def test_unreachable_document_url_is_download_failed(sim: Sim, host: StubHost) -> None:
    config = editor_config(host, "j14", sign_it=False)
    config["document"]["url"] = host.url("/files/missing.docx")
    error = await open_error(sim, resign(config, exp=int(time.time()) + 60))
    assert error is not None and error["code"] == -4


def test_a_secret_is_required_when_jwt_is_on() -> None:
    from gateway.testing.docserver import create_docserver_app

    with pytest.raises(ValueError, match="secret"):
        create_docserver_app(jwt_secret="")
    assert SECRET
