"""A Slack Web API emulator on loopback: records every call, answers in Slack's documented shapes."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

# Methods whose `blocks` or `view` Slack checks before it does anything else.
BLOCK_METHODS = {"chat.postMessage", "chat.update", "chat.postEphemeral"}
VIEW_METHODS = {"views.open", "views.update", "views.push", "views.publish"}


def block_problem(method: str, params: dict[str, Any]) -> str | None:
    """Slack's own refusal of what slack_sdk's Block Kit models reject, else None."""
    try:
        if method in BLOCK_METHODS and params.get("blocks") is not None:
            blocks = params["blocks"]
            if not isinstance(blocks, list) or len(blocks) > 50:
                return "invalid_blocks"
            for raw in blocks:
                block = Block.parse(raw)
                if block is None:
                    return "invalid_blocks"
                block.validate_json()
        if method in VIEW_METHODS:
            view = params.get("view")
            if not isinstance(view, dict):
                return "invalid_arguments"
            View(**view).validate_json()
    except (SlackObjectFormationError, TypeError, KeyError, AttributeError):
        return "invalid_blocks"
    return None


def image_urls(blocks: list[Any]) -> list[str]:
    """Every image URL in a message's blocks (image blocks and image accessories)."""
    found = []
    for block in blocks:
        for part in (block, block.get("accessory") or {}) if isinstance(block, dict) else ():
            if isinstance(part, dict) and part.get("type") == "image" and part.get("image_url"):
                found.append(part["image_url"])
    return found


@dataclass
class SlackEmulator:
    """Point slack-sdk's base_url at `url + '/api/'`; inspect `calls`, queue faults with `fail`."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    # Files people uploaded (a modal's file input): id -> (name, bytes), and who downloaded them.
    shared: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    downloads: list[tuple[str, str]] = field(default_factory=list)
    faults: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    refused: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Image URLs starting with one of these cannot be fetched: Slack refuses the whole message.
    unfetchable: set[str] = field(default_factory=set)
    url: str = ""
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _ts = itertools.count(1)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=512 * 1024 * 1024)
        app.router.add_post("/api/{method}", self.api)
        app.router.add_get("/api/{method}", self.api)  # some methods are read with GET
        app.router.add_post("/upload/{file_id}", self.upload)
        app.router.add_get("/files-pri/{team_file}/download/{name}", self.download)
        app.router.add_get("/socket", self.socket)
        return app

    def fail(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: int = 1,
        times: int = 1,
        drop: bool = False,
    ) -> None:
        """The next `times` calls of `method` fail: an `ok: false` error, an HTTP status (429 with
        Retry-After), or `drop`: the connection closes with no answer at all."""
        for _ in range(times):
            self.faults[method].append(
                {"error": error, "status": status, "retry_after": retry_after, "drop": drop}
            )

    def called(self, method: str) -> list[dict[str, Any]]:
        return [params for m, params in self.calls if m == method]

    def answered(self, method: str) -> list[dict[str, Any]]:
        return [answer for m, answer in self.answers if m == method]

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        # Slack reads arguments from the query string and the body alike.
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.content_type == "application/json":
            params.update(await request.json())
        elif request.method == "POST":
            params.update(dict(await request.post()))
        for key in ("blocks", "view", "files"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        self.calls.append((method, params))
        if (problem := block_problem(method, params)) is not None:
            self.refused.append((method, params))
            return web.json_response({"ok": False, "error": problem})
        if method in BLOCK_METHODS and any(
            u.startswith(tuple(self.unfetchable)) for u in image_urls(params.get("blocks") or [])
        ):
            self.refused.append((method, params))
            meta = {"messages": ["[ERROR] downloading image failed [json-pointer:/blocks/1/accessory]"]}
            return web.json_response({"ok": False, "error": "invalid_blocks", "response_metadata": meta})
        if self.faults[method]:
            fault = self.faults[method].pop(0)
            if fault["drop"]:
                assert request.transport is not None
                request.transport.abort()
                raise ConnectionResetError("dropped by the emulator")
            if fault["status"] == 429:
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(fault["retry_after"])},
                )
            if fault["status"] >= 500:
                return web.Response(status=fault["status"], text="server error")
            return web.json_response({"ok": False, "error": fault["error"]})
        if "wrong" in request.headers.get("Authorization", ""):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        answer = {"ok": True, **handler(params)}
        self.answers.append((method, answer))
        return web.json_response(answer)

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def m_auth_test(self, p: dict) -> dict:
        return {
            "url": "https://oma-test.slack.com/",
            "team": "OMA Test",
            "user": "oma",
            "team_id": "T1",
            "user_id": "UBOT",
            "bot_id": "B1",
        }

    def m_chat_postMessage(self, p: dict) -> dict:
        ts = self._next_ts()
        return {"channel": p["channel"], "ts": ts, "message": {"text": p.get("text", ""), "ts": ts}}

    def m_chat_update(self, p: dict) -> dict:
        return {"channel": p["channel"], "ts": p["ts"], "text": p.get("text", "")}

    def m_chat_postEphemeral(self, p: dict) -> dict:
        return {"message_ts": self._next_ts()}

    def m_views_open(self, p: dict) -> dict:
        return {"view": {"id": "V" + str(next(self._ts)), **(p.get("view") or {})}}

    def m_files_getUploadURLExternal(self, p: dict) -> dict:
        file_id = f"F{next(self._ts):08d}"
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def m_files_completeUploadExternal(self, p: dict) -> dict:
        return {"files": [{"id": f["id"], "title": f.get("title", "")} for f in p["files"]]}

    def m_usergroups_users_list(self, p: dict) -> dict:
        return {"users": self.groups.get(p.get("usergroup", ""), [])}

    def share(self, name: str, data: bytes) -> str:
        """A file a person uploaded (as through a modal's file input); its id."""
        file_id = f"FU{next(self._ts):08d}"
        self.shared[file_id] = (name, data)
        return file_id

    def m_files_info(self, p: dict) -> dict:
        file_id = p.get("file", "")
        if file_id in self.shared:
            name, data = self.shared[file_id]
            base = f"{self.url}/files-pri/T1-{file_id}"
            return {
                "file": {
                    "id": file_id,
                    "name": name,
                    "size": len(data),
                    "url_private": f"{base}/{name}",
                    "url_private_download": f"{base}/download/{name}",
                }
            }
        return {"file": {"id": file_id, "size": len(self.uploads.get(file_id, b""))}}

    async def download(self, request: web.Request) -> web.Response:
        """A private file's bytes for a bot token; like Slack, a login page (HTML, 200) without one."""
        file_id = request.match_info["team_file"].removeprefix("T1-")
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer xoxb-") or "wrong" in auth or file_id not in self.shared:
            return web.Response(text="<html><body>Sign in to Slack</body></html>", content_type="text/html")
        self.downloads.append((file_id, auth))
        return web.Response(body=self.shared[file_id][1], content_type="application/octet-stream")

    def m_apps_connections_open(self, p: dict) -> dict:
        return {"url": "ws" + self.url.removeprefix("http") + "/socket"}

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode's WebSocket: says hello, then records the client's acknowledgements."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._loop = asyncio.get_running_loop()
        self.sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "connection_info": {"app_id": "A1"},
                "debug_info": {"host": "emulator", "approximate_connection_time": 18060},
            }
        )
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(msg.data))
        return ws

    def push(self, kind: str, payload: dict[str, Any]) -> str:
        """Send an envelope (slash_commands, interactive, events_api) to the connected Socket
        Mode client, from any thread; returns its envelope id."""
        envelope_id = f"env-{next(self._ts)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        assert self._loop is not None and self.sockets, "no Socket Mode client connected"
        asyncio.run_coroutine_threadsafe(self.sockets[-1].send_json(envelope), self._loop).result(5)
        return envelope_id

    def acked(self, envelope_id: str) -> dict[str, Any] | None:
        return next((a for a in self.socket_acks if a.get("envelope_id") == envelope_id), None)

    async def upload(self, request: web.Request) -> web.Response:
        # slack-sdk's async client sends the file's bytes as the request body.
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK - uploaded")
