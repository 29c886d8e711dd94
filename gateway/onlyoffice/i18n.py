"""The words the gateway shows people, in the ONLYOFFICE plugin's seven languages.

Texts are data (`messages.yaml`, read once like `formats.yaml`): one entry per message id, one
line per language, English as the fallback. Placeholders (`{name}`) are filled by the caller with
escaping: `Catalog.markup` for Jinja2 templates (arguments escaped, the result safe), `Catalog.text`
for markup the caller escapes itself, `Catalog.bundle` for scripts that fill them with textContent.

Which language: `language_for` maps a Confluence locale (`de_DE`) or a BCP 47 tag (`de-AT`,
`zh-Hans`) to one of `LANGUAGES` (None when unknown); `page_language` picks one for the gateway's
own pages: the `lang` the links carry (the user's Confluence locale), else the browser's
Accept-Language, else English.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml
from markupsafe import Markup, escape

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Catalog", "Texts", "language_for", "messages", "page_language"]

LANGUAGES = ("en", "de", "es", "fr", "it", "ru", "zh-CN")
DEFAULT_LANGUAGE = "en"

_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
_PRIMARY = {language.lower(): language for language in LANGUAGES if "-" not in language}
# Chinese written in traditional characters is not Simplified Chinese: those fall back to English.
_TRADITIONAL = frozenset(["hant", "tw", "hk", "mo"])


def language_for(tag: str | None) -> str | None:
    """`de_DE`, `de-AT` -> "de"; `zh_CN`, `zh-Hans` -> "zh-CN"; None when malformed or not offered."""
    if not tag or not _TAG.fullmatch(tag.strip()):
        return None
    parts = tag.strip().replace("_", "-").lower().split("-")
    if parts[0] == "zh":
        return None if _TRADITIONAL.intersection(parts[1:]) else "zh-CN"
    return _PRIMARY.get(parts[0])


def _accepted(header: str) -> list[str]:
    """Accept-Language's tags, most wanted first (q=0 means "not this one")."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                continue
        if quality > 0:
            ranked.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def page_language(explicit: str | None, accept_language: str | None) -> str:
    """The language of one of the gateway's pages.

    `explicit` (the `lang` query parameter: the user's Confluence locale) decides when well formed,
    also for a language the gateway does not offer (English then, as the plugin falls back);
    otherwise the first language the browser accepts that is offered; otherwise English.
    """
    if explicit and _TAG.fullmatch(explicit.strip()):
        return language_for(explicit) or DEFAULT_LANGUAGE
    for tag in _accepted(accept_language or ""):
        found = language_for(tag)
        if found:
            return found
    return DEFAULT_LANGUAGE


def placeholders(text: str) -> frozenset[str]:
    """The `{names}` a message fills."""
    return frozenset(field for _, field, _, _ in string.Formatter().parse(text) if field)


class Catalog:
    """Message id -> language -> text; checked when loaded, read-only afterwards."""

    def __init__(self, entries: Mapping[str, Mapping[str, str]]) -> None:
        checked: dict[str, Mapping[str, str]] = {}
        for message_id, texts in entries.items():
            if not isinstance(texts, Mapping):
                raise ValueError(f"messages.yaml: {message_id}: expected one text per language")
            missing = [language for language in LANGUAGES if not isinstance(texts.get(language), str)]
            extra = sorted(set(texts) - set(LANGUAGES))
            if missing or extra:
                raise ValueError(f"messages.yaml: {message_id}: missing {missing}, unknown {extra}")
            wanted = placeholders(texts[DEFAULT_LANGUAGE])
            for language in LANGUAGES:
                if placeholders(texts[language]) != wanted:
                    raise ValueError(f"messages.yaml: {message_id}.{language}: placeholders differ from en")
            checked[str(message_id)] = MappingProxyType(dict(texts))
        self._entries = MappingProxyType(checked)

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(self._entries)

    def template(self, language: str, message_id: str) -> str:
        """The unfilled text in `language` (English when the language is not offered)."""
        texts = self._entries[message_id]
        return texts.get(language) or texts[DEFAULT_LANGUAGE]

    def text(self, language: str, message_id: str, **values: object) -> str:
        """Plain text with the placeholders filled: the caller escapes it where it goes."""
        return self.template(language, message_id).format(**values)

    def markup(self, language: str, message_id: str, **values: Any) -> Markup:
        """Safe HTML: the text escaped, values escaped unless they are Markup themselves."""
        return Markup(escape(self.template(language, message_id))).format(**values)

    def bundle(self, language: str, message_ids: Iterable[str]) -> dict[str, str]:
        """The unfilled texts a script needs (it fills them with textContent)."""
        return {message_id: self.template(language, message_id) for message_id in message_ids}


class Texts:
    """One language of a catalog, as a template sees it: `text("id", name=...)`, `text.bundle(...)`."""

    def __init__(self, catalog: Catalog, language: str) -> None:
        self.catalog = catalog
        self.language = language

    def __call__(self, message_id: str, **values: Any) -> Markup:
        return self.catalog.markup(self.language, message_id, **values)

    def bundle(self, *message_ids: str) -> dict[str, str]:
        return self.catalog.bundle(self.language, message_ids)


@cache
def messages() -> Catalog:
    """The shipped catalog, read once (the file is part of the package, it does not change)."""
    raw = resources.files("gateway.onlyoffice").joinpath("messages.yaml").read_text(encoding="utf-8")
    entries = yaml.safe_load(raw)
    if not isinstance(entries, dict):
        raise ValueError("messages.yaml: expected a mapping of message ids")
    return Catalog(entries)
