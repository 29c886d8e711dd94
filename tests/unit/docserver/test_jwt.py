"""JWT as the Document Server speaks it: body vs header, HMAC only, 60 s leeway."""

import time

import jwt as pyjwt
import pytest

from gateway.docserver.jwt import (
    JwtError,
    bearer_value,
    read_signed_request,
    sign,
    sign_config,
    sign_header_payload,
    verify,
)

SECRET = "s" * 64
OTHER = "o" * 64


def test_sign_adds_iat_and_exp() -> None:
    claims = verify(sign({"a": 1}, SECRET), SECRET)
    assert claims["a"] == 1 and claims["exp"] - claims["iat"] == 300


@pytest.mark.parametrize("algorithm", ["HS256", "HS384", "HS512"])
def test_every_hmac_algorithm_is_accepted(algorithm: str) -> None:
    token = pyjwt.encode({"a": 1}, SECRET, algorithm=algorithm)
    assert verify(token, SECRET)["a"] == 1


def test_alg_none_is_refused() -> None:
    token = pyjwt.encode({"a": 1}, None, algorithm="none")
    with pytest.raises(JwtError, match="algorithm"):
        verify(token, SECRET)


def test_wrong_secret_is_refused() -> None:
    with pytest.raises(JwtError, match="signature"):
        verify(sign({"a": 1}, OTHER), SECRET)


def test_expired_beyond_leeway_is_refused_within_leeway_accepted() -> None:
    now = int(time.time())
    within = pyjwt.encode({"exp": now - 30}, SECRET, algorithm="HS256")
    beyond = pyjwt.encode({"exp": now - 120}, SECRET, algorithm="HS256")
    assert verify(within, SECRET)["exp"] == now - 30
    with pytest.raises(JwtError, match="expired"):
        verify(beyond, SECRET)


def test_garbage_is_refused_without_echoing_it() -> None:
    with pytest.raises(JwtError) as caught:
        verify("eyJhbGciOi.secret-part.zzz", SECRET)
    assert "secret-part" not in str(caught.value)


def test_body_token_wins_over_header_and_unsigned_fields() -> None:
    body = {"key": "forged", "status": 2, "token": sign({"key": "real", "status": 4}, SECRET)}
    headers = {"Authorization": bearer_value(sign_header_payload({"key": "header"}, SECRET))}
    assert read_signed_request(body, headers, secret=SECRET) == {"key": "real", "status": 4}


def test_header_token_is_unwrapped_with_a_custom_header_name() -> None:
    headers = {"AuthorizationJwt": bearer_value(sign_header_payload({"key": "k", "status": 1}, SECRET))}
    assert read_signed_request(
        {"key": "unsigned"}, headers, secret=SECRET, header_name="AuthorizationJwt"
    ) == {
        "key": "k",
        "status": 1,
    }


def test_missing_token_is_refused() -> None:
    with pytest.raises(JwtError, match="no token"):
        read_signed_request({"key": "k", "status": 2}, {}, secret=SECRET)


def test_forged_body_token_is_not_rescued_by_a_good_header() -> None:
    body = {"token": sign({"key": "k"}, OTHER)}
    headers = {"Authorization": bearer_value(sign_header_payload({"key": "k"}, SECRET))}
    with pytest.raises(JwtError):
        read_signed_request(body, headers, secret=SECRET)


def test_config_token_excludes_token_and_events() -> None:
    config = {"document": {"key": "k", "url": "u"}, "events": {"x": 1}, "token": "old"}
    claims = verify(sign_config(config, SECRET), SECRET)
    assert claims["document"] == {"key": "k", "url": "u"} and "events" not in claims and "token" not in claims
