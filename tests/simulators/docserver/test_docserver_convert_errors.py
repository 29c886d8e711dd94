"""Conversion errors about the file itself (§4 "Error codes"): -5 password/DRM and -3 unreadable input.

The protected files are made by gateway.testing.documents.make_protected and checked here with
independent readers (olefile, xlrd, zipfile), so the simulator is tested against what real office
applications save, not against its own idea of it.
"""

from __future__ import annotations

import asyncio
import io
import json
import struct
import xml.etree.ElementTree as ET
import zipfile
from typing import Any

import aiohttp
import olefile
import pytest
import xlrd
from xlrd.biffh import XLRDError  # types-xlrd declares it there only; xlrd re-exports this class

from gateway.testing.documents import extract_text, make_document, make_protected
from tests.simulators.docserver.docserver_helpers import Sim, SimFactory, StubHost, sign

_XML_DECL = '<?xml version="1.0" encoding="utf-8"?>'
_OOXML_TARGET = {"doc": "docx", "odt": "docx", "xls": "xlsx", "ods": "xlsx", "ppt": "pptx", "odp": "pptx"}


def params(host: StubHost, name: str, key: str, **extra: Any) -> dict[str, Any]:
    ext = name.rsplit(".", 1)[1]
    found: dict[str, Any] = {
        "url": host.url(f"/files/{name}"),
        "filetype": ext,
        "outputtype": _OOXML_TARGET.get(ext, "pdf"),
        "key": key,
        "title": name,
    }
    found.update(extra)
    return found


async def ask(sim: Sim, path: str, request: dict[str, Any], accept: str | None) -> tuple[str, str]:
    """One signed converter request; (content type, body text). DS answers HTTP 200 whatever happened."""
    headers = {"Accept": accept} if accept else {}
    async with aiohttp.ClientSession() as client:
        response = await client.post(sim.url(path), json={"token": sign(request)}, headers=headers)
        assert response.status == 200
        return response.content_type, await response.text()


async def ask_json(sim: Sim, request: dict[str, Any]) -> dict[str, Any]:
    content_type, text = await ask(sim, "/converter", request, "application/json")
    assert content_type == "application/json"
    answer: dict[str, Any] = json.loads(text)
    return answer


async def poll_json(sim: Sim, request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every answer to an async conversion until it ends (a result or an error)."""
    answers: list[dict[str, Any]] = []
    for _ in range(200):
        answers.append(await ask_json(sim, {**request, "async": True}))
        if "error" in answers[-1] or answers[-1].get("endConvert"):
            return answers
        await asyncio.sleep(0.05)
    raise AssertionError(f"the conversion never ended: {answers[-3:]}")


# -- the files are what they claim to be ------------------------------------------------------
@pytest.mark.parametrize("ext", ["docx", "xlsx", "pptx"])
def test_encrypted_ooxml_is_a_compound_file_with_the_encryption_streams(ext: str) -> None:
    data = make_protected(ext, "Secret plan")
    assert data[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        assert ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage")
        info = ole.openstream("EncryptionInfo").read()
        assert struct.unpack_from("<HH", info) == (4, 4)  # agile encryption
        assert b"http://schemas.microsoft.com/office/2006/encryption" in info
        package = ole.openstream("EncryptedPackage").read()
    assert struct.unpack_from("<Q", package)[0] > 0 and b"word/" not in package and b"xl/" not in package


def test_encrypted_legacy_files_carry_their_encryption_marks() -> None:
    with pytest.raises(XLRDError, match="encrypted"):
        xlrd.open_workbook(file_contents=make_protected("xls", "Secret"))
    with olefile.OleFileIO(io.BytesIO(make_protected("doc", "Secret"))) as ole:
        fib = ole.openstream("WordDocument").read(12)
    assert struct.unpack_from("<H", fib)[0] == 0xA5EC and struct.unpack_from("<H", fib, 10)[0] & 0x0100
    with olefile.OleFileIO(io.BytesIO(make_protected("ppt", "Secret"))) as ole:
        assert ole.exists("EncryptedSummary")
        token = struct.unpack_from("<I", ole.openstream("Current User").read(), 12)[0]
    assert token == 0xF3D1C4DF


def test_encrypted_odf_lists_encryption_data_in_its_manifest() -> None:
    with zipfile.ZipFile(io.BytesIO(make_protected("odt", "Secret"))) as package:
        manifest = ET.fromstring(package.read("META-INF/manifest.xml"))
        content = package.read("content.xml")
    ns = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
    entry = next(e for e in manifest.iter(f"{ns}file-entry") if e.get(f"{ns}full-path") == "content.xml")
    assert entry.find(f"{ns}encryption-data/{ns}key-derivation") is not None
    assert b"Secret" not in content


# -- -5 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("ext", ["docx", "xlsx", "pptx", "odt", "ods", "odp", "doc", "xls", "ppt"])
async def test_a_protected_file_is_error_minus_5(sim: Sim, host: StubHost, ext: str) -> None:
    host.files[f"secret.{ext}"] = make_protected(ext, "Secret plan")
    assert await ask_json(sim, params(host, f"secret.{ext}", f"p-{ext}")) == {"error": -5}


async def test_minus_5_in_xml_from_both_endpoints(sim: Sim, host: StubHost) -> None:
    host.files["secret.docx"] = make_protected("docx", "Secret plan")
    expected = f"{_XML_DECL}<FileResult><Error>-5</Error></FileResult>"
    content_type, text = await ask(sim, "/ConvertService.ashx", params(host, "secret.docx", "px1"), None)
    assert (content_type, text) == ("application/xml", expected)
    content_type, text = await ask(sim, "/converter", params(host, "secret.docx", "px2"), "application/xml")
    assert (content_type, text) == ("application/xml", expected)


async def test_minus_5_when_polled_asynchronously(make_sim: SimFactory, host: StubHost) -> None:
    sim = await make_sim(convert_delay=0.3)
    host.files["secret.xls"] = make_protected("xls", "Budget")
    answers = await poll_json(sim, params(host, "secret.xls", "pa1"))
    assert answers[0] == {"endConvert": False, "percent": 0}
    assert answers[-1] == {"error": -5}
    content_type, text = await ask(
        sim, "/ConvertService.ashx", {**params(host, "secret.xls", "pa2"), "async": True}, None
    )
    assert content_type == "application/xml" and "<EndConvert>False</EndConvert>" in text


async def test_the_content_decides_not_the_filetype(sim: Sim, host: StubHost) -> None:
    """DS's format checker opens the container: an encrypted OOXML file is -5 under any name."""
    host.files["renamed.doc"] = make_protected("docx", "Secret plan")
    host.files["renamed.odt"] = make_protected("pptx", "Secret plan")
    assert await ask_json(sim, params(host, "renamed.doc", "pc1")) == {"error": -5}
    assert await ask_json(sim, params(host, "renamed.odt", "pc2")) == {"error": -5}


async def test_a_password_does_not_open_it_in_the_simulator(sim: Sim, host: StubHost) -> None:
    host.files["secret.docx"] = make_protected("docx", "Secret plan")
    request = params(host, "secret.docx", "pw1", password="correct horse")
    assert await ask_json(sim, request) == {"error": -5}


async def test_minus_5_is_forgotten_once_reported(sim: Sim, host: StubHost) -> None:
    """NeedPassword is cleaned up after it is reported: the same key converts once the file is readable."""
    host.files["report.docx"] = make_protected("docx", "Secret plan")
    request = params(host, "report.docx", "pf1")
    assert await ask_json(sim, request) == {"error": -5}
    assert await ask_json(sim, request) == {"error": -5}
    assert len(host.downloads) == 2  # each request started a new conversion
    host.files["report.docx"] = make_document("docx", "No secret any more")
    answer = await ask_json(sim, request)
    assert answer["endConvert"] is True and answer["fileType"] == "pdf"
    async with aiohttp.ClientSession() as client:
        response = await client.get(answer["fileUrl"])
        assert extract_text("pdf", await response.read()) == "No secret any more"


# -- -3 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("cut.docx", make_document("docx", "Quarterly report")[:700]),
        ("cut.ods", make_document("ods", "Budget")[:-200]),
        ("cut.doc", make_document("doc", "Legacy")[:1500]),
        ("noise.odt", bytes(range(256)) * 8),
    ],
)
async def test_unreadable_input_is_minus_3_and_sticks(
    make_sim: SimFactory, host: StubHost, name: str, data: bytes
) -> None:
    sim = await make_sim(convert_delay=0.1)
    host.files[name] = data
    assert await ask_json(sim, params(host, name, "u1")) == {"error": -3}
    content_type, text = await ask(sim, "/ConvertService.ashx", params(host, name, "u1"), None)
    assert (content_type, text) == (
        "application/xml",
        f"{_XML_DECL}<FileResult><Error>-3</Error></FileResult>",
    )
    answers = await poll_json(sim, params(host, name, "u2"))
    assert answers[0] == {"endConvert": False, "percent": 0} and answers[-1] == {"error": -3}
    assert len(host.downloads) == 2  # -3 stuck to u1: the XML request reused it
