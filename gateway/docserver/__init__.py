"""Talking to the ONLYOFFICE Document Server: JWT rules, conversion and command clients."""
