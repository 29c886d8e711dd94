"""Constrained value types for the settings models, and the cross-field checks.

They live here, not in models.py, so the models stay a plain list of names and defaults that several
people edit. Each check raises ValueError with a message that reads after "key: " in a config error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, SecretStr
from yarl import URL

__all__ = [
    "MIN_JWT_SECRET_BYTES",
    "CrossFieldError",
    "DocumentServerUrl",
    "Extension",
    "GroupName",
    "HeaderName",
    "HttpUrl",
    "ListenHost",
    "Loc",
    "LogLevel",
    "NonEmptySecret",
    "PageId",
    "RedisUrl",
    "SpaceKey",
    "check_auth",
    "check_state_path",
    "context_path",
    "cross_field_problems",
    "docserver_prefix",
    "origin",
    "resolve_document_server_path",
]

Loc = tuple[str | int, ...]

# ONLYOFFICE's installers and Docker image generate 32-character secrets (pwgen -s 32) and PyJWT warns
# below the HS256 digest size (32 bytes): shorter secrets are weak, but an existing Document Server may
# already use one, and the gateway must match it, so a short secret is a warning, not an error.
MIN_JWT_SECRET_BYTES = 32

_TOKEN_CHARS = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 token: a valid header name
_EXTENSION = re.compile(r"[a-z0-9]+")
_DIGITS = re.compile(r"[0-9]+")
_SPACE_KEY = re.compile(r"~?[A-Za-z0-9_.@-]+")  # "~name" is a personal space


class CrossFieldError(ValueError):
    """Problems that involve several keys, each with the key it is reported at.

    pydantic only locates a model validator's error at the model; the loader reads `problems` from
    the error context to put each message on the line of the key it is about.
    """

    def __init__(self, problems: Sequence[tuple[Loc, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {text}" for loc, text in self.problems))


def _check_http_url(value: str, what: str = "an absolute http(s) URL") -> str:
    """Accept an absolute http(s) URL without credentials, query or fragment; drop trailing slashes."""
    if not value or any(c.isspace() for c in value):
        raise ValueError(f"must be {what}, got {value!r}")
    try:
        url = URL(value)
        url.port  # noqa: B018 - an out-of-range port only raises when read
    except ValueError:
        raise ValueError(f"must be {what}, got {value!r}") from None
    if url.scheme not in ("http", "https") or not url.host or not url.is_absolute():
        raise ValueError(f"must be {what}, got {value!r}")
    if url.raw_user is not None or url.raw_password is not None:
        # The value is not echoed: it holds a credential.
        raise ValueError("must not contain a user name or password; give credentials in their own keys")
    if "?" in value or "#" in value:
        raise ValueError(f"must not have a query or fragment, got {value!r}")
    return value.rstrip("/")


def _check_document_server_url(value: str) -> str:
    """An absolute URL, or a bare path meaning that path on the gateway's own public origin.

    A bare path is resolved against public_url by the Settings model (see `resolve_document_server_path`),
    so one reaching this check could not be resolved: public_url itself is invalid and says so.
    """
    if value.startswith("/") and not value.startswith("//"):
        raise ValueError(
            f"a path under the gateway ({value!r}) needs a valid public_url to be resolved against"
        )
    return _check_http_url(value)


def resolve_document_server_path(data: Any) -> Any:
    """`documentserver.public_url: /ds-vpath` -> the same path on public_url's origin.

    Runs on the raw mapping before any field is checked. An absolute URL on the gateway's origin is
    spelled as public_url spells its origin ('https://WIKI.example.com:443/x' -> 'https://wiki.example.com/x'),
    so later comparisons need no care. Anything that is not a well-formed value with a usable
    public_url is left alone for the field checks to report.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("documentserver"), Mapping):
        return data
    given, public = data["documentserver"].get("public_url"), data.get("public_url")
    if not isinstance(given, str) or not isinstance(public, str):
        return data
    try:
        base = URL(_check_http_url(public))
        if given.startswith("/") and not given.startswith("//"):
            path = URL(_check_http_url(f"{base.origin()}{given}")).raw_path
        elif origin(_check_http_url(given)) == origin(str(base)):
            path = URL(_check_http_url(given)).raw_path
        else:
            return data
    except ValueError:
        return data
    absolute = f"{base.origin()}{path.rstrip('/')}"
    return {**data, "documentserver": {**data["documentserver"], "public_url": absolute}}


def _check_redis_url(value: str) -> str:
    try:
        scheme = URL(value).scheme
    except ValueError:
        scheme = ""
    if scheme not in ("redis", "rediss", "unix"):
        # Not echoed: a Redis URL often carries a password.
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    return value


def check_state_path(value: str, base_dir: Path) -> str:
    """`state.path`: a file the gateway can create or open; relative paths are from the config's directory."""
    path = (base_dir / Path(value).expanduser()).absolute()  # an absolute value replaces base_dir
    try:
        if value.endswith("/") or path.is_dir():
            example = str(path / "state.sqlite3")
            raise ValueError(f"{str(path)!r} is a directory: name the SQLite file in it, e.g. {example!r}")
        if path.exists() and not path.is_file():
            raise ValueError(f"{str(path)!r} is not a regular file")
        parent = next(p for p in path.parents if p.exists())
    except OSError as error:
        raise ValueError(f"{str(path)!r} cannot be checked: {error.strerror or error}") from None
    if not parent.is_dir():
        raise ValueError(f"{str(path)!r} cannot be created: {str(parent)!r} is not a directory")
    return str(path)


def _check_header(value: str) -> str:
    if not _TOKEN_CHARS.fullmatch(value):
        raise ValueError(f"must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~), got {value!r}")
    return value


def _check_secret(value: SecretStr) -> SecretStr:
    if not value.get_secret_value().strip():
        raise ValueError("must not be empty")
    return value


def _check_extension(value: str) -> str:
    if not _EXTENSION.fullmatch(value):
        raise ValueError(f"must be a lower-case file extension without the dot, like 'docx', got {value!r}")
    return value


def _check_page_id(value: str) -> str:
    if not _DIGITS.fullmatch(value):
        raise ValueError(f"must be a page id (digits only), got {value!r}")
    return value


def _check_space_key(value: str) -> str:
    if not _SPACE_KEY.fullmatch(value):
        raise ValueError(f"must be a Confluence space key like 'DEMO' or '~alice', got {value!r}")
    return value


def _check_not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError(f"must not be empty, got {value!r}")
    return value


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


HttpUrl = Annotated[str, AfterValidator(_check_http_url)]
DocumentServerUrl = Annotated[str, AfterValidator(_check_document_server_url)]
RedisUrl = Annotated[str, AfterValidator(_check_redis_url)]
HeaderName = Annotated[str, AfterValidator(_check_header)]
NonEmptySecret = Annotated[SecretStr, AfterValidator(_check_secret)]
Extension = Annotated[str, AfterValidator(_check_extension)]
PageId = Annotated[str, AfterValidator(_check_page_id)]
SpaceKey = Annotated[str, AfterValidator(_check_space_key)]
GroupName = Annotated[str, AfterValidator(_check_not_blank)]
ListenHost = Annotated[str, AfterValidator(_check_not_blank)]
LogLevel = Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(_upper)]  # "info" too


def check_auth(auth: Any) -> None:
    """The service account needs exactly one method: a token, or a username with its password."""
    if auth.token is not None and (auth.username is not None or auth.password is not None):
        raise ValueError("give either token or username and password, not both")
    if auth.token is None and auth.username is None and auth.password is None:
        raise ValueError("needs token (a Personal Access Token), or username and password")
    if auth.token is None and (auth.username is None or auth.password is None):
        missing = "password" if auth.password is None else "username"
        raise ValueError(f"username and password go together: {missing} is missing")


def context_path(url: str) -> str:
    """The path part of a (validated, slash-stripped) URL: '' for a root install."""
    return URL(url).raw_path.rstrip("/")


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port, compared parsed (not as strings) so 'HTTP://X:80' equals 'http://x'."""
    parsed = URL(url)
    return (parsed.scheme.lower(), (parsed.host or "").lower(), parsed.port)


def cross_field_problems(settings: Any) -> list[tuple[Loc, str]]:
    """Combinations of individually valid keys that cannot work together."""
    problems: list[tuple[Loc, str]] = []
    public_path = context_path(settings.public_url)
    upstream_path = context_path(settings.confluence.url)
    if public_path != upstream_path:
        problems.append(
            (
                ("public_url",),
                f"its path {public_path or '/'!r} must equal the context path of confluence.url "
                f"({upstream_path or '/'!r}): Confluence builds links from its base URL, which must be "
                "public_url",
            )
        )
    if settings.internal_url is not None and context_path(settings.internal_url) != public_path:
        problems.append(
            (
                ("internal_url",),
                f"its path {context_path(settings.internal_url) or '/'!r} must equal the path of "
                f"public_url ({public_path or '/'!r}): the gateway serves one context path",
            )
        )
    problems.extend(_document_server_problems(settings))
    return problems


# Paths the gateway answers at its root, and Confluence's Synchrony (proxied outside the context path).
_ROOT_PATHS = ("/livez", "/readyz", "/metrics", "/synchrony")


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def docserver_prefix(settings: Any) -> str | None:
    """The path under which the gateway serves the Document Server, or None when it has its own origin."""
    if origin(settings.documentserver.public_url) != origin(settings.public_url):
        return None
    return context_path(settings.documentserver.public_url)


def _gateway_origins(settings: Any) -> set[tuple[str, str, int | None]]:
    found = {origin(settings.public_url)}
    if settings.internal_url is not None:
        found.add(origin(settings.internal_url))
    host, port = settings.listen.host.lower(), settings.listen.port
    local = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::"} if host in ("0.0.0.0", "::") else {host}
    found.update((scheme, name, port) for scheme in ("http", "https") for name in local)
    return found


def _document_server_problems(settings: Any) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    ds = settings.documentserver
    internal = ds.internal_url
    if internal is not None and origin(internal) in _gateway_origins(settings):
        problems.append(
            (
                ("documentserver", "internal_url"),
                f"{internal!r} is the gateway itself: give the address where the Document Server "
                "listens (e.g. http://documentserver)",
            )
        )
    prefix = docserver_prefix(settings)
    if prefix is None:
        return problems
    confluence = context_path(settings.public_url)
    where = ("documentserver", "public_url")
    if prefix == "":
        problems.append(
            (
                where,
                "on the gateway's own origin it needs a path of its own, like "
                f"'{URL(settings.public_url).origin()}/onlyoffice': '/' is Confluence's",
            )
        )
    elif confluence and (_under(prefix, confluence) or _under(confluence, prefix)):
        problems.append(
            (
                where,
                f"its path {prefix!r} overlaps Confluence's context path {confluence!r}: give the "
                "Document Server a path beside it, like '/onlyoffice'",
            )
        )
    elif any(_under(prefix, root) or _under(root, prefix) for root in _ROOT_PATHS):
        problems.append(
            (
                where,
                f"its path {prefix!r} overlaps a path the gateway answers itself or sends to Confluence "
                f"({', '.join(_ROOT_PATHS)})",
            )
        )
    if internal is None:
        problems.append(
            (
                ("documentserver", "internal_url"),
                "required when documentserver.public_url is a path under the gateway: the address "
                "where the gateway reaches the Document Server (e.g. http://documentserver)",
            )
        )
    return problems
