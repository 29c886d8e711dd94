"""`.../onlyoffice/download?token=...`: the file for the Document Server, streamed from Confluence.

Two proofs are required: the gateway's own link token (which attachment, which version) and the
Document Server's JWT header, whose signed `url` must carry that same link token. A link copied out
of a browser (the editor config is visible there) is useless without the Document Server secret.
The body is streamed chunk by chunk from Confluence (service account); it is never held whole.
"""

from __future__ import annotations

import logging

from aiohttp import web
from yarl import URL

from gateway.confluence.models import ConfluenceError
from gateway.docserver.jwt import JwtError, read_signed_request
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.onlyoffice.signed_links import read_link_token

__all__ = ["download"]

log = logging.getLogger(__name__)
_CHUNK = 256 * 1024


def _refusal(status: int, text: str) -> web.Response:
    """A refusal in the shape the gateway answers the Document Server with everywhere (JSON)."""
    return web.json_response({"error": 1, "message": text}, status=status)


async def download(request: web.Request) -> web.StreamResponse:
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    link_token = request.query.get("token", "")
    try:
        claims = read_link_token(link_token, context.accepted_link_secrets, action="download")
    except JwtError as error:
        log.warning("download refused: link token: %s", error)
        return _refusal(403, "Forbidden: invalid link token")
    header = context.settings.documentserver.jwt.header
    try:
        signed = read_signed_request(
            None, request.headers, secret=context.accepted_jwt_secrets, header_name=header
        )
    except JwtError as error:
        log.warning(
            "download refused for attachment %s: Document Server JWT: %s", claims.attachment_id, error
        )
        return _refusal(403, "Forbidden: the Document Server's JWT is missing or invalid")
    signed_url = signed.get("url")
    if not isinstance(signed_url, str) or URL(signed_url).query.get("token") != link_token:
        log.warning("download refused for attachment %s: JWT signed for another URL", claims.attachment_id)
        return _refusal(403, "Forbidden: the JWT was signed for another URL")
    try:
        attachment = await context.confluence.attachment(claims.attachment_id)
        if attachment is None:
            return _refusal(404, "Not found: the attachment no longer exists")
        upstream = await context.confluence.open_download(attachment, claims.version)
    except ConfluenceError as error:
        log.warning("download of attachment %s failed: %s", claims.attachment_id, error)
        status = 404 if error.status == 404 else 502
        return _refusal(status, "The file could not be read from Confluence")
    try:
        response = web.StreamResponse(
            headers={
                "Content-Type": upstream.headers.get("Content-Type", attachment.media_type),
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            }
        )
        if upstream.content_length is not None:
            response.content_length = upstream.content_length
        await response.prepare(request)
        async for chunk in upstream.content.iter_chunked(_CHUNK):
            await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        upstream.release()
