"""The ONLYOFFICE plugin of the gateway, grouped by what users do.

`links/` (the ONLYOFFICE links in Confluence pages), `editor/` (the editor page and what it
offers), `saving/` (edits back into Confluence), `actions/` (convert, Download As, new documents).
At the root only what they share: registration (`plugin.py`), the shared context, rules, formats,
access, document keys, signed links and page tokens, file names, messages, and reading requests
and writing answers. docs/architecture.md draws the request paths through them.
"""
