"""Saving: an edit made in the Document Server becomes exactly one new Confluence version.

`POST .../onlyoffice/callback` (`callback.py`) takes the Document Server's signed reports; a save
fetches the edited file from the Document Server only (`fetch.py`) and uploads it (`save.py`).
Saves that could not finish at callback time are kept and finished later without anyone doing
anything (`recovery.py`); `metrics.py` counts callbacks, saves and pending edits.
"""
