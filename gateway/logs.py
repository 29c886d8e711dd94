"""Structured logs: one JSON object per line (or plain text), with secrets scrubbed on the way out.

A gateway sees every user's cookies and tokens, so redaction sits in the handler, where every record
passes whichever logger it came from: header values (Authorization, Cookie, Set-Cookie), JWTs
(`eyJ...`), `token=` and `password=` values, and any exact secret the caller names. The stdlib is
enough here; structlog would add a dependency for the same two processors.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from aiohttp.http_exceptions import HttpProcessingError

from gateway.settings import LoggingSettings, Settings

__all__ = [
    "JsonFormatter",
    "MalformedRequestFilter",
    "ProcessTag",
    "RedactingFilter",
    "configure_for",
    "configure_logging",
    "redact",
    "redact_value",
]

REDACTED = "[redacted]"

# Keys whose values are secret wherever they appear: headers, extras, query parameters, JSON fields.
_SECRET_KEY = re.compile(
    r"authorization|cookie|password|passwd|secret|token|jwt|api[-_]?key|session", re.IGNORECASE
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Header lines and key: value / key=value pairs, quoted or not ("Cookie: a=b; c=d" to end of line).
    (
        re.compile(
            r"""(?ix)
            (\b(?:proxy-)?authorization|\bset-cookie|\bcookie)
            (["']?\s*[:=]\s*)
            (?!\[redacted\])
            ("[^"]*"|'[^']*'|[^\r\n]+?)
            (?=["']?\s*(?:[,}\]\r\n]|$))"""
        ),
        rf"\1\2{REDACTED}",
    ),
    (re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    (
        re.compile(
            r"""(?ix)
            (\b[\w-]*(?:password|passwd|secret|token|jwt|api[-_]?key)\b["']?\s*[:=]\s*)
            (?!\[redacted\])
            ("[^"]*"|'[^']*'|[^\s&;,"'}\]]+)"""
        ),
        rf"\1{REDACTED}",
    ),
    # A JWT anywhere (three base64url parts, header always starts {" -> eyJ).
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*"), REDACTED),
)
# Attributes every LogRecord has: anything else came from `extra=` and is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Text with every secret-looking value replaced by [redacted]."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(key: str, value: Any, secrets: Iterable[str] = ()) -> Any:
    """An extra field's value, scrubbed: whole value for secret keys, recursively for containers."""
    if _SECRET_KEY.search(key) and value is not None and not isinstance(value, bool | int | float):
        return REDACTED
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, Mapping) or (hasattr(value, "items") and hasattr(value, "keys")):
        return {str(k): redact_value(str(k), v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(key, v, secrets) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """Scrubs the message, its arguments and the extra fields of each record, in place."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message, self.secrets), None
        for key in set(vars(record)) - _STANDARD:
            setattr(record, key, redact_value(key, getattr(record, key), self.secrets))
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


class MalformedRequestFilter(logging.Filter):
    """aiohttp logs each request its parser refuses as an ERROR with a traceback and the first
    100 bytes of the offending line, which may be a Cookie or Authorization value the redactor
    cannot recognise without its header name. The client got its 400 (or 431); the log gets one
    INFO line: the peer, the kind of error, the status, never the bytes."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if record.name == "aiohttp.server" and isinstance(error, HttpProcessingError):
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                message = str(record.msg)
            record.msg = "%s: refused a malformed request (%s, %s)"
            record.args = (message, type(error).__name__, error.code)
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
            return logging.getLogger().isEnabledFor(logging.INFO)
        return True


class ProcessTag(logging.Filter):
    """Adds `worker` (index, or "supervisor") and `pid` to each record: with several worker
    processes writing to one stream, every line says which one wrote it."""

    def __init__(self, worker: int | str) -> None:
        super().__init__()
        self.worker = worker

    def filter(self, record: logging.LogRecord) -> bool:
        record.worker = self.worker
        record.pid = record.process
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in sorted(set(vars(record)) - _STANDARD):
            entry.setdefault(key, getattr(record, key))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str, ensure_ascii=False)


class _TextFormatter(logging.Formatter):
    """Human-readable lines; extra fields appended as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(f"{k}={getattr(record, k)!r}" for k in sorted(set(vars(record)) - _STANDARD))
        if not extras:
            return line
        head, _, tail = line.partition("\n")
        return f"{head} {extras}" + (f"\n{tail}" if tail else "")


def configure_logging(
    settings: LoggingSettings,
    *,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    worker: int | str | None = None,
) -> None:
    """Route all logging through one redacting handler on the root logger (replacing earlier ones).

    `secrets` are exact values (the JWT secret, the service account's token) scrubbed wherever they
    show up. `access_log: false` silences aiohttp's access logger. `worker` tags every line (see
    ProcessTag); a single process leaves it out, so its lines stay as they were.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    if worker is not None:
        handler.addFilter(ProcessTag(worker))
    handler.addFilter(MalformedRequestFilter())
    handler.addFilter(RedactingFilter(secrets))
    if settings.format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(_TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_gateway", False):
            root.removeHandler(old)
    handler._gateway = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.level)
    logging.getLogger("aiohttp.access").disabled = not settings.access_log


def configure_for(settings: Settings, *, worker: int | str | None = None) -> None:
    """Logging as `settings` asks, with every configured secret scrubbed from every record."""
    secrets = [
        value.get_secret_value()
        for value in (
            settings.confluence.auth.token,
            settings.confluence.auth.password,
            settings.documentserver.jwt.secret,
            settings.documentserver.jwt.previous_secret,
            settings.links.secret,
            settings.links.previous_secret,
        )
        if value is not None
    ]
    configure_logging(settings.logging, secrets=secrets, worker=worker)
