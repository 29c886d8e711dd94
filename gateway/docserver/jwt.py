"""JWT as the Document Server uses it (reference/documentserver-protocol.md section 3).

The Document Server signs with HS256 and accepts any HMAC algorithm (HS256/384/512), tolerating
60 s of clock skew. Requests carry the token in the body (`token`, payload = the request itself)
or in a header (`Bearer <jwt>`, payload wrapped as `{"payload": ...}`); the body wins, because the
Document Server drops fields from the header token when it grows too large. Only the verified
claims are ever used: the unsigned JSON beside a token is ignored.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import jwt as pyjwt

__all__ = [
    "ACCEPTED_ALGORITHMS",
    "LEEWAY_SECONDS",
    "JwtError",
    "bearer_value",
    "read_signed_request",
    "sign",
    "sign_config",
    "sign_header_payload",
    "verify",
]

ACCEPTED_ALGORITHMS = ("HS256", "HS384", "HS512")
LEEWAY_SECONDS = 60
DEFAULT_LIFETIME_SECONDS = 300  # what the Document Server gives its own tokens ("5m")
_BEARER = "bearer "


class JwtError(Exception):
    """A token is missing, malformed, forged or expired. The message never contains the token."""


def sign(
    payload: Mapping[str, Any],
    secret: str,
    *,
    lifetime: int | None = DEFAULT_LIFETIME_SECONDS,
    algorithm: str = "HS256",
) -> str:
    """Sign `payload` with `iat` (and `exp` unless lifetime is None) added."""
    now = int(time.time())
    claims = dict(payload)
    claims["iat"] = now
    if lifetime is not None:
        claims["exp"] = now + lifetime
    return pyjwt.encode(claims, secret, algorithm=algorithm)


def sign_header_payload(payload: Mapping[str, Any], secret: str) -> str:
    """A header token as the Document Server expects it: the request wrapped in `payload`."""
    return sign({"payload": dict(payload)}, secret)


def bearer_value(token: str) -> str:
    return f"Bearer {token}"


def verify(token: str, secret: str, *, leeway: int = LEEWAY_SECONDS) -> dict[str, Any]:
    """Verify signature and time claims; HMAC algorithms only (never `none`, never RSA confusion)."""
    try:
        claims = pyjwt.decode(
            token,
            secret,
            algorithms=list(ACCEPTED_ALGORITHMS),
            leeway=leeway,
            options={"require": [], "verify_aud": False},
        )
    except pyjwt.ExpiredSignatureError as error:
        raise JwtError("token expired") from error
    except pyjwt.ImmatureSignatureError as error:
        raise JwtError("token not valid yet") from error
    except pyjwt.InvalidAlgorithmError as error:
        raise JwtError("token algorithm not accepted") from error
    except pyjwt.InvalidSignatureError as error:
        raise JwtError("token signature does not match the secret") from error
    except pyjwt.PyJWTError as error:
        raise JwtError("token malformed") from error
    if not isinstance(claims, dict):
        raise JwtError("token payload is not an object")
    return claims


def _header_token(headers: Mapping[str, str], header_name: str) -> str | None:
    value = headers.get(header_name)
    if not value:
        return None
    value = value.strip()
    if value.lower().startswith(_BEARER):
        value = value[len(_BEARER) :].strip()
    return value or None


def _verify_any(token: str, secrets: Sequence[str]) -> dict[str, Any]:
    """Claims of a token signed with one of `secrets` (the current one first); the first error else."""
    first: JwtError | None = None
    for secret in secrets:
        try:
            return verify(token, secret)
        except JwtError as error:
            first = first or error
    raise first or JwtError("no secret to verify the token with")


def read_signed_request(
    body: Mapping[str, Any] | None,
    headers: Mapping[str, str],
    *,
    secret: str | Sequence[str],
    header_name: str = "Authorization",
) -> dict[str, Any]:
    """The authoritative request payload: body `token` preferred, else the header token unwrapped.

    `secret` may be several (the current one, and the previous during a rotation). Raises JwtError
    when neither token is present or the one used does not verify.
    """
    secrets = (secret,) if isinstance(secret, str) else tuple(secret)
    body_token = body.get("token") if body else None
    if isinstance(body_token, str) and body_token:
        claims = _verify_any(body_token, secrets)
    else:
        header_token = _header_token(headers, header_name)
        if header_token is None:
            raise JwtError("no token in the body or the header")
        claims = _verify_any(header_token, secrets)
    wrapped = claims.get("payload")
    if isinstance(wrapped, dict):
        # Header tokens wrap the request; keep time claims from the outer token out of it.
        return dict(wrapped)
    return {name: value for name, value in claims.items() if name not in ("iat", "exp", "nbf")}


def sign_config(config: Mapping[str, Any], secret: str, *, lifetime: int = DEFAULT_LIFETIME_SECONDS) -> str:
    """The editor config token: the whole config but `token` and `events` (section 3.3)."""
    payload = {name: value for name, value in config.items() if name not in ("token", "events")}
    return sign(payload, secret, lifetime=lifetime)
