"""What the gateway signs to check later: the links the Document Server calls back on (file
downloads, save callbacks), the browser's Download As links, and its own pages' CSRF tokens.

The Document Server stores these URLs and may use them hours later (a callback arrives when the
last editor leaves; retries and forgotten files come later still), so their tokens are long-lived
and bound to what they may do instead: one action, one attachment, one document key (and version
for downloads). They are JWTs signed with the gateway's link secret, derived from the Document
Server secret with domain separation, so a link token never verifies as a Document Server token
or the other way round. A Download As link is the opposite: the browser follows it at once, so it
lives minutes and is bound to the credentials of the user who asked (a fingerprint), the attachment
version, the target type and the file name.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import is_content_id
from gateway.docserver.jwt import JwtError, sign, verify
from gateway.onlyoffice.context import OnlyOfficeContext

__all__ = [
    "CALLBACK_LIFETIME_SECONDS",
    "DOWNLOAD_AS_LIFETIME_SECONDS",
    "DOWNLOAD_LIFETIME_SECONDS",
    "LinkClaims",
    "PagePurpose",
    "make_link_token",
    "page_token",
    "read_link_token",
    "valid_page_request",
]

LinkAction = Literal["download", "callback", "download-as"]

# A session can stay open for days, and a callback can be retried after Confluence was down.
CALLBACK_LIFETIME_SECONDS = 30 * 24 * 3600
# Downloads happen when the session opens, on reconnects and after the key is reset (5 min).
DOWNLOAD_LIFETIME_SECONDS = 2 * 24 * 3600
# The browser follows a Download As link as soon as the conversion ends.
DOWNLOAD_AS_LIFETIME_SECONDS = 300
_LIFETIMES: dict[str, int] = {
    "download": DOWNLOAD_LIFETIME_SECONDS,
    "callback": CALLBACK_LIFETIME_SECONDS,
    "download-as": DOWNLOAD_AS_LIFETIME_SECONDS,
}
# Optional string claims: (attribute, claim name).
_TEXT_CLAIMS = (("user", "sub"), ("target", "tgt"), ("filename", "name"), ("holder", "hld"))


@dataclass(frozen=True, slots=True)
class LinkClaims:
    action: LinkAction
    attachment_id: str
    key: str
    version: int | None = None
    user: str | None = None  # the Confluence userKey whose editor registered the link
    target: str | None = None  # Download As: the target type
    filename: str | None = None  # Download As: the name the user chose
    holder: str | None = None  # Download As: fingerprint of the credentials of the user who asked


def make_link_token(claims: LinkClaims, secret: str, *, lifetime: int | None = None) -> str:
    """A signed token for `claims`; `lifetime` (seconds) overrides the action's usual one."""
    payload: dict[str, Any] = {"act": claims.action, "att": claims.attachment_id, "key": claims.key}
    if claims.version is not None:
        payload["ver"] = claims.version
    for attribute, name in _TEXT_CLAIMS:
        value = getattr(claims, attribute)
        if value is not None:
            payload[name] = value
    return sign(payload, secret, lifetime=_LIFETIMES[claims.action] if lifetime is None else lifetime)


def verify_with_any(token: str, secrets: Sequence[str]) -> dict[str, Any]:
    """The claims of a token signed with one of `secrets`; the current secret's error otherwise
    (an expired link says so, not that the previous secret does not match)."""
    first: JwtError | None = None
    for secret in secrets:
        try:
            return verify(token, secret, leeway=0)
        except JwtError as error:
            first = first or error
    raise first or JwtError("no secret to verify the link token with")


def read_link_token(token: str, secrets: str | Sequence[str], *, action: LinkAction) -> LinkClaims:
    """Verify a link token (signed with any of `secrets`: the current one, and the previous while a
    rotation lasts) and that it was made for `action`; raises JwtError otherwise."""
    claims = verify_with_any(token, (secrets,) if isinstance(secrets, str) else secrets)
    if claims.get("act") != action:
        raise JwtError(f"link token is not for {action}")
    attachment_id, key = claims.get("att"), claims.get("key")
    if not isinstance(attachment_id, str) or not is_content_id(attachment_id) or not isinstance(key, str):
        raise JwtError("link token lacks its attachment or key")
    version = claims.get("ver")
    texts = {attribute: claims.get(name) for attribute, name in _TEXT_CLAIMS}
    return LinkClaims(
        action=action,
        attachment_id=attachment_id,
        key=key,
        version=version if isinstance(version, int) else None,
        **{attribute: value if isinstance(value, str) else None for attribute, value in texts.items()},
    )


# The editor page's Save As, reference-data and attachment-picker requests use the same tokens,
# each for its own purpose.
PagePurpose = Literal[
    "convert", "download-as", "save-as", "reference-data", "pick", "restore", "rename", "notify"
]


def page_token(
    context: OnlyOfficeContext,
    credentials: UserCredentials,
    purpose: PagePurpose,
    attachment_id: str,
    *,
    secret: str | None = None,
) -> str:
    """The page's CSRF token: only this user's browser, for this action on this attachment."""
    message = f"{purpose}\x00{credentials.fingerprint()}\x00{attachment_id}".encode()
    return hmac.new((secret or context.link_secret).encode(), message, hashlib.sha256).hexdigest()


def valid_page_request(
    context: OnlyOfficeContext, request: web.Request, purpose: PagePurpose, attachment_id: str, token: object
) -> bool:
    """A numeric attachment, a same-origin browser (when it says), and the page's own token."""
    if not is_content_id(attachment_id):
        return False
    origin = request.headers.get("Origin")
    if origin is not None and origin != str(context.public_url.origin()):
        return False
    credentials = UserCredentials.from_headers(request.headers)
    sent = str(token or "").encode()  # bytes: compare_digest raises on a non-ASCII str
    return any(
        hmac.compare_digest(
            sent, page_token(context, credentials, purpose, attachment_id, secret=secret).encode()
        )
        for secret in context.accepted_link_secrets
    )
