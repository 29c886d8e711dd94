"""ONLYOFFICE gateway for Confluence: a reverse proxy that adds ONLYOFFICE editing to Confluence."""

__all__ = ["__version__"]

__version__ = "0.1.0"
