"""Listing a page's attachments decides exactly what asking per attachment decided.

The reference is `access_for` on one id at a time: with a single id nothing is listed, so it is the
old path (one `GET /rest/api/content/{id}` per attachment as the user). Compared for admin, alice,
bob and anonymous, with a page only admin may read, attachments of another page embedded in the
viewed one, a deleted attachment, an unknown id, wrong page hints and several rule sets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.onlyoffice.access import UserAccess, access_for, access_for_many
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT, OnlyOfficeContext
from gateway.testing.confluence import Store
from gateway.testing.confluence.seed import apply_seed
from gateway.testing.stack import Stack, running_stack
from tests.integration.access.access_stack_helpers import add_files, basic, get, rest_calls, welcome

USERS = ("admin", "alice", "bob", None)


def _welcome_id() -> int:
    """Seeding is deterministic: the stack's Welcome page has the id a fresh demo store gives it."""
    store = Store(None)
    apply_seed(store, "demo")
    page = store.page_by_title("DEMO", "Welcome")
    assert page is not None
    return page.id


RULES: dict[str, list[dict[str, Any]]] = {
    "none": [],
    "groups": [
        {"groups": ["confluence-administrators"]},
        {"actions": ["view", "convert"]},
    ],
    "size and extensions": [
        {"extensions": ["docx"], "max_size": 30, "actions": ["view"]},
        {"extensions": ["xlsx"], "actions": ["edit", "view"]},
        {"spaces": ["DEMO"], "actions": ["view", "convert"]},
    ],
    "welcome read-only": [{"pages": [str(_welcome_id())], "actions": ["view"]}, {}],
}


@dataclass
class Pages:
    welcome: int
    other: int
    secret: int
    ids: list[str]


@pytest.fixture(params=list(RULES))
async def ruled(request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    async with running_stack(settings={"rules": RULES[request.param]}) as running:
        yield running


def _pages(stack: Stack) -> Pages:
    store = stack.store
    page = welcome(stack)
    other = store.add_page("DEMO", "Other", body="Files embedded elsewhere.", by="admin")
    secret = store.add_page("DEMO", "Secret", body="Only admin reads this.", by="admin")
    store.restrict(secret.id, "read", users=("admin",))
    on_welcome = add_files(stack, page.id, 30)
    on_other = add_files(stack, other.id, 5, prefix="other-")
    on_secret = add_files(stack, secret.id, 4, prefix="secret-")
    gone = store.attachments[on_welcome[-1]]
    assert store.delete_version(gone, 1)  # trashed: listed by nobody, found by nobody
    ids = [str(a.id) for a in store.attachments_of(page.id)] + [str(gone.id)]
    # embedded from other pages, mixed in as a page body would show them; then an unknown id
    ids[3:3] = [str(i) for i in on_other[:3]]
    ids += [str(i) for i in on_secret] + [str(i) for i in on_other[3:]] + ["999999"]
    return Pages(page.id, other.id, secret.id, ids)


def _context(stack: Stack) -> OnlyOfficeContext:
    return stack.gateway_app[ONLYOFFICE_CONTEXT]


async def _one_by_one(
    context: OnlyOfficeContext, user: str | None, ids: Sequence[str]
) -> dict[str, UserAccess]:
    found = {i: await access_for(context, basic(user), i) for i in ids}
    return {i: a for i, a in found.items() if a is not None}


def _hints(pages: Pages) -> dict[str, list[str | None]]:
    return {
        "none": [],
        "viewed page": [str(pages.welcome)],
        "viewed and embedded": [str(pages.welcome), str(pages.other)],
        "restricted first": [str(pages.secret), str(pages.welcome), str(pages.other)],
        "wrong and junk": ["999998", "x1", None, str(pages.other)],
    }


@pytest.mark.parametrize("anonymous_view", [False, True])
async def test_listing_decides_like_one_by_one(ruled: Stack, anonymous_view: bool) -> None:
    ruled.store.spaces["DEMO"].anonymous_view = anonymous_view
    pages = _pages(ruled)
    context = _context(ruled)
    for user in USERS:
        expected = await _one_by_one(context, user, pages.ids)
        for name, hints in _hints(pages).items():
            found = await access_for_many(context, basic(user), pages.ids, hints)
            assert found == expected, (user, name)
            assert list(found) == list(expected), (user, name)  # same order too
    # the comparison is not vacuous: users differ, and hidden content is absent
    admin = await _one_by_one(context, "admin", pages.ids)
    bob = await _one_by_one(context, "bob", pages.ids)
    assert len(admin) == len(pages.ids) - 2  # all but the deleted and the unknown id
    assert len(bob) == len(admin) - 4  # not the secret page's files
    assert {a.offer for a in admin.values()} != {a.offer for a in bob.values()}
    anonymous = await _one_by_one(context, None, pages.ids)
    assert (len(anonymous) == len(bob)) if anonymous_view else anonymous == {}


async def test_embedded_from_another_page_costs_one_call_each(stack: Stack) -> None:
    pages = _pages(stack)
    context = _context(stack)
    await access_for_many(context, basic("alice"), ["1"])  # identity cached
    before = rest_calls(stack)
    found = await access_for_many(context, basic("alice"), pages.ids, [str(pages.welcome)])
    # one listing, the 5 other-page files + 4 secret files + deleted + unknown one by one,
    # operations of Welcome (Other's came with its files, as container.operations)
    assert rest_calls(stack) - before == 1 + 5 + 4 + 1 + 1 + 1
    assert len(found) == len(pages.ids) - 2 - 4


async def test_access_route_answers_the_same_with_and_without_page_id(stack: Stack) -> None:
    pages = _pages(stack)
    url = f"{stack.public_url}/plugins/servlet/onlyoffice/access?" + "&".join(
        f"attachmentId={i}" for i in pages.ids
    )
    for user in USERS:
        answers = []
        for suffix in ("", f"&pageId={pages.welcome}", f"&pageId={pages.secret}"):
            status, body = await get(url + suffix, user)
            assert status == 200, (user, suffix)
            answers.append(body)
        assert answers[0] == answers[1] == answers[2], user
    status, _ = await get(url + "&pageId=abc", "alice")
    assert status == 400


async def test_access_route_with_page_id_makes_few_calls(stack: Stack) -> None:
    page = welcome(stack)
    ids = add_files(stack, page.id, 60)
    url = f"{stack.public_url}/plugins/servlet/onlyoffice/access?pageId={page.id}&" + "&".join(
        f"attachmentId={i}" for i in ids
    )
    for _ in range(2):  # without pageId: one extra call to learn the page from the first id
        before = rest_calls(stack)
        status, _ = await get(url, "bob")
        assert status == 200
        assert rest_calls(stack) - before <= 4
        url = url.replace(f"pageId={page.id}&", "")
