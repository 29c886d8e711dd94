"""`POST /docbuilder`: run a builder script, answer `{key, urls, end}` or `{error}` (reference §6)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from gateway.testing.documents import extract_text
from tests.simulators.docserver.docserver_helpers import Sim, SimFactory, StubHost, sign

SCRIPT = """
builder.CreateFile("docx");
var oDocument = Api.GetDocument();
var oParagraph = oDocument.GetElement(0);
oParagraph.AddText("Made by the builder");
builder.SaveFile("docx", "SampleText.docx");
builder.SaveFile("pdf", "SampleText.pdf");
builder.CloseFile();
"""


async def build(sim: Sim, **kwargs: Any) -> dict[str, Any]:
    resp = await sim.client.post(sim.url("/docbuilder"), **kwargs)
    assert resp.status == 200 and resp.content_type == "application/json"
    answer: dict[str, Any] = await resp.json()
    return answer


async def test_a_script_url_in_the_token_runs_and_its_files_come_back_as_links(
    sim: Sim, host: StubHost
) -> None:
    host.files["make.docbuilder"] = SCRIPT.encode()
    url = host.url("/files/make.docbuilder")
    answer = await build(sim, json={"token": sign({"url": url, "async": False, "argument": {"x": 1}})})
    assert answer["end"] is True and answer["key"].startswith("bld_")
    assert set(answer["urls"]) == {"SampleText.docx", "SampleText.pdf"}
    docx = await (await sim.client.get(answer["urls"]["SampleText.docx"])).read()
    pdf = await (await sim.client.get(answer["urls"]["SampleText.pdf"])).read()
    assert "Made by the builder" in extract_text("docx", docx)
    assert "Made by the builder" in extract_text("pdf", pdf)
    assert (
        "/cache/files/data/" in answer["urls"]["SampleText.docx"]
        and "md5=" in answer["urls"]["SampleText.docx"]
    )
    # The script was fetched with the outbox token naming its URL.
    assert host.downloads[0].claims is not None and host.downloads[0].claims["payload"] == {"url": url}


async def test_async_answers_at_once_and_is_polled_with_the_key(sim: Sim, host: StubHost) -> None:
    host.files["make.docbuilder"] = SCRIPT.encode()
    first = await build(sim, json={"token": sign({"url": host.url("/files/make.docbuilder"), "async": True})})
    assert first == {"key": first["key"], "end": False}
    for _ in range(100):
        answer = await build(sim, json={"token": sign({"key": first["key"], "async": True})})
        if answer["end"]:
            break
        await asyncio.sleep(0.02)
    assert answer["key"] == first["key"] and set(answer["urls"]) == {"SampleText.docx", "SampleText.pdf"}


async def test_a_raw_script_body_with_the_header_token(sim: Sim, host: StubHost) -> None:
    script = SCRIPT.replace(
        'builder.CreateFile("docx");', f'builder.OpenFile("{host.url("/files/budget.xlsx")}");'
    )
    script = script.replace('"docx", "SampleText.docx"', '"xlsx", "Budget.xlsx"').replace(
        'builder.SaveFile("pdf", "SampleText.pdf");', ""
    )
    header = sign({"payload": {}})
    answer = await build(sim, data=script.encode(), headers={"Authorization": f"Bearer {header}"})
    assert answer["end"] is True and list(answer["urls"]) == ["Budget.xlsx"]
    xlsx = await (await sim.client.get(answer["urls"]["Budget.xlsx"])).read()
    text = extract_text("xlsx", xlsx)
    assert "Budget" in text and "Made by the builder" in text


@pytest.mark.parametrize("problem", ["missing", "wrong secret", "expired"])
async def test_a_missing_or_bad_token_is_error_8(sim: Sim, host: StubHost, problem: str) -> None:
    params = {"url": host.url("/files/make.docbuilder")}
    if problem == "missing":
        answer = await build(sim, json=params)
    elif problem == "wrong secret":
        answer = await build(sim, json={"token": sign(params, secret="another-secret-another-secret-xx")})
    else:
        answer = await build(sim, json={"token": sign(params, exp=int(time.time()) - 3600)})
    assert answer == {"error": -8}
    assert host.downloads == []


@pytest.mark.parametrize(
    ("script", "error"),
    [
        (None, -4),  # the script URL answers 404
        ('builder.SaveFile("docx", "x.docx");', -3),  # nothing open
        ('builder.CreateFile("nope");', -3),  # unknown type
        ('builder.OpenFile("http://127.0.0.1:9/missing.docx");', -4),  # a source that cannot be fetched
    ],
)
async def test_failing_scripts_answer_the_conversion_codes(
    sim: Sim, host: StubHost, script: str | None, error: int
) -> None:
    if script is not None:
        host.files["bad.docbuilder"] = script.encode()
    answer = await build(sim, json={"token": sign({"url": host.url("/files/bad.docbuilder")})})
    assert answer == {"error": error}


async def test_nothing_to_run_or_an_unknown_key_is_error_1(sim: Sim) -> None:
    assert await build(sim, json={"token": sign({"async": True})}) == {"error": -1}
    assert await build(sim, json={"token": sign({"key": "bld_unknown"})}) == {"error": -1}


async def test_without_jwt_the_plain_body_counts(make_sim: SimFactory, host: StubHost) -> None:
    sim = await make_sim(jwt_enabled=False, jwt_secret="", allow_private_ip_unsigned=True)
    host.files["make.docbuilder"] = SCRIPT.encode()
    answer = await build(sim, json={"url": host.url("/files/make.docbuilder")})
    assert answer["end"] is True and len(answer["urls"]) == 2
    assert "Authorization" not in host.downloads[0].headers
