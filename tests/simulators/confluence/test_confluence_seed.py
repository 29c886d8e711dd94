"""The demo seed is what PRODUCT.md promises: users, rights, and real files on "Welcome"."""

from __future__ import annotations

import re

from gateway.testing.confluence import DEMO_USERS, Store
from gateway.testing.confluence.seed import media_type_of
from gateway.testing.documents import demo_files

PRODUCT_FILES = {
    "report.docx",
    "budget.xlsx",
    "slides.pptx",
    "form.pdf",
    "legacy.doc",
    "notes.odt",
    "data.ods",
    "old.ppt",
}


def test_users_and_rights(store: Store, welcome: int) -> None:
    page = store.pages[welcome]
    users = store.users
    assert {u.username: u.display_name for u in DEMO_USERS} == {
        "admin": "Administrator",
        "alice": "Alice Example",
        "bob": "Bob Example",
    }
    assert all(re.fullmatch(r"[0-9a-f]{32}", u.user_key) for u in users.values())
    assert users["alice"].locale == "en_GB" and users["bob"].locale == "de_DE"
    assert "confluence-administrators" in users["admin"].groups
    assert store.space_permissions(users["admin"], store.spaces["DEMO"]) >= {
        "admin",
        "view",
        "edit",
        "attach",
    }
    assert store.can(users["alice"], page, "edit") and store.can(users["alice"], page, "attach")
    assert not store.can(users["alice"], page, "remove")
    assert store.can(users["alice"], page, "comment") and not store.can(users["bob"], page, "comment")
    assert store.can(users["bob"], page, "view") and not store.can(users["bob"], page, "attach")
    assert not store.can(None, page, "view")
    assert store.spaces["DEMO"].name == "Demo" and page.title == "Welcome"


def test_welcome_holds_the_real_demo_files(store: Store, welcome: int) -> None:
    files = demo_files()
    assert set(files) >= PRODUCT_FILES
    for name, data in files.items():
        att = store.attachment_by_name(welcome, name)
        assert att is not None, name
        assert store.data(att) == data and att.current.media_type == media_type_of(name)
    page = store.pages[welcome]
    assert page.attachments_macro and "report.docx" in page.embedded
