"""The settings models: every key an admin can configure, its type and its default.

Frozen pydantic models; unknown keys are errors (a typo must not silently fall back to a default).
Value checks are the annotated types of fields.py; reading YAML and reporting errors with file and
line is loader.py's job. Other modules code against these names: add, do not rename.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway.settings.fields import (
    CrossFieldError,
    DocumentServerUrl,
    Extension,
    GroupName,
    HeaderName,
    HttpUrl,
    ListenHost,
    NonEmptySecret,
    PageId,
    RedisUrl,
    SpaceKey,
    cross_field_problems,
)

__all__ = [
    "ConfluenceAuth",
    "ConfluenceSettings",
    "DocumentServerSettings",
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


class ConfluenceAuth(_Strict):
    """The service account: a Personal Access Token (Bearer) or a username and password (Basic)."""

    token: NonEmptySecret | None = None
    username: GroupName | None = None
    password: NonEmptySecret | None = None

    @model_validator(mode="after")
    def _one_method(self) -> ConfluenceAuth:
        if self.token is not None and (self.username is not None or self.password is not None):
            raise ValueError("give either token or username and password, not both")
        if self.token is None and self.username is None and self.password is None:
            raise ValueError("needs token (a Personal Access Token), or username and password")
        if self.token is None and (self.username is None or self.password is None):
            missing = "password" if self.password is None else "username"
            raise ValueError(f"username and password go together: {missing} is missing")
        return self


class ConfluenceSettings(_Strict):
    url: HttpUrl  # upstream, context path included, e.g. http://confluence:8090/confluence
    auth: ConfluenceAuth
    connect_timeout: float = Field(default=5.0, gt=0)
    # Time to wait for response headers; bodies are bounded by read_timeout between reads instead.
    response_timeout: float = Field(default=120.0, gt=0)
    read_timeout: float = Field(default=300.0, gt=0)


class JwtSettings(_Strict):
    secret: NonEmptySecret  # required: the gateway has no "JWT off"
    header: HeaderName = "Authorization"


class DocumentServerSettings(_Strict):
    public_url: DocumentServerUrl  # where browsers load api.js from
    internal_url: HttpUrl | None = None  # how the gateway reaches it; defaults to public_url
    jwt: JwtSettings
    timeout: float = Field(default=60.0, gt=0)


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


class RuleSettings(_Strict):
    """Which ONLYOFFICE actions are offered where; the first matching rule wins."""

    spaces: tuple[SpaceKey, ...] = ()  # space keys; empty = any
    pages: tuple[PageId, ...] = ()  # page ids; empty = any
    extensions: tuple[Extension, ...] = ()  # lower-case, no dot; empty = any
    groups: tuple[GroupName, ...] = ()  # Confluence groups of the user; empty = anyone
    max_size: int | None = Field(default=None, gt=0)  # bytes
    actions: tuple[Literal["edit", "view", "convert", "create"], ...] = ("edit", "view", "convert", "create")
    enabled: bool = True  # false turns the gateway's additions off where this rule matches


class StateSettings(_Strict):
    redis_url: RedisUrl | None = None  # None = in-memory (single replica)


class LoggingSettings(_Strict):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "text"] = "json"
    access_log: bool = True

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class Settings(_Strict):
    listen: ListenSettings = ListenSettings()
    public_url: HttpUrl  # what browsers use: gateway address + Confluence context path
    internal_url: HttpUrl | None = None  # how the Document Server reaches the gateway
    confluence: ConfluenceSettings
    documentserver: DocumentServerSettings
    rules: tuple[RuleSettings, ...] = ()
    proxy: ProxySettings = ProxySettings()
    state: StateSettings = StateSettings()
    logging: LoggingSettings = LoggingSettings()

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        problems = cross_field_problems(self)
        if problems:
            raise CrossFieldError(problems)
        return self
