"""The message catalog: complete in every language, same placeholders, safe filling; language choice."""

from __future__ import annotations

import ast
import string
from importlib import resources
from pathlib import Path

import pytest
import yaml
from markupsafe import Markup

import gateway.onlyoffice
from gateway.onlyoffice.context import template_environment
from gateway.onlyoffice.i18n import LANGUAGES, Catalog, Texts, language_for, messages, page_language

SEVEN = {"en", "de", "es", "fr", "it", "ru", "zh-CN"}


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_every_message_has_all_seven_languages_and_the_same_placeholders() -> None:
    raw = resources.files("gateway.onlyoffice").joinpath("messages.yaml").read_text(encoding="utf-8")
    entries = yaml.safe_load(raw)
    assert set(LANGUAGES) == SEVEN
    assert len(entries) > 40
    for message_id, texts in entries.items():
        assert set(texts) == SEVEN, message_id
        english = _placeholders(texts["en"])
        for language, text in texts.items():
            assert isinstance(text, str) and text.strip(), (message_id, language)
            assert _placeholders(text) == english, (message_id, language)
            if "ONLYOFFICE" in texts["en"]:
                assert "ONLYOFFICE" in text, (message_id, language)  # a name, never translated
        if message_id not in ("create.name", "download.format"):  # the same word in German
            assert texts["de"] != texts["en"], message_id


def test_the_plugins_labels() -> None:
    catalog = messages()
    assert catalog.text("de", "link.edit") == "In ONLYOFFICE bearbeiten"
    assert catalog.text("en", "link.view") == "View in ONLYOFFICE"
    assert catalog.text("fr", "title.convert", name="a.odt", target="DOCX") == "Convertir a.odt en DOCX"
    assert catalog.text("xx", "link.download") == "Download As"  # not offered: English


def test_a_broken_catalog_is_refused_when_loaded() -> None:
    complete = {language: f"Edit {{name}} ({language})" for language in LANGUAGES}
    Catalog({"ok": complete})
    with pytest.raises(ValueError, match="missing"):
        Catalog({"x": {k: v for k, v in complete.items() if k != "ru"}})
    with pytest.raises(ValueError, match="placeholders"):
        Catalog({"x": {**complete, "de": "{datei} bearbeiten"}})
    with pytest.raises(ValueError, match="unknown"):
        Catalog({"x": {**complete, "pt": "Editar {name}"}})


def test_markup_escapes_the_values_not_the_safe_ones() -> None:
    catalog = messages()
    hostile = '<img src=x onerror=alert(1)>"&.docx'
    out = catalog.markup("de", "title.edit", name=hostile)
    assert isinstance(out, Markup)
    assert out == "&lt;img src=x onerror=alert(1)&gt;&#34;&amp;.docx in ONLYOFFICE bearbeiten"
    link = Markup('<a href="/p">{}</a>').format(hostile)
    assert "<a href" in catalog.markup("en", "create.intro", page=link)
    assert "<img" not in catalog.markup("en", "create.intro", page=link)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("de_DE", "de"),
        ("de-AT", "de"),
        ("DE", "de"),
        ("en_GB", "en"),
        ("fr-CA", "fr"),
        ("es_MX", "es"),
        ("it", "it"),
        ("ru_RU", "ru"),
        ("zh_CN", "zh-CN"),
        ("zh-Hans", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("zh-TW", None),
        ("zh-Hant", None),
        ("pt_BR", None),
        ("ja", None),
        ('"><script>', None),
        ("", None),
        (None, None),
    ],
)
def test_language_tags_map_to_the_offered_languages(tag: str | None, expected: str | None) -> None:
    assert language_for(tag) == expected


def test_page_language_prefers_the_links_lang_then_the_browser() -> None:
    assert page_language("de_DE", "fr-FR,fr;q=0.9") == "de"
    assert page_language("pt_BR", "de-DE") == "en"  # the Confluence locale decides, English fallback
    assert page_language(None, "pt-BR, it;q=0.8, de;q=0.9") == "de"  # by quality, offered only
    assert page_language("", "zh-Hans-CN,zh;q=0.9") == "zh-CN"
    assert page_language('"><x', "ru") == "ru"  # a malformed lang is ignored
    assert page_language(None, "de;q=0, fr;q=0.1") == "fr"
    assert page_language(None, "*") == "en"
    assert page_language(None, None) == "en"


def test_every_error_page_is_given_catalog_ids_not_text() -> None:
    """error_page(context, request, status, heading_id, message_id, ...): each call in the plugin
    names two catalog entries literally, so no page can come out in English only."""
    catalog, calls = messages(), 0
    for source in Path(gateway.onlyoffice.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "error_page":
                calls += 1
                ids = node.args[3:5]
                assert len(ids) == 2, (source.name, node.lineno)
                for given in ids:
                    assert isinstance(given, ast.Constant), (source.name, node.lineno)
                    assert given.value in catalog.ids, (source.name, node.lineno, given.value)
                    assert str(given.value).startswith("error."), (source.name, node.lineno)
    assert calls >= 28


def test_an_error_pages_placeholders_are_escaped_once() -> None:
    """error_page hands error.html the catalog's Markup: the text is not escaped twice, a filled-in
    value (here a hostile one) is escaped."""
    catalog = messages()
    body = (
        template_environment()
        .get_template("error.html")
        .render(
            static_url="/s",
            lang="fr",
            text=Texts(catalog, "fr"),
            heading=catalog.markup("fr", "error.not_available"),
            message=catalog.markup("fr", "convert.failed", error="<script>x</script>"),
            back_url=None,
        )
    )
    assert "<h1>Non disponible</h1>" in body
    assert "<p>Le document n\u2019a pas pu être converti : &lt;script&gt;x&lt;/script&gt;</p>" in body
