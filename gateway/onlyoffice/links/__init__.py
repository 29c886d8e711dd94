"""Links: the ONLYOFFICE actions users see next to attachments in Confluence pages.

A page passing the proxy is scanned for attachment markup (`inject/`) and gets "Edit in
ONLYOFFICE", "View", "Convert", "Download As" and "New document" links where access and rules allow
(`filter.py`, the response filter on the page paths `injection.paths` names). What Confluence
renders later with AJAX is covered by the browser script, served same-origin from
`GET .../onlyoffice/static/{name}` (`script.py`; `inject_script.py` joins its parts), which asks `GET .../onlyoffice/access`
(`access_route.py`) what to show.
"""
