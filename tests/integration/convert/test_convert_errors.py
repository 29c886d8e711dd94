"""Conversions the Document Server refuses because of the file: the user gets 422 and what to do.

Gateway, Confluence simulator and Document Server simulator on loopback; the protected files are
made by gateway.testing.documents.make_protected (checked with olefile/xlrd in the simulator tests).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from gateway.docserver.client import CONVERSION_ERRORS, DocumentServerError
from gateway.onlyoffice.actions.conversion_jobs import conversion_failed
from gateway.testing.confluence import CONFIG
from gateway.testing.documents import make_document, make_protected, media_type
from gateway.testing.stack import Stack, running_stack
from gateway.testing.stack import demo_login as login

PASSWORD_MESSAGE = (
    "The file is password protected; remove the password in an office application and upload it again."
)


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with running_stack(save_delay=0.2, retry_base_delay=0.05) as running:
        yield running


def attach(stack: Stack, name: str, data: bytes, media: str) -> str:
    page = stack.store.page_by_title("DEMO", "Welcome")
    assert page is not None
    return str(stack.store.add_attachment(page.id, name, data, media, by="admin").id)


def page_titles(stack: Stack) -> list[str]:
    page = stack.store.page_by_title("DEMO", "Welcome")
    assert page is not None
    return sorted(a.title for a in stack.store.attachments.values() if a.page_id == page.id)


async def convert(stack: Stack, att: str, user: str = "alice") -> list[tuple[int, dict[str, object]]]:
    """Open the conversion page as `user`, then poll as its script does until an answer is not 'running'."""
    url = f"{stack.public_url}/plugins/servlet/onlyoffice/convert"
    answers: list[tuple[int, dict[str, object]]] = []
    async with aiohttp.ClientSession(headers=login(user)) as session:
        async with session.get(f"{url}?attachmentId={att}") as response:
            found = re.search(r'data-csrf="([0-9a-f]+)"', await response.text())
            assert response.status == 200 and found
        for _ in range(50):
            async with session.post(url, json={"attachmentId": att, "csrf": found.group(1)}) as response:
                answers.append((response.status, await response.json()))
                assert response.headers["Content-Type"].startswith("application/json")
            if answers[-1][0] != 200 or answers[-1][1].get("done"):
                return answers
    raise AssertionError(f"the conversion never ended: {answers[-3:]}")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("secret.doc", make_protected("doc", "Salaries 2024")),
        ("budget-2019.xls", make_protected("xls", "Salaries 2024")),
        ("private.odt", make_protected("odt", "Salaries 2024")),
        # Saved as an encrypted .pptx, renamed .ppt: the Document Server goes by the content.
        ("renamed.ppt", make_protected("pptx", "Salaries 2024")),
    ],
)
async def test_a_password_protected_file_gets_422_and_nothing_is_stored(
    stack: Stack, name: str, data: bytes
) -> None:
    source = attach(stack, name, data, media_type(name.rsplit(".", 1)[1]))
    before = page_titles(stack)
    answers = await convert(stack, source)
    assert answers[-1] == (422, {"error": PASSWORD_MESSAGE})
    assert all(status == 200 and body.get("done") is False for status, body in answers[:-1])
    assert page_titles(stack) == before  # no converted copy, no new version
    # Asking again (the Document Server forgot -5 once it said it) gives the same answer, still nothing stored.
    assert (await convert(stack, source))[-1] == (422, {"error": PASSWORD_MESSAGE})
    assert page_titles(stack) == before


async def test_a_damaged_file_gets_422_naming_its_type(stack: Stack) -> None:
    source = attach(stack, "cut.ods", make_document("ods", "Budget")[:-200], media_type("ods"))
    before = page_titles(stack)
    status, body = (await convert(stack, source))[-1]
    assert status == 422
    assert body == {
        "error": "The file could not be converted: it is damaged, or its content is not a .ods file. "
        "Open it in an office application, save it again and upload the new version."
    }
    assert page_titles(stack) == before


async def test_a_refused_jwt_is_a_502_logged_as_configuration_error(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    stack.docserver.egress.jwt_secret = "the Document Server's admin changed the secret meanwhile"
    before = page_titles(stack)
    with caplog.at_level(logging.ERROR, logger="gateway.onlyoffice.actions.conversion_jobs"):
        status, body = (await convert(stack, str(stack.welcome_attachment_id("legacy.doc"))))[-1]
    assert status == 502
    assert body == {
        "error": "The conversion service is not set up correctly; please tell your administrator."
    }
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(
        m.startswith("configuration error: the Document Server refused the gateway's JWT") for m in errors
    )
    assert page_titles(stack) == before


async def test_an_unreachable_document_server_stays_502(stack: Stack) -> None:
    await stack.runners[1].cleanup()  # the Document Server simulator goes away
    status, body = (await convert(stack, str(stack.welcome_attachment_id("notes.odt"))))[-1]
    assert status == 502 and "unreachable" in str(body["error"])


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (-1, 502),
        (-2, 502),
        (-3, 422),
        (-4, 502),
        (-5, 422),
        (-6, 502),
        (-7, 422),
        (-8, 502),
        (-9, 422),
        (-10, 422),
    ],
)
def test_every_conversion_error_code_has_its_status(code: int, status: int) -> None:
    """The codes the simulator cannot be made to send cheaply (-7, -9, -10...) answer as the others do."""
    error = DocumentServerError(f"conversion failed: {CONVERSION_ERRORS[code]}", code=code)
    response = conversion_failed("42", "legacy.doc", error)
    assert response.status == status and response.headers["Cache-Control"] == "no-store"
    assert isinstance(response.body, bytes)
    message = json.loads(response.body)["error"]
    assert isinstance(message, str) and message
    if status == 422:
        assert message[0].isupper() and message.endswith(".") and "{" not in message


async def test_a_result_over_confluences_attachment_limit_says_so(stack: Stack) -> None:
    """The converted file is refused by Confluence's Attachment Maximum Size (its multipart 404):
    the user hears the limit and who can raise it, not "try again"; nothing is stored."""
    before = page_titles(stack)
    stack.confluence_app[CONFIG].attachment_max_size = 1000
    status, answer = (await convert(stack, str(stack.welcome_attachment_id("legacy.doc"))))[-1]
    assert status == 413
    assert answer["error"] == (
        "The file is larger than Confluence allows for an attachment (at most 1000 bytes). "
        "A Confluence administrator can raise the Attachment Maximum Size."
    )
    assert page_titles(stack) == before
