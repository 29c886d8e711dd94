"""Talking to Confluence's REST API: as the service account, and on behalf of a browser user."""
