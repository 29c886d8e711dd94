"""The "New document" form POST (the only form a gateway page sends): malformed forms are a 400
error page in the user's language, oversize 413, never a 5xx. Found while hardening: a CR in a
multipart part's file name and an unknown charset (form or part) were 500s."""

from __future__ import annotations

import aiohttp
import pytest

from gateway.testing.stack import Stack, demo_login
from tests.integration.hostile.hostile_helpers import SERVLET, post_raw

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=x"


def _part(headers: bytes, value: bytes = b"zz") -> bytes:
    return b"--x\r\n" + headers + b"\r\n\r\n" + value + b"\r\n--x--\r\n"


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (_part(b'Content-Disposition: form-data; name="f"; filename="a\rb"'), MULTIPART, 400),
        (b"a=1", FORM + "; charset=bogus", 400),
        (
            _part(b'Content-Disposition: form-data; name="a"\r\nContent-Type: text/plain; charset=bogus'),
            MULTIPART,
            400,
        ),
        (_part(b'Content-Disposition: form-data; name="a"', b"\xff\xfe"), MULTIPART, 400),
        (b"name=\xff\xfe&pageId=1", FORM, 400),
        (b"a=1", FORM + "; charset=utf-16", 400),
        (b"--x\r\n\r\n", MULTIPART, 400),
        (b"garbage", "multipart/form-data", 400),
        (b"{}", "application/json", 400),
        (b"&".join(b"a%d=1" % n for n in range(100_000)), FORM, 413),
    ],
)
async def test_malformed_forms_are_a_4xx_page(
    stack: Stack, data: bytes, content_type: str, status: int
) -> None:
    url = f"{stack.public_url}{SERVLET}/create?pageId={stack.welcome_page_id()}&lang=fr"
    got, media_type, text = await post_raw(url, data, content_type, demo_login("alice"))
    assert (got, media_type) == (status, "text/html")
    assert '<html lang="fr">' in text and "Traceback" not in text


async def test_the_form_still_creates_after_malformed_ones(stack: Stack) -> None:
    url = f"{stack.public_url}{SERVLET}/create?pageId={stack.welcome_page_id()}"
    assert (await post_raw(url, b"a=1", FORM + "; charset=bogus", demo_login("alice")))[0] == 400
    async with aiohttp.ClientSession(headers=demo_login("alice")) as session:
        async with session.get(url) as response:
            text = await response.text()
        assert response.status == 200, text[:300]
        csrf = text.split('name="csrf" value="')[1].split('"')[0]
        form = {"pageId": str(stack.welcome_page_id()), "type": "docx", "name": "After", "csrf": csrf}
        async with session.post(url, data=form, allow_redirects=False) as response:
            assert response.status == 303
