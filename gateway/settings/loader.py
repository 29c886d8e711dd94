"""Read a config file into Settings, or fail with every problem as `file:line: key.path: message`.

Messages are written for the admin who has the file open: the line to look at, the key as dotted path,
what is expected and (unless the key holds a secret) what was found. All problems are collected, so
one run shows them all. Secrets never appear: not in messages, not in repr(settings).
"""

from __future__ import annotations

import datetime
import difflib
import logging
import os
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import ErrorDetails

from gateway.settings.fields import MIN_JWT_SECRET_BYTES, CrossFieldError, Loc
from gateway.settings.models import Settings
from gateway.settings.source import Problem, Source, read_mapping, read_yaml

__all__ = [
    "ConfigError",
    "load_settings",
    "load_settings_from_mapping",
    "parse_settings",
    "settings_warnings",
]

_log = logging.getLogger("gateway.settings")


class ConfigError(Exception):
    """A config problem a person can fix; each line names the file, line and key."""

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def load_settings(path: Path, *, environ: Mapping[str, str] | None = None) -> Settings:
    """Read, substitute and validate a config file; warnings are logged to `gateway.settings`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text (byte {error.start})") from None
    return parse_settings(text, source=str(path), environ=environ, base_dir=Path(path).parent)


def parse_settings(
    text: str,
    *,
    source: str = "<config>",
    environ: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
) -> Settings:
    """Validate YAML text; `${file:...}` paths that are relative are taken from base_dir."""
    env = os.environ if environ is None else environ
    read = read_yaml(text, name=source, environ=env, base_dir=base_dir or Path.cwd())
    return _validate(read)


def load_settings_from_mapping(
    data: Mapping[str, Any],
    *,
    source: str = "<settings>",
    environ: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
) -> Settings:
    """Settings built in code (the demo, tests), with the same checks and messages minus lines.

    `${...}` references are expanded only when environ is given: values built in code are literal.
    """
    return _validate(read_mapping(data, name=source, environ=environ, base_dir=base_dir or Path.cwd()))


def settings_warnings(settings: Settings) -> list[tuple[Loc, str]]:
    """Valid but unwise settings, reported without stopping the gateway."""
    found: list[tuple[Loc, str]] = []
    secret = settings.documentserver.jwt.secret.get_secret_value()
    if len(secret.encode()) < MIN_JWT_SECRET_BYTES:
        found.append(
            (
                ("documentserver", "jwt", "secret"),
                f"shorter than {MIN_JWT_SECRET_BYTES} bytes: easy to guess (ONLYOFFICE's installers "
                f"generate {MIN_JWT_SECRET_BYTES} characters); set a longer one on both sides",
            )
        )
    if settings.state.redis_url and settings.state.path:
        found.append((("state", "path"), "ignored: state.redis_url is set, and Redis holds the shared state"))
    return found


def _validate(source: Source) -> Settings:
    problems = list(source.problems)
    settings: Settings | None = None
    if source.data is not None or not problems:
        try:
            settings = Settings.model_validate(source.data, context={"base_dir": source.base_dir})
        except ValidationError as error:
            known = [p.loc for p in problems]
            for detail in error.errors():
                for problem in _explain(detail, source):
                    # A key that failed to read (e.g. a missing variable) is reported once: not again
                    # by pydantic, at the key, inside it or at the mappings that hold it.
                    if not any(_related(problem.loc, loc) for loc in known if loc):
                        problems.append(problem)
    if problems or settings is None:
        secrets = _secret_values(source.data, ())
        raise ConfigError([_scrub(_format(source, p), secrets) for p in _ordered(problems)])
    for loc, text in settings_warnings(settings):
        _log.warning("%s", _format(source, Problem(loc, text, source.line_of(loc))))
    return settings


def _secret_values(value: Any, loc: Loc) -> set[str]:
    """Every string given for a secret key: not to appear in any message, whatever key it is about."""
    if isinstance(value, Mapping):
        return set().union(*(_secret_values(v, (*loc, str(k))) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return set().union(*(_secret_values(v, (*loc, i)) for i, v in enumerate(value)))
    # Shorter strings are not scrubbed: they would mangle messages, and are not echoed in the first place.
    if isinstance(value, str) and len(value) >= 4 and loc and _is_secret(loc):
        return {value}
    return set()


def _scrub(message: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, "[redacted]")
    return message


def _related(a: Loc, b: Loc) -> bool:
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def _ordered(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: p.line or 0)


def _format(source: Source, problem: Problem) -> str:
    line = problem.line if problem.line is not None else source.line_of(problem.loc)
    where = f"{source.name}:{line}" if line is not None else source.name
    key = _dotted(problem.loc)
    return f"{where}: {key}: {problem.message}" if key else f"{where}: {problem.message}"


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _explain(detail: ErrorDetails, source: Source) -> list[Problem]:
    """One pydantic error as problems at key paths, in the loader's words."""
    loc: Loc = tuple(part for part in detail["loc"] if isinstance(part, str | int))
    ctx = detail.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, CrossFieldError):
        return [Problem(where, text, source.line_of(where)) for where, text in cause.problems]
    value = detail.get("input")
    # A secret's value is never described, except for its shape ("a list"), which reveals nothing.
    show = (not _is_secret(loc) and loc not in source.from_files) or isinstance(value, Mapping | list)
    got = f", got {_describe(value)}" if show else ""
    kind = detail["type"]
    if kind == "missing":
        text = "required key is missing"
    elif kind == "extra_forbidden":
        text = "unknown key" + _suggest(loc)
    elif isinstance(cause, ValueError):
        text = str(cause)
    elif kind in ("string_type", "string_sub_type"):
        quote = "; put it in quotes" if isinstance(value, bool | int | float) else ""
        text = f"must be text{got}{quote}"
    elif kind in ("int_type", "int_parsing", "int_from_float"):
        text = f"must be a whole number{got}"
    elif kind in ("float_type", "float_parsing"):
        text = f"must be a number{got}"
    elif kind in ("bool_type", "bool_parsing"):
        text = f"must be true or false{got}"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        text = f"must be a mapping of keys{got}"
    elif kind in ("tuple_type", "list_type"):
        text = f"must be a list{got}"
    elif kind == "literal_error":
        text = f"must be one of {ctx.get('expected')}{got}"
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        words = {"gt": "greater than", "ge": "at least", "lt": "less than", "le": "at most"}
        bound = next(f"{words[k]} {v}" for k, v in ctx.items() if k in words)
        text = f"must be {bound}{got}"
    else:
        message = detail["msg"]
        text = message[:1].lower() + message[1:] + got
    return [Problem(loc, text, source.line_of(loc))]


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, datetime.date):  # YAML reads 2027-01-15T00:00:00 as a date-time already
        return repr(value.isoformat())
    return repr(value)


def _annotation_at(loc: Loc) -> Any:
    """The declared type of the key at loc (Settings for the root); None for an unknown key."""
    annotation: Any = Settings
    for part in loc:
        if isinstance(part, int):
            annotation = _unwrap(annotation, into_items=True)
            continue
        model = _as_model(annotation)
        if model is None or part not in model.model_fields:
            return None
        annotation = model.model_fields[part].annotation
    return annotation


def _unwrap(annotation: Any, into_items: bool = False) -> Any:
    """Strip Optional/Annotated (and with into_items, tuple[X, ...]) down to the core type."""
    while True:
        origin = typing.get_origin(annotation)
        args = [a for a in typing.get_args(annotation) if a is not type(None) and a is not Ellipsis]
        if origin is typing.Annotated or (origin in (typing.Union, types.UnionType) and len(args) == 1):
            annotation = args[0]
        elif into_items and origin in (tuple, list) and args:
            annotation, into_items = args[0], False
        else:
            return annotation


def _as_model(annotation: Any) -> type[BaseModel] | None:
    core = _unwrap(annotation)
    return core if isinstance(core, type) and issubclass(core, BaseModel) else None


def _is_secret(loc: Loc) -> bool:
    core = _unwrap(_annotation_at(loc))
    if core is None:
        # Unknown keys may hold anything; a secret-looking name is not echoed either.
        return any(word in str(loc[-1]).lower() for word in ("token", "secret", "password")) if loc else False
    return isinstance(core, type) and issubclass(core, SecretStr)


def _suggest(loc: Loc) -> str:
    model = _as_model(_annotation_at(loc[:-1])) if loc else None
    if model is None:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (expected one of: {', '.join(model.model_fields)})"
