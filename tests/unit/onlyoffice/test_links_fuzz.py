"""Property: link tokens and page CSRF tokens carry any claims back exactly, and any change to a
token (a character flipped, inserted or deleted; another secret, action, purpose, attachment or
user; an expired lifetime) is refused: JwtError for a link token, False for a page token, never
another exception. Any string, or any correctly signed payload, read as a link token gives
JwtError or valid claims.
"""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Any, cast, get_args

import jwt as pyjwt
import pytest
from aiohttp.test_utils import make_mocked_request
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from yarl import URL

from gateway.confluence.client import UserCredentials
from gateway.docserver.jwt import JwtError
from gateway.onlyoffice.context import OnlyOfficeContext
from gateway.onlyoffice.signed_links import (
    LinkAction,
    LinkClaims,
    PagePurpose,
    make_link_token,
    page_token,
    read_link_token,
    valid_page_request,
    verify_with_any,
)

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

ACTIONS: tuple[LinkAction, ...] = get_args(LinkAction)
PURPOSES: tuple[PagePurpose, ...] = get_args(PagePurpose)
SECRET = "link-secret-" + "x" * 32
PUBLIC = "https://wiki.example.com/confluence"
TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+/=! \x00é"

content_ids = st.integers(min_value=1, max_value=2**63 - 1).map(str)
texts = st.text(max_size=40)  # any code point, lone surrogates included
secrets = st.text(min_size=32, max_size=80)


@st.composite
def link_claims(draw: st.DrawFn) -> LinkClaims:
    return LinkClaims(
        action=draw(st.sampled_from(ACTIONS)),
        attachment_id=draw(content_ids),
        key=draw(texts),
        version=draw(st.none() | st.integers()),
        user=draw(st.none() | texts),
        target=draw(st.none() | texts),
        filename=draw(st.none() | texts),
        holder=draw(st.none() | texts),
    )


@st.composite
def tampered(draw: st.DrawFn, token: str) -> str:
    """`token` with one character flipped, inserted or deleted (or a few of those)."""
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        where = draw(st.integers(min_value=0, max_value=len(token)))
        how = draw(st.sampled_from(["flip", "insert", "delete"]))
        char = draw(st.sampled_from(TOKEN_ALPHABET))
        if how == "insert":
            token = token[:where] + char + token[where:]
        elif how == "flip" and where < len(token):
            token = token[:where] + char + token[where + 1 :]
        elif how == "delete" and where < len(token):
            token = token[:where] + token[where + 1 :]
    return token


def _refused(token: str, secrets: str | tuple[str, ...], action: LinkAction) -> None:
    with pytest.raises(JwtError):
        read_link_token(token, secrets, action=action)


@FUZZ
@given(link_claims())
def test_any_claims_round_trip(claims: LinkClaims) -> None:
    token = make_link_token(claims, SECRET)
    assert read_link_token(token, SECRET, action=claims.action) == claims
    previous = "previous-" + SECRET
    assert (
        read_link_token(make_link_token(claims, previous), (SECRET, previous), action=claims.action) == claims
    )


@FUZZ
@given(st.data(), link_claims())
def test_any_change_to_a_token_is_refused(data: st.DataObject, claims: LinkClaims) -> None:
    token = make_link_token(claims, SECRET)
    changed = data.draw(tampered(token))
    assume(changed != token)
    _refused(changed, SECRET, claims.action)


@FUZZ
@given(link_claims(), secrets, st.sampled_from(ACTIONS), st.integers(min_value=-(10**9), max_value=0))
def test_another_secret_action_or_an_expired_lifetime_is_refused(
    claims: LinkClaims, other_secret: str, other_action: LinkAction, lifetime: int
) -> None:
    # HMAC pads short keys with NULs: "k" and "k\x00" are the same key, by design of HMAC.
    assume(other_secret.rstrip("\x00") != SECRET.rstrip("\x00"))
    _refused(make_link_token(claims, other_secret), SECRET, claims.action)
    _refused(make_link_token(claims, other_secret), (SECRET, SECRET + "2"), claims.action)
    if other_action != claims.action:
        _refused(make_link_token(claims, SECRET), SECRET, other_action)
    _refused(make_link_token(claims, SECRET, lifetime=lifetime), SECRET, claims.action)
    _refused(make_link_token(claims, SECRET, lifetime=lifetime), ("other-" + SECRET, SECRET), claims.action)


@FUZZ
@given(st.text(max_size=300) | st.text(TOKEN_ALPHABET, max_size=300), st.sampled_from(ACTIONS))
def test_any_string_is_refused(token: str, action: LinkAction) -> None:
    _refused(token, SECRET, action)
    with pytest.raises(JwtError):
        verify_with_any(token, (SECRET, "other-" + SECRET))
    with pytest.raises(JwtError):
        verify_with_any(token, ())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)
CLAIM_NAMES = [
    "act",
    "att",
    "key",
    "ver",
    "sub",
    "tgt",
    "name",
    "hld",
    "exp",
    "iat",
    "nbf",
    "aud",
    "iss",
    "jti",
]


def _segment(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@FUZZ
@given(
    st.dictionaries(st.sampled_from(CLAIM_NAMES) | texts, json_values, max_size=8),
    st.dictionaries(st.sampled_from(["alg", "typ", "kid", "crit", "b64"]) | texts, json_values, max_size=4),
    st.sampled_from(ACTIONS),
)
def test_any_signed_payload_gives_claims_or_jwt_error(
    payload: dict[str, Any], header: dict[str, Any], action: LinkAction
) -> None:
    """Payloads of any shape, with the default header or any other, correctly signed (HS256)."""
    tokens = []
    for head in ({"alg": "HS256", "typ": "JWT"}, {**header, "alg": header.get("alg", "HS256")}):
        signing_input = _segment(head) + "." + _segment(payload)
        signature = pyjwt.get_algorithm_by_name("HS256").sign(signing_input.encode(), SECRET.encode())
        tokens.append(signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode())
    for token in tokens:
        try:
            claims = read_link_token(token, SECRET, action=action)
        except JwtError:
            continue
        assert claims.action == action and claims.attachment_id.isdigit() and isinstance(claims.key, str)


# Page CSRF tokens: an HMAC of purpose, the user's credentials and the attachment.


def _context(secret: str = SECRET, previous: str | None = None) -> OnlyOfficeContext:
    return cast(
        OnlyOfficeContext,
        SimpleNamespace(
            link_secret=secret,
            public_url=URL(PUBLIC),
            accepted_link_secrets=(secret,) if previous is None else (secret, previous),
        ),
    )


credentials = st.fixed_dictionaries(
    {}, optional={"Cookie": st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
                  "Authorization": st.sampled_from(["Basic YWxpY2U6YWxpY2U=", "Bearer x", ""])},
)  # fmt: skip


def _valid(
    context: OnlyOfficeContext,
    headers: dict[str, str],
    purpose: PagePurpose,
    attachment_id: str,
    token: object,
) -> bool:
    request = make_mocked_request("POST", "/", headers=headers)
    return valid_page_request(context, request, purpose, attachment_id, token)


@FUZZ
@given(credentials, st.sampled_from(PURPOSES), content_ids)
def test_a_page_token_is_valid_for_its_own_user_purpose_and_attachment(
    headers: dict[str, str], purpose: PagePurpose, attachment_id: str
) -> None:
    token = page_token(_context(), UserCredentials.from_headers(headers), purpose, attachment_id)
    assert _valid(_context(), headers, purpose, attachment_id, token)
    assert _valid(_context("new-" + SECRET, previous=SECRET), headers, purpose, attachment_id, token)
    assert _valid(_context(), {**headers, "Origin": PUBLIC.rsplit("/", 1)[0]}, purpose, attachment_id, token)


@FUZZ
@given(
    st.data(), credentials, credentials, st.sampled_from(PURPOSES), st.sampled_from(PURPOSES), content_ids,
    content_ids | texts, secrets,
)  # fmt: skip
def test_any_change_to_a_page_token_is_refused(
    data: st.DataObject,
    headers: dict[str, str],
    other_headers: dict[str, str],
    purpose: PagePurpose,
    other_purpose: PagePurpose,
    attachment_id: str,
    other_attachment: str,
    other_secret: str,
) -> None:
    user = UserCredentials.from_headers(headers)
    token = page_token(_context(), user, purpose, attachment_id)
    changed = data.draw(tampered(token))
    if changed != token:
        assert not _valid(_context(), headers, purpose, attachment_id, changed)
    if other_purpose != purpose:
        assert not _valid(_context(), headers, other_purpose, attachment_id, token)
    if other_attachment != attachment_id:
        assert not _valid(_context(), headers, purpose, other_attachment, token)
    if UserCredentials.from_headers(other_headers).fingerprint() != user.fingerprint():
        assert not _valid(_context(), other_headers, purpose, attachment_id, token)
    if other_secret.rstrip("\x00") != SECRET.rstrip("\x00"):
        assert not _valid(_context(other_secret), headers, purpose, attachment_id, token)
    assert not _valid(
        _context(), {**headers, "Origin": "https://evil.example"}, purpose, attachment_id, token
    )


@FUZZ
@given(
    credentials,
    st.sampled_from(PURPOSES),
    content_ids | texts,
    st.none() | texts | st.integers() | st.binary(max_size=20) | st.lists(texts, max_size=3),
)
def test_any_token_or_attachment_gives_true_or_false(
    headers: dict[str, str], purpose: PagePurpose, attachment_id: str, token: object
) -> None:
    assert _valid(_context(), headers, purpose, attachment_id, token) in (True, False)
