"""Typed, validated settings from the YAML config file.

Everything an admin configures lives in one YAML file; this package turns it into frozen pydantic
models (models.py, value checks in fields.py). Unknown keys are errors (a typo must not silently fall
back to a default), `${NAME}` takes a value from the environment and `${file:/path}` from a secret
file (source.py), and every error names the file, the line and the key (loader.py).
"""

from gateway.settings.loader import (
    ConfigError,
    load_settings,
    load_settings_from_mapping,
    parse_settings,
    settings_warnings,
)
from gateway.settings.models import (
    ConfluenceAuth,
    ConfluenceSettings,
    DocumentServerSettings,
    InjectionSettings,
    JwtSettings,
    LinkSettings,
    ListenSettings,
    LoggingSettings,
    MiB,
    ProxySettings,
    RuleSettings,
    Settings,
    StateSettings,
)

__all__ = [
    "ConfigError",
    "ConfluenceAuth",
    "ConfluenceSettings",
    "DocumentServerSettings",
    "InjectionSettings",
    "JwtSettings",
    "LinkSettings",
    "ListenSettings",
    "LoggingSettings",
    "MiB",
    "ProxySettings",
    "RuleSettings",
    "Settings",
    "StateSettings",
    "load_settings",
    "load_settings_from_mapping",
    "parse_settings",
    "settings_warnings",
]
