"""The whole stack with the Document Server simulator under `/ds-vpath` of the gateway's origin.

Browsers reach it only through the gateway; the simulator builds its cache links from the forwarded
headers it gets, so a save round trip proves the public-prefix mapping end to end.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from gateway.testing.docserver.socket_client import EditorSocket, connect_editor
from gateway.testing.stack import Stack, running_stack
from tests.integration.saving.saving_helpers import (
    FAST,
    attachment,
    basic,
    callbacks,
    editor_config,
    metric_value,
    text_of,
)

PREFIX = "/ds-vpath"
API_JS = "/web-apps/apps/api/documents/api.js"


def ds(stack: Stack, path: str) -> str:
    """A Document Server URL as browsers see it: on the gateway, under the prefix."""
    return f"{stack.gateway_origin}{PREFIX}{path}"


async def test_settings_put_the_document_server_under_the_gateway() -> None:
    async with running_stack(docserver_path=PREFIX) as stack:
        assert stack.settings.documentserver.public_url == f"{stack.gateway_origin}{PREFIX}"
        assert stack.settings.documentserver.internal_url == stack.docserver_url


async def test_editor_page_api_js_iframe_and_assets_load_through_the_gateway() -> None:
    async with running_stack(docserver_path=PREFIX) as stack, aiohttp.ClientSession() as client:
        att = attachment(stack)
        auth = {"Authorization": basic("alice", "alice")}
        page_url = f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor"
        async with client.get(page_url, params={"attachmentId": str(att.id)}, headers=auth) as r:
            assert r.status == 200
            page = await r.text()
            csp = r.headers["Content-Security-Policy"]
        assert f'src="{ds(stack, API_JS)}?shardkey=' in page
        assert stack.docserver_url not in page  # the internal address never reaches the browser
        assert "script-src 'self';" in csp and "frame-src 'self';" in csp
        assert str(stack.docserver_port) not in csp

        async with client.get(ds(stack, API_JS)) as r:
            assert r.status == 200 and "javascript" in r.headers["Content-Type"]
            assert "DocsAPI" in await r.text()
        async with client.get(ds(stack, "/web-apps/apps/documenteditor/main/index.html")) as r:
            assert r.status == 200 and r.content_type == "text/html"
        for asset in ("editor.js", "editor.css"):
            async with client.get(ds(stack, f"/web-apps/sim/{asset}")) as r:
                assert r.status == 200, asset
        async with client.get(ds(stack, "/healthcheck")) as r:
            assert await r.text() == "true"


async def _receive(ws: EditorSocket, kind: str) -> dict[str, Any]:
    """The next message of type `kind` on the editor's socket (errors fail the test)."""
    data = await ws.receive()
    while data["type"] != kind:
        assert data["type"] != "error", data
        data = await ws.receive()
    assert data["type"] != "error", data
    return data


async def test_edit_and_save_round_trip_through_the_prefix() -> None:
    async with running_stack(docserver_path=PREFIX, **FAST) as stack, aiohttp.ClientSession() as client:
        att = attachment(stack)
        before = att.current.number
        config = await editor_config(stack, att.id)
        key = config["document"]["key"]
        # What the simulator's editor iframe does: its socket, through the gateway, with alice's cookies.
        socket_url = ds(stack, f"/doc/{key}/c/?EIO=4&transport=websocket").replace("http://", "ws://", 1)
        headers = {"Authorization": basic("alice", "alice"), "Cookie": "JSESSIONID=alice-confluence-session"}
        ws = await connect_editor(client, socket_url, headers=headers)
        try:
            await ws.send({"type": "open", "config": config})
            opened = await _receive(ws, "opened")
            assert opened["mode"] == "edit"
            assert await metric_value(stack, "gateway_websockets_open", upstream="documentserver") == 1
            await ws.send({"type": "append", "text": "Via the prefix"})
            await _receive(ws, "appended")
            await ws.send({"type": "close"})
            assert await ws.closed_with() == 1000  # (a state push sent before the close is read past)
        finally:
            await ws.close()
        await stack.docserver.drain()

        saves = callbacks(stack, status=2)
        assert len(saves) == 1 and saves[0].success, [s.as_dict() for s in saves]
        # The simulator built the link from the gateway's forwarded headers: the public prefix...
        assert saves[0].body["url"].startswith(ds(stack, "/cache/files/data/"))
        # ...which the gateway mapped to the internal address to fetch the file.
        assert [v.number for v in att.versions] == [before, before + 1]
        assert "Via the prefix" in text_of(stack, att)
        assert "Via the prefix" not in text_of(stack, att, before)
        assert att.current.comment == "Edited in ONLYOFFICE by Alice Example"
