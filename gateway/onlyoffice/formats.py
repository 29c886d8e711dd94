"""What ONLYOFFICE Docs can do with each file extension, read from the shipped `formats.yaml`.

The table is data so that a new Document Server release (a new format, a format gaining editing)
is a YAML change. Capabilities can depend on the Document Server's version: forms moved from
DOCXF/OFORM to PDF in 8.0/8.1, `documentType: pdf` exists only from 8.0 and diagrams from 9.0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

__all__ = [
    "Action",
    "DocumentType",
    "Format",
    "FormatTable",
    "default_format_table",
    "extension_of",
    "parse_version",
    "stem_of",
]

DocumentType = Literal["word", "cell", "slide", "pdf", "diagram"]
Action = Literal["view", "edit", "lossy-edit", "fill"]

_DOCUMENT_TYPES: frozenset[str] = frozenset({"word", "cell", "slide", "pdf", "diagram"})
_ACTIONS: frozenset[str] = frozenset({"view", "edit", "lossy-edit", "fill"})
Version = tuple[int, ...]


def parse_version(text: str) -> Version:
    """`"8.1.3.4"` -> (8, 1, 3, 4); non-numeric parts end the version (`"9.0-beta"` -> (9, 0))."""
    parts: list[int] = []
    for piece in text.strip().split("."):
        digits = ""
        for char in piece:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(piece):
            break
    return tuple(parts)


def extension_of(filename: str) -> str:
    """Lower-case extension without the dot, or "" (".bashrc" and "name." have none)."""
    stem, dot, extension = filename.rpartition(".")
    return extension.lower() if dot and stem and extension else ""


def stem_of(title: str) -> str:
    """`report.docx` -> `report` (a name without extension, as `extension_of` sees it, stays whole)."""
    extension = extension_of(title)
    return title[: -len(extension) - 1] if extension else title


@dataclass(frozen=True, slots=True)
class Format:
    """One extension's capabilities, as seen by a given Document Server version."""

    extension: str
    document_type: DocumentType
    actions: frozenset[Action]
    convert_targets: tuple[str, ...]
    default_target: str | None
    mime: str

    @property
    def viewable(self) -> bool:
        return "view" in self.actions

    @property
    def editable(self) -> bool:
        return "edit" in self.actions

    @property
    def lossy_editable(self) -> bool:
        return "lossy-edit" in self.actions

    @property
    def fillable(self) -> bool:
        return "fill" in self.actions


@dataclass(frozen=True, slots=True)
class _Legacy:
    before: Version
    document_type: DocumentType
    actions: frozenset[Action]


@dataclass(frozen=True, slots=True)
class _Entry:
    current: Format
    legacy: _Legacy | None


class FormatTable:
    """Lookup of formats by extension, optionally adjusted to a Document Server version."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        targets: Mapping[str, list[str]] = data["targets"]
        defaults: Mapping[str, str] = data["default_targets"]
        entries: dict[str, _Entry] = {}
        for extension, spec in data["formats"].items():
            document_type = _document_type(extension, spec["type"])
            convert = tuple(t for t in targets[spec["convert"]] if t != extension)
            default = defaults.get(document_type)
            current = Format(
                extension=extension,
                document_type=document_type,
                actions=_actions(extension, spec["actions"]),
                convert_targets=convert,
                default_target=default if default in convert else None,
                mime=spec["mime"],
            )
            legacy = None
            if "legacy" in spec:
                legacy_spec = spec["legacy"]
                legacy = _Legacy(
                    before=parse_version(str(legacy_spec["before"])),
                    document_type=_document_type(extension, legacy_spec["type"]),
                    actions=_actions(extension, legacy_spec["actions"]),
                )
            entries[extension] = _Entry(current, legacy)
        self._entries = entries

    def __contains__(self, extension: object) -> bool:
        return extension in self._entries

    def extensions(self) -> frozenset[str]:
        return frozenset(self._entries)

    def get(self, extension: str, server_version: Version | None = None) -> Format | None:
        """The format for `extension` as `server_version` handles it (latest behaviour if unknown)."""
        entry = self._entries.get(extension.lower())
        if entry is None:
            return None
        found = entry.current
        if server_version is None:
            return found
        if entry.legacy is not None and server_version < entry.legacy.before:
            found = _replace(found, entry.legacy.document_type, entry.legacy.actions)
        if found.document_type == "diagram" and server_version < (9, 0):
            return None  # Visio formats open only from Document Server 9.0
        if found.document_type == "pdf" and server_version < (8, 0):
            # Before 8.0 api.js alerts on documentType "pdf"; PDFs open (read-only) as "word".
            found = _replace(found, "word", found.actions & {"view"})
        return found

    def by_type(self, document_type: DocumentType) -> frozenset[str]:
        return frozenset(
            e for e, entry in self._entries.items() if entry.current.document_type == document_type
        )


def _replace(found: Format, document_type: DocumentType, actions: frozenset[Action]) -> Format:
    return Format(
        extension=found.extension,
        document_type=document_type,
        actions=actions,
        convert_targets=found.convert_targets,
        default_target=found.default_target,
        mime=found.mime,
    )


def _document_type(extension: str, value: str) -> DocumentType:
    if value not in _DOCUMENT_TYPES:
        raise ValueError(f"formats.yaml: {extension}: unknown type {value!r}")
    return value  # type: ignore[return-value]


def _actions(extension: str, values: list[str]) -> frozenset[Action]:
    unknown = set(values) - _ACTIONS
    if unknown:
        raise ValueError(f"formats.yaml: {extension}: unknown actions {sorted(unknown)}")
    return frozenset(values)  # type: ignore[arg-type]


@cache
def default_format_table() -> FormatTable:
    """The table shipped with the package (parsed once; it is immutable)."""
    text = resources.files("gateway.onlyoffice").joinpath("formats.yaml").read_text(encoding="utf-8")
    return FormatTable(yaml.safe_load(text))
