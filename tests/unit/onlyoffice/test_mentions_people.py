"""What the gateway reads from Confluence's Person JSON for mentions, and the comment it writes."""

from __future__ import annotations

import re
import time
from typing import Any

from gateway.confluence.models import Person, parse_person
from gateway.onlyoffice.editor.mentions import comment_storage
from gateway.onlyoffice.editor.people import mention_id
from gateway.ttl_cache import TtlCache

DC_PERSON: dict[str, Any] = {
    "type": "known",
    "username": "bob",
    "userKey": "8acc0000000000000000000000000001",
    "profilePicture": {
        "path": "/download/attachments/1/user-avatar",
        "width": 48,
        "height": 48,
        "isDefault": False,
    },
    "displayName": "Bob Example",
    "_links": {"self": "http://x/rest/api/user?key=8acc0000000000000000000000000001"},
}


def test_a_dc_person_has_no_email_so_the_username_is_the_mention_id() -> None:
    person = parse_person(DC_PERSON)
    assert person == Person("bob", DC_PERSON["userKey"], "Bob Example", "/download/attachments/1/user-avatar")
    assert mention_id(person) == "bob"


def test_an_email_where_confluence_sends_one_is_the_mention_id() -> None:
    person = parse_person({**DC_PERSON, "email": "bob@example.com"})
    assert person is not None and mention_id(person) == "bob@example.com"
    masked = parse_person({**DC_PERSON, "email": ""})  # hidden by Confluence's e-mail visibility
    assert masked is not None and mention_id(masked) == "bob"


def test_anonymous_keyless_or_odd_avatars_are_not_people() -> None:
    assert parse_person({"type": "anonymous", "displayName": "Anonymous"}) is None
    assert parse_person({**DC_PERSON, "userKey": None}) is None
    odd = parse_person({**DC_PERSON, "profilePicture": {"path": "https://evil.example/x.png"}})
    assert odd is not None and odd.avatar_path is None


def test_the_comment_mentions_each_person_and_escapes_the_text() -> None:
    people = [
        Person("bob", "key1", "Bob", None),
        Person("eve", 'k"2', "Eve", None),
    ]
    storage = comment_storage(
        people, 'Look <b>here</b> & "there"\nthanks', "https://w/x?a=1&b=2", "R&D <1>.docx"
    )
    assert re.findall(r'ri:userkey="([^"]*)"', storage) == ["key1", "k&quot;2"]
    assert "Look &lt;b&gt;here&lt;/b&gt; &amp; &quot;there&quot;<br />thanks" in storage
    assert '<a href="https://w/x?a=1&amp;b=2">R&amp;D &lt;1&gt;.docx</a>' in storage


def test_cache_entries_expire_and_the_oldest_go_first() -> None:
    cache: TtlCache[str, int] = TtlCache(ttl=0.05, max_entries=2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, 2, 3)
    time.sleep(0.06)
    assert cache.get("b") is None
