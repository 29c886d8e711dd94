"""Simulators of Confluence and the ONLYOFFICE Document Server, shipped for tests and the demo.

They stand in for systems that cannot run on a developer's machine, so they follow the facts in
shared/reference as closely as the tests need: same paths, shapes, status codes, auth and retries.
"""
