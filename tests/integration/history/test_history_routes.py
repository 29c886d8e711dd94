"""The Version History routes: Confluence's attachment versions as refreshHistory/setHistoryData want them."""

from __future__ import annotations

import re
from datetime import datetime

import jwt as pyjwt
import pytest
from yarl import URL

from gateway.docserver.jwt import JwtError, verify
from gateway.onlyoffice.keys import document_key
from gateway.testing.stack import Stack
from tests.integration.history.history_helpers import (
    ds_headers,
    get,
    get_json,
    history_data_url,
    history_url,
    report,
    upload_version,
)

V2 = b"PK\x03\x04 version two, uploaded by alice"
V3 = b"PK\x03\x04 version three, uploaded by admin"


async def _two_uploads(stack: Stack) -> None:
    att = report(stack)
    await upload_version(stack, att, "alice", V2)
    await upload_version(stack, att, "admin", V3)
    assert [v.number for v in att.versions] == [1, 2, 3]


def _secret(stack: Stack) -> str:
    return stack.settings.documentserver.jwt.secret.get_secret_value()


async def test_info_lists_every_version_oldest_first_with_its_key_and_author(stack: Stack) -> None:
    await _two_uploads(stack)
    att = report(stack)
    status, _, info = await get_json(history_url(stack, att.id), "alice")
    assert status == 200
    assert info["currentVersion"] == 3
    assert [entry["version"] for entry in info["history"]] == [1, 2, 3]
    assert [entry["key"] for entry in info["history"]] == [
        document_key(stack.public_url, str(att.id), n) for n in (1, 2, 3)
    ]
    admin, alice = stack.store.users["admin"], stack.store.users["alice"]
    assert [entry["user"] for entry in info["history"]] == [
        {"id": admin.user_key, "name": admin.display_name},
        {"id": alice.user_key, "name": alice.display_name},
        {"id": admin.user_key, "name": admin.display_name},
    ]
    for entry in info["history"]:
        assert set(entry) == {"version", "key", "created", "user"}
        assert isinstance(entry["created"], str)
        datetime.fromisoformat(entry["created"].replace("Z", "+00:00"))  # Confluence's ISO time
    # The current version's key is the key the editor opens the document with.
    status, _, body = await get(
        f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={att.id}", "alice"
    )
    assert status == 200
    assert f'"key": "{info["history"][-1]["key"]}"' in body.decode()


async def test_data_links_each_version_to_its_exact_bytes(stack: Stack) -> None:
    await _two_uploads(stack)
    att = report(stack)
    expected = {1: stack.store.data(att, 1), 2: V2, 3: V3}
    assert expected[1] not in (V2, V3)
    for version, content in expected.items():
        status, _, data = await get_json(history_data_url(stack, att.id, version), "alice")
        assert status == 200
        assert set(data) == {"version", "key", "url", "fileType", "token"}  # no changesUrl/previous
        assert data["version"] == version
        assert data["key"] == document_key(stack.public_url, str(att.id), version)
        assert data["fileType"] == "docx"
        internal = stack.settings.internal_url or stack.settings.public_url
        assert data["url"].startswith(internal.rstrip("/") + "/plugins/servlet/onlyoffice/download?token=")
        # The token is what setHistoryData needs: the object itself, signed with the DS secret.
        claims = verify(data["token"], _secret(stack))
        assert claims["version"] == version
        assert {k: claims[k] for k in ("version", "key", "url", "fileType")} == {
            k: data[k] for k in ("version", "key", "url", "fileType")
        }
        # The Document Server fetches the link with its JWT header and gets that version's bytes.
        status, headers, body = await get(data["url"], headers=ds_headers(stack, data["url"]))
        assert status == 200, body[:200]
        assert body == content
        assert headers["Cache-Control"] == "no-store"
    # Without the Document Server's JWT the link is useless (it is visible in the browser).
    status, _, data = await get_json(history_data_url(stack, att.id, 1), "alice")
    status, _, _ = await get(data["url"])
    assert status == 403
    # The data token is signed with the Document Server secret, not any other.
    with pytest.raises(JwtError):
        verify(data["token"], "another secret, long enough for an HS256 key")
    assert pyjwt.decode(data["token"], options={"verify_signature": False})["version"] == 1


async def test_viewers_read_history_too(stack: Stack) -> None:
    await _two_uploads(stack)
    att = report(stack)
    status, _, info = await get_json(history_url(stack, att.id), "bob")
    assert status == 200
    assert [entry["version"] for entry in info["history"]] == [1, 2, 3]
    status, _, data = await get_json(history_data_url(stack, att.id, 2), "bob")
    assert status == 200
    status, _, body = await get(data["url"], headers=ds_headers(stack, data["url"]))
    assert (status, body) == (200, V2)


async def test_hidden_attachments_have_no_history(stack: Stack) -> None:
    att = report(stack)
    welcome = stack.store.page_by_title("DEMO", "Welcome")
    assert welcome is not None
    secret_page = stack.store.add_page("DEMO", "Secret", by="admin")
    secret = stack.store.add_attachment(
        secret_page.id, "secret.docx", stack.store.data(att, 1), att.current.media_type, by="admin"
    )
    stack.store.restrict(secret_page.id, "read", users=("admin",))
    cases = [
        (None, att.id),  # anonymous has no access to DEMO
        ("alice", secret.id),  # restricted page
        ("bob", secret.id),
        ("alice", 999_999_999),  # unknown
        ("alice", welcome.id),  # a page, not an attachment
    ]
    for user, attachment in cases:
        for url in (history_url(stack, attachment), history_data_url(stack, attachment, 1)):
            status, _, body = await get_json(url, user)
            assert status == 404, (user, attachment, url, body)
            assert "secret" not in str(body)
    status, _, info = await get_json(history_url(stack, secret.id), "admin")
    assert status == 200 and [e["version"] for e in info["history"]] == [1]


async def test_bad_parameters_are_400_and_unknown_versions_404(stack: Stack) -> None:
    att = report(stack)
    for attachment in (None, "", "abc", "-1", "١٢٣", "1" * 25, "0x10", " 1"):
        for url in (history_url(stack, attachment), history_data_url(stack, attachment, 1)):
            status, _, body = await get_json(url, "alice")
            assert status == 400, (attachment, body)
            assert "error" in body
    for version in (None, "", "0", "-1", "x", "1.0", "1e3", "٣", "1" * 12):
        status, _, body = await get_json(history_data_url(stack, att.id, version), "alice")
        assert status == 400, (version, body)
    status, _, body = await get_json(history_data_url(stack, att.id, 7), "alice")
    assert status == 404
    assert body["version"] == 7  # editor.js answers setHistoryData({version, error})


async def test_confluence_down_is_a_clean_503(stack: Stack) -> None:
    att = report(stack)
    await stack.runners[0].cleanup()  # the Confluence simulator
    for url in (history_url(stack, att.id), history_data_url(stack, att.id, 1)):
        status, _, body = await get_json(url, "alice")
        assert status in (502, 503), body
        assert "error" in body


async def test_editor_page_points_at_the_history_routes(stack: Stack) -> None:
    att = report(stack)
    status, headers, body = await get(
        f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={att.id}", "bob"
    )
    assert status == 200
    page = body.decode()
    found = dict(re.findall(r'data-(history-url|history-data-url)="([^"]*)"', page))
    prefix = URL(stack.public_url).path + "/plugins/servlet/onlyoffice/"
    assert found == {
        "history-url": f"{prefix}history?attachmentId={att.id}",
        "history-data-url": f"{prefix}history/data?attachmentId={att.id}",
    }
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    # The relative URLs work from the page's origin, with the user's credentials.
    status, _, info = await get_json(stack.gateway_origin + found["history-url"], "bob")
    assert status == 200 and info["currentVersion"] == 1


async def test_anonymous_reads_history_where_anonymous_may_view(stack: Stack) -> None:
    """As in the plugin: history needs view permission, not a login."""
    att = report(stack)
    stack.store.add_space("PUB", "Public", anonymous_view=True)
    stack.store.grant("PUB", "user:admin", "admin")  # the gateway's service account reads the files
    page = stack.store.add_page("PUB", "Open", by="admin")
    public = stack.store.add_attachment(
        page.id, "open.docx", stack.store.data(att, 1), att.current.media_type, by="admin"
    )
    stack.store.add_version(public, V2, att.current.media_type, by="alice")
    status, _, info = await get_json(history_url(stack, public.id))
    assert status == 200
    assert [e["user"]["name"] for e in info["history"]] == [
        stack.store.users["admin"].display_name,
        stack.store.users["alice"].display_name,
    ]
    status, _, data = await get_json(history_data_url(stack, public.id, 2))
    assert status == 200
    status, _, body = await get(data["url"], headers=ds_headers(stack, data["url"]))
    assert (status, body) == (200, V2)


async def test_long_histories_are_listed_whole(stack: Stack) -> None:
    """Confluence pages version listings (200 at most per request); every page is read."""
    att = report(stack)
    for number in range(2, 206):
        stack.store.add_version(att, b"v%d" % number, att.current.media_type, by="admin")
    status, _, info = await get_json(history_url(stack, att.id), "alice")
    assert status == 200
    assert info["currentVersion"] == 205
    assert [e["version"] for e in info["history"]] == list(range(1, 206))
    status, _, data = await get_json(history_data_url(stack, att.id, 3), "alice")
    status, _, body = await get(data["url"], headers=ds_headers(stack, data["url"]))
    assert (status, body) == (200, b"v3")


async def test_formats_onlyoffice_cannot_open_get_no_history_data(stack: Stack) -> None:
    png = report(stack, "diagram.png")
    status, _, info = await get_json(history_url(stack, png.id), "alice")
    assert status == 200 and info["currentVersion"] == 1  # Confluence's versions, whatever the format
    status, _, body = await get_json(history_data_url(stack, png.id, 1), "alice")
    assert status == 415
    assert body["version"] == 1 and "token" not in body
