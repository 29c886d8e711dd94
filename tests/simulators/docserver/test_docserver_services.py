"""Conversion API (§4), command service (§5), cache links (§2.5) and the other endpoints (§6)."""

from __future__ import annotations

import asyncio
import time
import xml.etree.ElementTree as ET
from typing import Any

import aiohttp
import jwt
import pytest

from gateway.testing.documents import extract_text, make_document
from tests.simulators.docserver.docserver_helpers import (
    SECRET,
    Sim,
    SimFactory,
    StubHost,
    editor_config,
    sign,
)


def conversion(host: StubHost, key: str, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "url": host.url("/files/notes.odt"),
        "filetype": "odt",
        "outputtype": "docx",
        "key": key,
        "title": "notes.odt",
    }
    params.update(extra)
    return params


async def post(
    sim: Sim, path: str, params: dict[str, Any], *, how: str = "body", accept: str | None = "application/json"
) -> tuple[int, str, str]:
    headers = {"Accept": accept} if accept else {}
    async with aiohttp.ClientSession() as client:
        if how == "body":
            resp = await client.post(sim.url(path), json={"token": sign(params)}, headers=headers)
        elif how == "header":
            headers["Authorization"] = "Bearer " + sign({"payload": params})
            resp = await client.post(sim.url(path), json=params, headers=headers)
        else:
            resp = await client.post(sim.url(path), json=params, headers=headers)
        return resp.status, resp.content_type, await resp.text()


async def convert_json(sim: Sim, params: dict[str, Any], **kw: Any) -> dict[str, Any]:
    status, ctype, text = await post(sim, "/converter", params, **kw)
    assert status == 200 and ctype == "application/json"
    import json

    answer: dict[str, Any] = json.loads(text)
    return answer


# -- conversion -------------------------------------------------------------------------------
async def test_sync_conversion_returns_a_real_file(sim: Sim, host: StubHost) -> None:
    answer = await convert_json(sim, conversion(host, "c1"))
    assert answer["endConvert"] is True and answer["percent"] == 100 and answer["fileType"] == "docx"
    assert "/cache/files/data/conv_c1_docx/output.docx/notes.docx?md5=" in answer["fileUrl"]
    async with aiohttp.ClientSession() as client:
        resp = await client.get(answer["fileUrl"])
        assert resp.status == 200
        assert "notes.docx" in resp.headers["Content-Disposition"]
        assert extract_text("docx", await resp.read()) == "Meeting notes"
    download = host.downloads[0]
    assert download.claims is not None and download.claims["payload"] == {"url": host.url("/files/notes.odt")}


async def test_header_token_is_accepted(sim: Sim, host: StubHost) -> None:
    answer = await convert_json(sim, conversion(host, "c2", outputtype="pdf"), how="header")
    assert answer["fileType"] == "pdf" and answer["endConvert"] is True


async def test_ooxml_output_type(sim: Sim, host: StubHost) -> None:
    answer = await convert_json(sim, conversion(host, "c3", outputtype="ooxml"))
    assert answer["fileType"] == "docx"


async def test_results_are_cached_per_key_and_outputtype(sim: Sim, host: StubHost) -> None:
    first = await convert_json(sim, conversion(host, "c4"))
    host.files["notes.odt"] = make_document("odt", "Changed since")
    again = await convert_json(sim, conversion(host, "c4"))
    assert len(host.downloads) == 1
    async with aiohttp.ClientSession() as client:
        resp = await client.get(again["fileUrl"])
        assert extract_text("docx", await resp.read()) == "Meeting notes"
    assert first["fileType"] == again["fileType"]
    other = await convert_json(sim, conversion(host, "c4", outputtype="pdf"))
    assert other["fileType"] == "pdf" and len(host.downloads) == 2


async def test_async_conversion_is_polled_until_end(make_sim: SimFactory, host: StubHost) -> None:
    sim = await make_sim(convert_delay=0.3)
    params = conversion(host, "c5", **{"async": True})
    first = await convert_json(sim, params)
    assert first == {"endConvert": False, "percent": 0}
    for _ in range(100):
        answer = await convert_json(sim, params)
        if answer.get("endConvert"):
            break
        await asyncio.sleep(0.05)
    assert answer["endConvert"] is True and answer["percent"] == 100


async def test_xml_answers(sim: Sim, host: StubHost) -> None:
    status, ctype, text = await post(sim, "/ConvertService.ashx", conversion(host, "c6"), accept=None)
    assert status == 200 and ctype == "application/xml"
    root = ET.fromstring(text)
    assert root.tag == "FileResult"
    assert root.findtext("EndConvert") == "True" and root.findtext("Percent") == "100"
    assert root.findtext("FileType") == "docx" and "/cache/files/" in (root.findtext("FileUrl") or "")
    # /converter answers XML when asked for it; ConvertService.ashx answers JSON when asked.
    _, ctype, text = await post(sim, "/converter", conversion(host, "c6"), accept="application/xml")
    assert ctype == "application/xml"
    _, ctype, _ = await post(sim, "/ConvertService.ashx", conversion(host, "c6"), accept="application/json")
    assert ctype == "application/json"
    _, _, text = await post(sim, "/ConvertService.ashx", conversion(host, "bad key!"), accept="*/*")
    assert ET.fromstring(text).findtext("Error") == "-7"


async def test_legacy_get_with_query_and_header_token(sim: Sim, host: StubHost) -> None:
    params = conversion(host, "c7")
    token = "Bearer " + sign({"payload": params})
    async with aiohttp.ClientSession() as client:
        resp = await client.get(
            sim.url("/ConvertService.ashx"), params=params, headers={"Authorization": token}
        )
        root = ET.fromstring(await resp.text())
    assert root.findtext("EndConvert") == "True"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"key": "bad key"}, -7),
        ({"key": "x" * 129}, -7),
        ({"filetype": "o-d-t"}, -7),
        ({"outputtype": "exe"}, -7),
        ({"password": "p" * 256}, -7),
        ({"url": None}, -7),
        ({"outputtype": "ooxml", "filetype": "xyz"}, -9),
    ],
)
async def test_parameter_errors(sim: Sim, host: StubHost, change: dict[str, Any], code: int) -> None:
    params = {k: v for k, v in {**conversion(host, "c8"), **change}.items() if v is not None}
    assert await convert_json(sim, params) == {"error": code}


async def test_download_error_is_reported_once_then_retried(sim: Sim, host: StubHost) -> None:
    params = conversion(host, "c9", url=host.url("/files/later.odt"))
    assert await convert_json(sim, params) == {"error": -4}
    host.files["later.odt"] = make_document("odt", "Arrived")
    answer = await convert_json(sim, params)
    assert answer["endConvert"] is True


async def test_conversion_error_sticks_to_the_key(sim: Sim, host: StubHost) -> None:
    host.files["broken.odt"] = b"this is not a zip"
    params = conversion(host, "c10", url=host.url("/files/broken.odt"))
    assert await convert_json(sim, params) == {"error": -3}
    host.files["broken.odt"] = make_document("odt", "fixed")
    assert await convert_json(sim, params) == {"error": -3}


async def test_token_errors(sim: Sim, host: StubHost) -> None:
    assert await convert_json(sim, conversion(host, "c11"), how="plain") == {"error": -8}
    bad = jwt.encode(conversion(host, "c11"), "wrong-secret-wrong-secret-wrong-secret!", algorithm="HS256")
    async with aiohttp.ClientSession() as client:
        resp = await client.post(
            sim.url("/converter"), json={"token": bad}, headers={"Accept": "application/json"}
        )
        assert await resp.json() == {"error": -8}
        resp = await client.post(
            sim.url("/converter"), data=b"{not json", headers={"Accept": "application/json"}
        )
        assert await resp.json() == {"error": -7}


async def test_private_ip_source_without_jwt_is_download_error(make_sim: SimFactory, host: StubHost) -> None:
    sim = await make_sim(jwt_enabled=False, jwt_secret="")
    assert await convert_json(sim, conversion(host, "c12"), how="plain") == {"error": -4}


# -- command service --------------------------------------------------------------------------
async def command(
    sim: Sim, params: dict[str, Any], path: str = "/command", how: str = "body"
) -> dict[str, Any]:
    async with aiohttp.ClientSession() as client:
        if how == "body":
            resp = await client.post(sim.url(path), json={"token": sign(params)})
        elif how == "header":
            resp = await client.post(
                sim.url(path), json=params, headers={"Authorization": "Bearer " + sign({"payload": params})}
            )
        else:
            resp = await client.post(sim.url(path), json=params)
        assert resp.status == 200 and resp.content_type == "application/json"
        answer: dict[str, Any] = await resp.json()
        return answer


async def test_version_and_license(sim: Sim) -> None:
    assert await command(sim, {"c": "version"}) == {"error": 0, "version": "9.3.0.1"}
    answer = await command(sim, {"c": "license"}, path="/coauthoring/CommandService.ashx", how="header")
    assert answer["error"] == 0
    assert answer["server"]["buildVersion"] == "9.3.0" and answer["server"]["packageType"] == 0
    assert {"users", "users_view"} <= set(answer["quota"])


async def test_command_errors(sim: Sim) -> None:
    assert await command(sim, {"c": "version"}, how="plain") == {"error": 6}
    expired = sign({"c": "version"}, exp=int(time.time()) - 3600)
    async with aiohttp.ClientSession() as client:
        resp = await client.post(sim.url("/command"), json={"token": expired})
        assert await resp.json() == {"error": 7}
    assert await command(sim, {"c": "nonsense", "key": "k"}) == {"key": "k", "error": 5}
    assert await command(sim, {"c": "info"}) == {"error": 1}
    assert await command(sim, {"c": "info", "key": "never-opened"}) == {"key": "never-opened", "error": 1}
    assert await command(sim, {"c": "forcesave", "key": "never-opened"}) == {
        "key": "never-opened",
        "error": 1,
    }
    assert await command(sim, {"c": "getForgotten", "key": "none"}) == {"key": "none", "error": 1}
    assert await command(sim, {"c": "deleteForgotten", "key": "none"}) == {"key": "none", "error": 1}


async def test_info_triggers_status_1_then_4(sim: Sim, host: StubHost) -> None:
    opened = await sim.state.open(editor_config(host, "k1"), base_url=sim.base)
    await sim.state.drain()
    answer = await command(sim, {"c": "info", "key": "k1", "userdata": "ud-1"})
    assert answer == {"key": "k1", "error": 0, "users": ["alice"]}
    await sim.state.drain()
    assert host.bodies()[-1] == {
        **{"key": "k1", "status": 1, "users": ["alice"], "userdata": "ud-1"},
        "token": host.bodies()[-1]["token"],
    }
    sim.state.leave(opened.participant)
    await sim.state.drain()
    assert await command(sim, {"c": "info", "key": "k1"}) == {"key": "k1", "error": 0, "users": []}
    await sim.state.drain()
    assert host.bodies()[-1]["status"] == 4


async def test_info_without_callback_url_is_error_2(sim: Sim, host: StubHost) -> None:
    config = editor_config(host, "k2", sign_it=False)
    del config["editorConfig"]["callbackUrl"]
    config["token"] = sign(config)
    await sim.state.open(config, base_url=sim.base)
    assert await command(sim, {"c": "info", "key": "k2"}) == {"key": "k2", "error": 2}


async def test_forcesave_command(sim: Sim, host: StubHost) -> None:
    opened = await sim.state.open(editor_config(host, "k3"), base_url=sim.base)
    assert await command(sim, {"c": "forcesave", "key": "k3"}) == {"key": "k3", "error": 4}
    sim.state.type_text(opened.participant, "words")
    assert await command(sim, {"c": "forcesave", "key": "k3", "userdata": "u"}) == {"key": "k3", "error": 0}
    await sim.state.drain()
    body = host.bodies(6)[0]
    assert body["forcesavetype"] == 0 and body["userdata"] == "u" and "actions" not in body
    assert body["key"] == "k3"
    assert await command(sim, {"c": "forcesave", "key": "k3"}) == {"key": "k3", "error": 4}


async def test_drop_and_meta(sim: Sim, host: StubHost) -> None:
    alice = await sim.state.open(editor_config(host, "k4"), base_url=sim.base)
    bob = await sim.state.join("k4", {"id": "bob", "name": "Bob"})
    await sim.state.drain()
    assert await command(sim, {"c": "drop", "key": "k4", "users": ["bob"]}) == {"key": "k4", "error": 0}
    await sim.state.drain()
    assert bob.mode == "view" and alice.participant.mode == "edit"
    assert host.bodies(1)[-1]["users"] == ["alice"]
    assert host.bodies(1)[-1]["actions"] == [{"type": 0, "userid": "bob"}]
    assert await command(sim, {"c": "meta", "key": "k4"}) == {"key": "k4", "error": 5}
    assert await command(sim, {"c": "meta", "key": "k4", "meta": {"title": "New.docx"}}) == {
        "key": "k4",
        "error": 0,
    }
    assert sim.state.sessions["k4"].title == "New.docx"
    assert {"type": "metaChange", "title": "New.docx", "favorite": None} in alice.participant.messages
    # drop without users drops every editor (8.3+): nobody edits, nothing changed -> status 4.
    assert await command(sim, {"c": "drop", "key": "k4"}) == {"key": "k4", "error": 0}
    await sim.state.drain()
    assert host.bodies()[-1]["status"] == 4


async def test_delete_forgotten(make_sim: SimFactory, host: StubHost) -> None:
    sim = await make_sim(save_delay=0.01)
    host.default_reply = "404"
    opened = await sim.state.open(editor_config(host, "k5"), base_url=sim.base)
    sim.state.type_text(opened.participant, "lost")
    sim.state.leave(opened.participant)
    await sim.state.drain()
    assert (await command(sim, {"c": "getForgottenList"}))["keys"] == ["k5"]
    assert await command(sim, {"c": "deleteForgotten", "key": "k5"}) == {"key": "k5", "error": 0}
    assert (await command(sim, {"c": "getForgottenList"}))["keys"] == []


# -- cache links ------------------------------------------------------------------------------
async def test_cache_links_403_and_410(sim: Sim) -> None:
    sim.state.cache.put("doc_1", "output.docx", b"data")
    good = sim.state.cache.link(sim.base, "doc_1", "output.docx", "report final.docx")
    sim.state.cache.lifetime = -1
    expired = sim.state.cache.link(sim.base, "doc_1", "output.docx")
    async with aiohttp.ClientSession() as client:
        resp = await client.get(good)
        assert resp.status == 200 and await resp.read() == b"data"
        assert resp.headers["Content-Disposition"] == "attachment; filename*=UTF-8''report%20final.docx"
        resp = await client.get(good.replace("md5=", "md5=x"))
        assert resp.status == 403
        resp = await client.get(good.split("?")[0])
        assert resp.status == 403
        resp = await client.get(expired)
        assert resp.status == 410
    assert sim.state.cache.secret not in good


def test_default_link_lifetime_is_15_minutes() -> None:
    from gateway.testing.docserver.cache import LINK_LIFETIME_SECONDS

    assert LINK_LIFETIME_SECONDS == 900


# -- other endpoints --------------------------------------------------------------------------
async def test_misc_endpoints(sim: Sim) -> None:
    async with aiohttp.ClientSession() as client:
        resp = await client.get(sim.url("/healthcheck"))
        assert resp.status == 200 and await resp.text() == "true"
        resp = await client.get(sim.url("/index.html"))
        assert (await resp.text()).startswith("Server is functioning normally. Version: 9.3.0")
        resp = await client.get(sim.url("/meta/config"))
        meta = await resp.json()
        assert meta["authorization"] == {"header": "Authorization", "prefix": "Bearer "}
        assert meta["urls"]["converter"] == "/converter"
        resp = await client.post(sim.url("/dummyCallback"), json={"status": 2})
        assert await resp.json() == {"error": 0}
        resp = await client.get(sim.url("/web-apps/apps/api/documents/api.js"))
        assert resp.status == 200 and resp.content_type == "application/javascript"
        assert "no-cache" in resp.headers["Cache-Control"] and resp.headers["Expires"] == "-1"
        body = await resp.text()
        assert "DocsAPI" in body and '"9.3.0"' in body
        resp = await client.get(sim.url("/web-apps/apps/documenteditor/main/index.html"))
        assert resp.status == 200 and 'id="oo-title"' in await resp.text()
        resp = await client.get(sim.url("/web-apps/apps/nothing/main/index.html"))
        assert resp.status == 404
    assert SECRET
