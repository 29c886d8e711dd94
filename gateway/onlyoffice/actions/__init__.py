"""Actions: what users do with an attachment or a page without opening the editor.

"Convert using ONLYOFFICE" (`GET`/`POST .../onlyoffice/convert`, `convert.py`), "Download As"
(`GET`/`POST .../onlyoffice/download-as`, `GET .../download-as/file`, `download_as.py`), both
polling one Document Server conversion (`conversion_jobs.py`), and "New document"
(`GET`/`POST .../onlyoffice/create`, `create.py`) from the blank files in `blank.py`.
"""
