"""Typed, validated settings from the YAML config file.

Everything an admin configures lives in one YAML file; this module turns it into frozen pydantic
models. Unknown keys are errors (a typo must not silently fall back to a default), `${NAME}` takes
a value from the environment, and every error names the file, the line and the key.

Models are settled (other modules code against these names: add, do not rename); value checks are in
fields.py, reading YAML and locating errors in source.py and loader.py.
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gateway.settings.fields import (
    CrossFieldError,
    DocumentServerUrl,
    Extension,
    GroupName,
    HeaderName,
    HttpUrl,
    ListenHost,
    LogLevel,
    NonEmptySecret,
    PageId,
    RedisUrl,
    SpaceKey,
    check_auth,
    check_state_path,
    cross_field_problems,
    docserver_prefix,
    resolve_document_server_path,
)

__all__ = [
    "ConfluenceAuth",
    "ConfluenceSettings",
    "DocumentServerSettings",
    "InjectionSettings",
    "JwtSettings",
    "ListenSettings",
    "LoggingSettings",
    "ProxySettings",
    "RuleSettings",
    "Settings",
    "StateSettings",
]

MiB = 1024 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ListenSettings(_Strict):
    host: ListenHost = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # Worker processes sharing the port; None = one per CPU. 1 = a single process (no supervisor).
    workers: int | None = Field(default=None, ge=1, le=64)
    # Client connections (gateway/proxy/connections.py): closed when no complete request head
    # arrived this long after opening or after the previous response (idle and slowloris alike);
    # the longest pause in a request body; how many one worker holds open.
    idle_timeout: float = Field(default=75.0, gt=0)
    body_timeout: float = Field(default=60.0, gt=0)
    max_connections: int = Field(default=4096, ge=1)

    @property
    def worker_count(self) -> int:
        """How many worker processes serve: the setting, else the CPUs this process may use."""
        if self.workers is not None:
            return self.workers
        return max(
            1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        )


class ConfluenceAuth(_Strict):
    """The service account: a Personal Access Token (Bearer) or a username and password (Basic)."""

    token: NonEmptySecret | None = None
    username: GroupName | None = None
    password: NonEmptySecret | None = None

    @model_validator(mode="after")
    def _one_method(self) -> ConfluenceAuth:
        check_auth(self)
        return self


class ConfluenceSettings(_Strict):
    url: HttpUrl  # upstream, context path included, e.g. http://confluence:8090/confluence
    auth: ConfluenceAuth
    connect_timeout: float = Field(default=5.0, gt=0)
    # Time to wait for response headers; bodies are bounded by read_timeout between reads instead.
    response_timeout: float = Field(default=120.0, gt=0)
    read_timeout: float = Field(default=300.0, gt=0)


def _check_previous(previous_secret: SecretStr | None, previous_until: datetime.datetime | None) -> None:
    """A secret kept during a rotation (JWT or links) needs the end of its acceptance, and back."""
    if (previous_secret is None) != (previous_until is None):
        raise ValueError("previous_secret and previous_until go together")


class JwtSettings(_Strict):
    secret: NonEmptySecret  # required: the gateway has no "JWT off"
    header: HeaderName = "Authorization"
    # Rotating the secret: the old one still verifies what the Document Server sends (callbacks,
    # its downloads) until `previous_until`, so editors opened before the switch keep saving.
    previous_secret: NonEmptySecret | None = None
    previous_until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _previous_has_an_end(self) -> JwtSettings:
        _check_previous(self.previous_secret, self.previous_until)
        return self


class DocumentServerSettings(_Strict):
    # Where browsers load api.js from: the Document Server's own origin, or a path on the gateway's
    # origin ("/onlyoffice" or "https://wiki.example.com/onlyoffice"), which the gateway then proxies.
    public_url: DocumentServerUrl
    internal_url: HttpUrl | None = None  # how the gateway reaches it; defaults to public_url
    jwt: JwtSettings
    timeout: float = Field(default=60.0, gt=0)
    # How often unfinished saves (Confluence was down, a replica died) are looked for and finished.
    recovery_interval: float = Field(default=30.0, gt=0)


class ProxySettings(_Strict):
    """Reverse-proxy limits: none of aiohttp's client defaults is right for a proxy."""

    max_upload_bytes: int = Field(default=1024 * MiB, gt=0)
    max_header_bytes: int = Field(default=32 * 1024, ge=8190)
    max_headers: int = Field(default=256, ge=32)
    websocket_heartbeat: float = Field(default=30.0, gt=0)
    websocket_max_message_bytes: int = Field(default=64 * MiB, ge=0)
    shutdown_timeout: float = Field(default=60.0, ge=0)
    # CIDRs whose X-Forwarded-* we extend instead of replacing (e.g. the TLS-terminating nginx).
    trusted_proxies: tuple[str, ...] = ()
    # Upstream connection pool: total connections, and idle keep-alive kept below Tomcat's 20 s.
    upstream_connections: int = Field(default=256, ge=1)
    upstream_keepalive_timeout: float = Field(default=15.0, gt=0)
    # How long a /readyz probe of Confluence is reused, so probes do not hammer Confluence.
    readiness_cache_seconds: float = Field(default=3.0, ge=0)
    # Seconds /readyz answers 503 before the listener closes, so load balancers stop sending first.
    shutdown_drain_delay: float = Field(default=0.0, ge=0)
    # What the gateway's own routes accept from a client (onlyoffice/client_input.py):
    # JSON bodies of its pages and of Document Server callbacks (413 when larger), how deep they nest
    # and how many digits a number has (400; the depth stays far below Python's recursion limit),
    # and their query strings (414 when longer, 400 with more parameters).
    max_json_bytes: int = Field(default=MiB, ge=1024)
    max_callback_bytes: int = Field(default=8 * MiB, ge=64 * 1024)
    max_json_depth: int = Field(default=64, ge=8, le=500)
    max_json_number_digits: int = Field(default=64, ge=16, le=4300)
    max_query_bytes: int = Field(default=16 * 1024, ge=1024)
    max_query_params: int = Field(default=64, ge=8)


class RuleSettings(_Strict):
    """Which ONLYOFFICE actions are offered where; the first matching rule wins."""

    spaces: tuple[SpaceKey, ...] = ()  # space keys; empty = any
    pages: tuple[PageId, ...] = ()  # page ids; empty = any
    extensions: tuple[Extension, ...] = ()  # lower-case, no dot; empty = any
    groups: tuple[GroupName, ...] = ()  # Confluence groups of the user; empty = anyone
    max_size: int | None = Field(default=None, gt=0)  # bytes
    actions: tuple[Literal["edit", "view", "convert", "create", "download"], ...] = (
        "edit",
        "view",
        "convert",
        "create",
        "download",
    )
    enabled: bool = True  # false turns the gateway's additions off where this rule matches
    # Formats whose round trip may lose formatting (odt, ods, odp, rtf, txt, csv...): edit them here.
    lossy_edit: tuple[Extension, ...] = ()
    # Force saves ("Save" in the editor) make versions; keep them, or collapse them into the final one.
    forcesave_versions: Literal["keep", "collapse"] = "keep"


class StateSettings(_Strict):
    """Where shared state lives: Redis (several hosts), else SQLite at `path` (one host, any number of
    workers, survives restarts), else memory (one worker only)."""

    redis_url: RedisUrl | None = None
    path: str | None = Field(default=None, min_length=1)  # SQLite file; relative = to the config file

    @field_validator("path")
    @classmethod
    def _absolute_path(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Made absolute against the config file's directory (the loader passes it as `base_dir`)."""
        if value is None:
            return None
        base_dir = (info.context or {}).get("base_dir")
        return check_state_path(value, Path(base_dir) if base_dir else Path.cwd())


class LoggingSettings(_Strict):
    level: LogLevel = "INFO"
    format: Literal["json", "text"] = "json"
    access_log: bool = True


# Confluence pages that list or embed attachments (relative to the context path, regular expressions
# matched against the path): page views, blog posts, the attachments page, the macro's AJAX refresh.
DEFAULT_INJECTION_PATHS: tuple[str, ...] = (
    r"/display/.+",
    r"/pages/viewpage\.action",
    r"/pages/viewpageattachments\.action",
    r"/pages/plugins/attachments/rendermacro\.action",
    r"/spaces/viewspace\.action",
    r"/x/.+",
)


class InjectionSettings(_Strict):
    """Which proxied HTML pages get ONLYOFFICE links; every other response streams untouched."""

    enabled: bool = True
    paths: tuple[str, ...] = DEFAULT_INJECTION_PATHS
    max_page_bytes: int = Field(default=8 * MiB, gt=0)  # larger pages pass through without links

    @model_validator(mode="after")
    def _patterns_compile(self) -> InjectionSettings:
        for pattern in self.paths:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"not a regular expression: {pattern!r} ({error})") from error
        return self


class LinkSettings(_Strict):
    """The secret that signs the links the Document Server keeps (downloads, save callbacks) and the
    gateway pages' CSRF tokens. Unset: derived from the Document Server's JWT secret (so rotating
    that one also voids every pending callback link: set this first). `previous_secret` is still
    accepted until `previous_until` (an ISO time with zone), so links handed out before a rotation
    keep working: a callback link lives 30 days, a download link 2."""

    secret: NonEmptySecret | None = None
    previous_secret: NonEmptySecret | None = None
    previous_until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _previous_has_an_end(self) -> LinkSettings:
        _check_previous(self.previous_secret, self.previous_until)
        return self


class Settings(_Strict):
    listen: ListenSettings = ListenSettings()
    public_url: HttpUrl  # what browsers use: gateway address + Confluence context path
    internal_url: HttpUrl | None = None  # how the Document Server reaches the gateway
    confluence: ConfluenceSettings
    documentserver: DocumentServerSettings
    rules: tuple[RuleSettings, ...] = ()
    injection: InjectionSettings = InjectionSettings()
    proxy: ProxySettings = ProxySettings()
    state: StateSettings = StateSettings()
    logging: LoggingSettings = LoggingSettings()
    links: LinkSettings = LinkSettings()

    @model_validator(mode="before")
    @classmethod
    def _resolve_paths(cls, data: Any) -> Any:
        return resolve_document_server_path(data)

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        problems = cross_field_problems(self)
        if problems:
            raise CrossFieldError(problems)
        return self

    @property
    def docserver_prefix(self) -> str | None:
        """The path under which the gateway proxies the Document Server; None when it has its own origin."""
        return docserver_prefix(self)
