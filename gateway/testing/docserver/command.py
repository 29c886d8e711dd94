"""Command service (reference §5): `/command` and `/coauthoring/CommandService.ashx`.

Always HTTP 200 JSON with `key` echoed and `error`: 0 ok, 1 unknown key, 2 no callback url,
3 internal, 4 force-save without changes, 5 unknown command, 6 invalid token, 7 expired token.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .cache import CacheFiles, base_url_from_request
from .convert import read_request_params
from .egress import Egress
from .sessions import NoCallbackUrl, NoChanges, SessionManager, UnknownKey
from .tokens import TokenError, TokenExpired

__all__ = ["CommandService", "build_number"]

_KEYLESS = frozenset({"version", "license", "getForgottenList"})


def build_number(version: str) -> str:
    return f"{version}.1" if version.count(".") == 2 else version


@dataclass
class CommandService:
    manager: SessionManager
    cache: CacheFiles
    egress: Egress
    version: str

    async def handle(self, request: web.Request) -> web.Response:
        return web.json_response(await self.run(request))

    async def run(self, request: web.Request) -> dict[str, Any]:
        try:
            params = await read_request_params(request, self.egress)
        except TokenExpired:
            return {"error": 7}
        except TokenError:
            return {"error": 6}
        except ValueError:
            return {"error": 5}
        command = params.get("c")
        key = params.get("key")
        answer: dict[str, Any] = {}
        if isinstance(key, str):
            answer["key"] = key
        if command not in _KEYLESS and command in _COMMANDS and not isinstance(key, str):
            answer["error"] = 1
            return answer
        run = _COMMANDS.get(command) if isinstance(command, str) else None
        if run is None:
            answer["error"] = 5
            return answer
        try:
            answer.update(await run(self, request, params))
            answer.setdefault("error", 0)
        except UnknownKey:
            answer["error"] = 1
        except NoChanges:
            answer["error"] = 4
        except NoCallbackUrl:
            answer["error"] = 2
        except Exception:
            answer["error"] = 3
        return answer

    async def info(self, request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
        userdata = params.get("userdata")
        users = await self.manager.info(params["key"], str(userdata) if userdata is not None else None)
        return {"users": users}

    async def drop(self, request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
        users = params.get("users")
        self.manager.drop(params["key"], [str(u) for u in users] if isinstance(users, list) else None)
        return {}

    async def forcesave(self, request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
        key = params["key"]
        session = self.manager.sessions.get(key)
        if session is None:
            raise UnknownKey(key)
        if len(session.changes) <= session.forcesaved:
            raise NoChanges(key)
        userdata = params.get("userdata")
        self.manager.spawn(
            self.manager.force_save(
                key, forcesavetype=0, userdata=str(userdata) if userdata is not None else None
            )
        )
        return {}

    async def meta(self, request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
        meta = params.get("meta")
        if not isinstance(meta, dict):
            return {"error": 5}
        session = self.manager.sessions.get(params["key"])
        if session is None:
            raise UnknownKey(params["key"])
        if isinstance(meta.get("title"), str):
            session.title = meta["title"]
        for participant in session.participants.values():
            participant.messages.append(
                {"type": "metaChange", "title": session.title, "favorite": meta.get("favorite")}
            )
        self.manager.notify(session)
        return {}

    async def version_cmd(self, request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
        return {"version": build_number(self.version)}

    async def license(self, request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "license": {
                "end_date": None,
                "trial": False,
                "customization": False,
                "connections": 20,
                "connections_view": 20,
                "users_count": 0,
                "users_view_count": 0,
                "users_expire": 30,
            },
            "server": {
                "resultType": 3,
                "packageType": 0,
                "buildDate": "2026-01-01T00:00:00.000Z",
                "buildVersion": self.version,
                "buildNumber": 1,
            },
            "quota": {"users": [], "users_view": []},
        }

    async def get_forgotten(self, request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
        found = self.manager.store.get_forgotten(params["key"])
        if found is None:
            raise UnknownKey(params["key"])
        entry, data = found
        doc_id = f"forgotten_{entry.key}_{int(time.time())}"
        name = f"output.{entry.file_type}"
        self.cache.put(doc_id, name, data)
        return {"url": self.cache.link(base_url_from_request(request), doc_id, name)}

    async def get_forgotten_list(self, request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
        return {"keys": sorted(self.manager.store.forgotten)}

    async def delete_forgotten(self, request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
        if not self.manager.store.delete_forgotten(params["key"]):
            raise UnknownKey(params["key"])
        return {}


_COMMANDS = {
    "info": CommandService.info,
    "drop": CommandService.drop,
    "forcesave": CommandService.forcesave,
    "meta": CommandService.meta,
    "version": CommandService.version_cmd,
    "license": CommandService.license,
    "getForgotten": CommandService.get_forgotten,
    "getForgottenList": CommandService.get_forgotten_list,
    "deleteForgotten": CommandService.delete_forgotten,
}
