"""Structured logging: JSON lines with extra fields, text lines, and secrets scrubbed everywhere."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from multidict import CIMultiDict

from gateway.logs import configure_logging, redact
from gateway.settings import LoggingSettings

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJwYXlsb2FkIjp7ImMiOiJ2ZXJzaW9uIn19.c2lnbmF0dXJlLXZhbHVlLWhlcmU"
SESSION = "JSESSIONID=7F3A9C0B1D2E4F5061728394A5B6C7D8"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The root logger's state is restored afterwards: pytest's own handlers must survive."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    yield stream
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    logging.getLogger("aiohttp.access").disabled = False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Authorization: Bearer {JWT}", "Authorization: [redacted]"),
        ("authorization=Basic YWRtaW46YWRtaW4=", "authorization=[redacted]"),
        ("sent Basic YWRtaW46YWRtaW4= upstream", "sent Basic [redacted] upstream"),
        (f"Cookie: {SESSION}; seraph.confluence=1234", "Cookie: [redacted]"),
        (f"Set-Cookie: {SESSION}; Path=/confluence; HttpOnly", "Set-Cookie: [redacted]"),
        (f"{{'Cookie': '{SESSION}', 'Host': 'wiki'}}", "{'Cookie': [redacted], 'Host': 'wiki'}"),
        (
            f"GET /plugins/servlet/onlyoffice/save?token={JWT}&x=1",
            "GET /plugins/servlet/onlyoffice/save?token=[redacted]&x=1",
        ),
        (
            "GET /download?attachmentId=5&token=abc.def-123 HTTP/1.1",
            "GET /download?attachmentId=5&token=[redacted] HTTP/1.1",
        ),
        (
            f'callback body {{"status": 2, "token": "{JWT}"}}',
            'callback body {"status": 2, "token": [redacted]}',
        ),
        ("login os_username=alice&os_password=wonderland", "login os_username=alice&os_password=[redacted]"),
        ('{"password": "hunter2", "user": "bob"}', '{"password": [redacted], "user": "bob"}'),
        (f"a bare token {JWT} in text", "a bare token [redacted] in text"),
        ("document key 5-3-abcdef and status 2", "document key 5-3-abcdef and status 2"),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_json_lines_with_extra_fields(captured: io.StringIO) -> None:
    configure_logging(LoggingSettings(level="INFO", format="json"), stream=captured)
    log = logging.getLogger("gateway.test")
    log.debug("not shown at INFO")
    log.info("saved %s version %d", "report.docx", 3, extra={"attachment_id": 65601, "editors": ["alice"]})
    lines = captured.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry.pop("time").endswith("+00:00")
    assert entry == {
        "level": "INFO",
        "logger": "gateway.test",
        "message": "saved report.docx version 3",
        "attachment_id": 65601,
        "editors": ["alice"],
    }


def test_json_redacts_messages_extras_and_exceptions(captured: io.StringIO) -> None:
    configure_logging(LoggingSettings(format="json"), secrets=["my-pat-0123456789"], stream=captured)
    log = logging.getLogger("gateway.test")
    headers = CIMultiDict({"Authorization": f"Bearer {JWT}", "Cookie": SESSION, "Accept": "text/html"})
    log.warning("upstream said %s", f"Set-Cookie: {SESSION}", extra={"headers": headers, "jwt_token": JWT})
    try:
        raise RuntimeError(f"callback failed for ?token={JWT} with my-pat-0123456789")
    except RuntimeError:
        log.exception("save failed", extra={"url": f"http://gw/save?token={JWT}"})
    output = captured.getvalue()
    for secret in (JWT, SESSION, "7F3A9C0B", "my-pat-0123456789"):
        assert secret not in output
    first, second = (json.loads(line) for line in output.splitlines() if line.startswith("{"))
    assert first["message"] == "upstream said Set-Cookie: [redacted]"
    assert first["headers"] == {"Authorization": "[redacted]", "Cookie": "[redacted]", "Accept": "text/html"}
    assert first["jwt_token"] == "[redacted]"
    assert second["url"] == "http://gw/save?token=[redacted]"
    assert "RuntimeError: callback failed for ?token=[redacted] with [redacted]" in second["exception"]


def test_text_format_and_records_from_any_logger(captured: io.StringIO) -> None:
    configure_logging(LoggingSettings(level="DEBUG", format="text"), stream=captured)
    logging.getLogger("aiohttp.client").debug(
        "sending Authorization: Bearer %s", JWT, extra={"peer": "10.0.0.5"}
    )
    (line,) = captured.getvalue().splitlines()
    assert line.endswith("DEBUG aiohttp.client: sending Authorization: [redacted] peer='10.0.0.5'")


def test_reconfiguring_replaces_the_handler_and_access_log_switch(captured: io.StringIO) -> None:
    configure_logging(LoggingSettings(format="json"), stream=io.StringIO())
    configure_logging(LoggingSettings(format="json", access_log=False), stream=captured)
    logging.getLogger("aiohttp.access").info("GET / 200")
    logging.getLogger("gateway").info("once")
    lines = captured.getvalue().splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["once"]
    assert sum(getattr(h, "_gateway", False) for h in logging.getLogger().handlers) == 1
