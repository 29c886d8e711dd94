"""The ONLYOFFICE plugin of the gateway: rules, formats, links, editor, download, saving."""
