"""The editor: an attachment opened in ONLYOFFICE Docs inside Confluence, and all it offers.

`GET .../onlyoffice/doceditor` is the page (`page.py`, its signed config in `config.py`), and
`GET .../onlyoffice/download` the file the Document Server loads (`download.py`). From the open
editor: Version History and Restore (`GET history`, `GET history/data`, `POST history/restore`),
Rename (`POST rename`), Save Copy as (`POST save-as`, `GET save-as/pages`), the attachment picker
(`GET`/`POST attachments`), links between documents (`POST reference-data`), and mentions
(`GET users`, `POST notify`; `people.py` is Confluence's people search behind them). Every POST
of the page is checked one way (`posts.py`).
"""
