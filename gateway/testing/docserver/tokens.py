"""JWT rules of the Document Server (reference §3): inbox verification, outbox signing, config checks.

The simulator must be exactly as strict as DS: HMAC only, 60 s leeway, the 7.1 "required signed
fields" rule and permissions deep-equality. Anything easier would let gateway bugs through.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import jwt
from jwt.warnings import InsecureKeyLengthWarning

__all__ = [
    "INBOX_ALGORITHMS",
    "LEEWAY_SECONDS",
    "OUTBOX_EXPIRES_SECONDS",
    "SESSION_EXPIRES_SECONDS",
    "EditorError",
    "TokenError",
    "TokenExpired",
    "as_object",
    "header_token",
    "request_params",
    "sign_outbox",
    "sign_outbox_header",
    "sign_session",
    "verify_config_token",
    "verify_inbox",
    "verify_session",
]

INBOX_ALGORITHMS = ["HS256", "HS384", "HS512"]
LEEWAY_SECONDS = 60
OUTBOX_EXPIRES_SECONDS = 300
SESSION_EXPIRES_SECONDS = 30 * 24 * 3600  # token.session.expires "30d"


class TokenError(Exception):
    """The token is missing, malformed, unsigned or signed with another secret."""


class TokenExpired(TokenError):
    """The token's `exp` is further in the past than the leeway allows."""


class EditorError(Exception):
    """Opening the editor failed; `code` and `description` are what the editor reports via onError."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def verify_inbox(token: str, secret: str) -> dict[str, Any]:
    """Decode a token sent to DS: HS256/384/512 only, `exp`/`nbf` enforced with 60 s leeway."""
    try:
        with warnings.catch_warnings():
            # DS accepts its usual 32-character secrets for HS384/HS512 too.
            warnings.simplefilter("ignore", InsecureKeyLengthWarning)
            claims = jwt.decode(
                token,
                secret,
                algorithms=INBOX_ALGORITHMS,
                leeway=LEEWAY_SECONDS,
                options={"require": [], "verify_aud": False, "verify_iss": False},
            )
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired("token expired") from exc
    except jwt.PyJWTError as exc:
        raise TokenError(f"invalid token: {exc}") from exc
    if not isinstance(claims, dict):
        raise TokenError("invalid token: payload is not an object")
    return claims


def sign_outbox(payload: dict[str, Any], secret: str) -> str:
    """Sign what DS sends out: HS256 with `iat` and `exp = iat + 300` (token.outbox.expires "5m")."""
    now = int(time.time())
    claims = dict(payload)
    claims["iat"] = now
    claims["exp"] = now + OUTBOX_EXPIRES_SECONDS
    return jwt.encode(claims, secret, algorithm="HS256")


def sign_outbox_header(payload: dict[str, Any], secret: str) -> str:
    """The header form of an outbox token: `Bearer <jwt of {payload: ...}>`."""
    return "Bearer " + sign_outbox({"payload": payload}, secret)


def header_token(value: str | None) -> str | None:
    """Strip the `Bearer ` prefix DS expects in its token header."""
    if not value:
        return None
    value = value.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value or None


def request_params(
    body: dict[str, Any], header_value: str | None, secret: str
) -> tuple[dict[str, Any], bool]:
    """Authoritative params of a command/converter request (SRV `getRequestParams`).

    The body `token` wins over the header; the decoded object is merged with its `payload` and
    `query` members. With a valid token only the token's content is used (`tokenRequiredParams`).
    Returns the params and whether a token was present.
    """
    token = body.get("token") if isinstance(body.get("token"), str) else None
    if token is None:
        token = header_token(header_value)
    if token is None:
        raise TokenError("token missing")
    claims = verify_inbox(token, secret)
    params = {k: v for k, v in claims.items() if k not in ("payload", "query")}
    for member in ("payload", "query"):
        extra = claims.get(member)
        if isinstance(extra, dict):
            params.update(extra)
    return params, True


def as_object(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one (configs come from untrusted pages)."""
    return value if isinstance(value, dict) else {}


def _has_path(payload: dict[str, Any], *path: str) -> bool:
    node: Any = payload
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def verify_config_token(config: dict[str, Any], secret: str) -> dict[str, Any]:
    """Check `config.token` as DS does on open and return the config with the token's values applied.

    Error codes are those the editor reports: -20 malformed/missing token ("VKeyEncrypt"),
    -120 expired ("KeyExpire"), -23 access denied (permissions differ, wrong payload format).
    """
    token = config.get("token")
    if not isinstance(token, str) or not token:
        raise EditorError(-20, "The document security token is not correctly formed.")
    try:
        payload = verify_inbox(token, secret)
    except TokenExpired as exc:
        raise EditorError(-120, "The document security token has expired.") from exc
    except TokenError as exc:
        raise EditorError(-20, "The document security token is not correctly formed.") from exc
    for forbidden in ("url", "payload", "key"):
        if forbidden in payload:
            raise EditorError(-23, f"Invalid token format: top-level '{forbidden}' is not allowed.")
    required: list[tuple[str, ...]] = [("document", "key"), ("document", "url")]
    document = as_object(config.get("document"))
    editor = as_object(config.get("editorConfig"))
    if "permissions" in document:
        required.append(("document", "permissions"))
    if "callbackUrl" in editor:
        required.append(("editorConfig", "callbackUrl"))
    if editor.get("mode", "edit") != "view":
        required.append(("editorConfig", "mode"))
    for path in required:
        if not _has_path(payload, *path):
            name = ".".join(path)
            raise EditorError(
                -20,
                f"The document security token is not correctly formed: missing required parameter "
                f"{name} (since 7.1 version).",
            )
    signed_doc = as_object(payload.get("document"))
    if "permissions" in document and signed_doc.get("permissions") != document.get("permissions"):
        raise EditorError(-23, "Access denied: the permissions differ from the signed ones.")
    return _apply_token(config, payload)


def _apply_token(config: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """The token wins for key, url, fileType, title, callbackUrl, lang, mode, coEditing, user."""
    merged = {k: v for k, v in config.items() if k not in ("token",)}
    document = dict(merged.get("document") or {})
    editor = dict(merged.get("editorConfig") or {})
    signed_doc = payload.get("document") or {}
    signed_editor = payload.get("editorConfig") or {}
    for field in ("key", "url", "fileType", "title", "permissions"):
        if isinstance(signed_doc, dict) and field in signed_doc:
            document[field] = signed_doc[field]
    for field in ("callbackUrl", "lang", "mode", "coEditing", "customization"):
        if isinstance(signed_editor, dict) and field in signed_editor:
            editor[field] = signed_editor[field]
    if isinstance(signed_editor, dict) and isinstance(signed_editor.get("user"), dict):
        user = dict(editor.get("user") or {})
        for field in ("id", "name", "group"):
            if field in signed_editor["user"]:
                user[field] = signed_editor["user"][field]
        editor["user"] = user
    if "documentType" in payload:
        merged["documentType"] = payload["documentType"]
    merged["document"] = document
    merged["editorConfig"] = editor
    return merged


def sign_session(config: dict[str, Any], secret: str) -> str:
    """The session token DS gives an editor that opened (HS256, 30 days, reference §3.3): it
    reconnects with it, so the config token's short `exp` only matters at the first open."""
    now = int(time.time())
    claims = {"config": config, "iat": now, "exp": now + SESSION_EXPIRES_SECONDS}
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_session(token: str, secret: str) -> dict[str, Any]:
    """The verified config inside a session token; the same error codes as a config token."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], leeway=LEEWAY_SECONDS)
    except jwt.ExpiredSignatureError as exc:
        raise EditorError(-120, "The session token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise EditorError(-20, "The session token is not correctly formed.") from exc
    config = claims.get("config") if isinstance(claims, dict) else None
    if not isinstance(config, dict):
        raise EditorError(-20, "The session token is not correctly formed.")
    return config
