"""Telling Confluence's "too large" answers apart from real 404s, and what the user is told."""

from __future__ import annotations

import pytest

from gateway.confluence.client import _too_large
from gateway.confluence.models import AttachmentTooLarge


def test_the_per_file_message_names_the_limit() -> None:
    found = _too_large(404, b"The field file exceeds its maximum permitted size of 104857600 bytes.")
    assert isinstance(found, AttachmentTooLarge)
    assert (found.limit, found.status, found.transient) == (104857600, 413, False)
    assert found.advice == (
        "The file is larger than Confluence allows for an attachment (at most 100 MB). "
        "A Confluence administrator can raise the Attachment Maximum Size."
    )


def test_the_per_request_message_and_a_proxys_413_have_no_attachment_limit() -> None:
    message = b"the request was rejected because its size (2000) exceeds the configured maximum (1000)"
    for found in (_too_large(404, message), _too_large(413, b"<html>Request Entity Too Large</html>")):
        assert isinstance(found, AttachmentTooLarge) and found.limit is None
        assert found.advice.startswith("The file is larger than Confluence allows for an attachment. ")


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, b'{"statusCode":404,"message":"Can\'t find attachment with id: 7"}'),
        (400, b"The field file exceeds its maximum permitted size of 10 bytes."),  # only 404/413 mean it
        (500, b"Internal Server Error"),
    ],
)
def test_other_errors_stay_ordinary(status: int, body: bytes) -> None:
    assert _too_large(status, body) is None


def test_limits_under_a_megabyte_are_shown_in_bytes() -> None:
    assert "(at most 1000 bytes)" in AttachmentTooLarge("x", 1000).advice
    assert "(at most 1.5 MB)" in AttachmentTooLarge("x", 1572864).advice
