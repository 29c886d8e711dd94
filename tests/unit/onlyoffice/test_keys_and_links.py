"""Document keys and the signed links the Document Server calls."""

import pytest

from gateway.docserver.jwt import JwtError, sign
from gateway.onlyoffice.keys import MAX_REOPENINGS, KeyParts, document_key, is_valid_key, parse_key
from gateway.onlyoffice.signed_links import LinkClaims, make_link_token, read_link_token

SECRET = "link-secret-" + "x" * 20


def test_key_is_stable_valid_and_changes_with_version_and_instance() -> None:
    key = document_key("https://wiki.example.com/confluence", "123", 4)
    assert key == document_key("https://wiki.example.com/confluence", "123", 4)
    assert is_valid_key(key) and len(key) <= 128
    assert key != document_key("https://wiki.example.com/confluence", "123", 5)
    assert key != document_key("https://other.example.com/confluence", "123", 4)
    assert key != document_key("https://wiki.example.com/confluence", "1234", 4)


def test_key_reads_back_only_for_its_own_instance() -> None:
    key = document_key("https://wiki.example.com/confluence/", "123", 4)
    assert parse_key(key, "https://wiki.example.com/confluence") == KeyParts(attachment_id="123", version=4)
    assert parse_key(key, "https://other.example.com/confluence") is None
    assert parse_key("someone-elses-key", "https://wiki.example.com/confluence") is None


def test_a_reopened_version_has_fresh_keys_that_read_back_to_the_version() -> None:
    wiki = "https://wiki.example.com/confluence"
    first, second = document_key(wiki, "123", 4, 1), document_key(wiki, "123", 4, 2)
    assert len({document_key(wiki, "123", 4), first, second}) == 3
    assert first.endswith("_123_4-1") and is_valid_key(
        document_key(wiki, "9" * 19, 10**9 - 1, MAX_REOPENINGS)
    )
    assert parse_key(second, wiki) == KeyParts(attachment_id="123", version=4, reopening=2)
    for not_ours in (first + "0" * 4, first.replace("-1", "-0"), first + "-1"):
        assert parse_key(not_ours, wiki) is None
    with pytest.raises(ValueError):
        document_key(wiki, "123", 4, MAX_REOPENINGS + 1)


@pytest.mark.parametrize("bad", ["", "a b", "a/b", "k" * 129, "ключ"])
def test_invalid_keys(bad: str) -> None:
    assert not is_valid_key(bad)


def test_link_round_trip() -> None:
    claims = LinkClaims(action="callback", attachment_id="42", key="abc", user="8a7f")
    assert read_link_token(make_link_token(claims, SECRET), SECRET, action="callback") == claims


def test_link_for_another_action_is_refused() -> None:
    token = make_link_token(LinkClaims(action="download", attachment_id="42", key="abc", version=3), SECRET)
    with pytest.raises(JwtError, match="not for callback"):
        read_link_token(token, SECRET, action="callback")


def test_link_signed_with_another_secret_is_refused() -> None:
    token = make_link_token(LinkClaims(action="download", attachment_id="42", key="abc"), "y" * 32)
    with pytest.raises(JwtError):
        read_link_token(token, SECRET, action="download")


@pytest.mark.parametrize(
    "payload", [{"act": "download", "key": "k"}, {"act": "download", "att": "../1", "key": "k"}]
)
def test_link_without_a_numeric_attachment_is_refused(payload: dict[str, str]) -> None:
    with pytest.raises(JwtError):
        read_link_token(sign(payload, SECRET), SECRET, action="download")
