"""A local OpenAI-compatible server answering in the API's real shapes, with scripted faults."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from aiohttp import web
from PIL import Image

CHARS_PER_TOKEN = 4


@dataclass
class Fault:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeOpenAI:
    """Queue chat replies (JSON-able objects or raw strings) and faults; inspect `requests`.

    A reply longer than the request's max_tokens is cut there, with finish_reason "length".
    """

    chat_replies: deque = field(default_factory=deque)
    faults: deque = field(default_factory=deque)
    requests: list[tuple[str, dict]] = field(default_factory=list)
    stall: float = 0.0  # seconds each chat answer waits: a hung model server
    down: set[str] = field(default_factory=set)  # endpoints ("chat", "speech", "images") answering 500
    # The endpoints it has: {"chat"} is a chat-only server (Ollama, vLLM, llama.cpp), {"speech"} a
    # speech-only one (Kokoro, openedai-speech). Others get aiohttp's plain 404, as from such servers.
    serves: frozenset[str] = frozenset({"chat", "speech", "images"})

    hits: list[str] = field(default_factory=list)  # every request's path, those answered 404 too
    # An endpoint that answers this many requests, then 500 to every later one: failing mid-task.
    fail_after: dict[str, int] = field(default_factory=dict)

    def app(self) -> web.Application:
        @web.middleware
        async def record(request: web.Request, handler):
            self.hits.append(request.path)
            return await handler(request)

        app = web.Application(middlewares=[record])
        routes = {
            "chat": ("/v1/chat/completions", self.chat),
            "speech": ("/v1/audio/speech", self.speech),
            "images": ("/v1/images/generations", self.images),
        }
        for kind in sorted(self.serves):
            app.router.add_post(*routes[kind])
        return app

    def count(self, kind: str) -> int:
        """Requests of one kind ("chat", "speech", "images") that reached a handler."""
        return sum(k == kind for k, _ in self.requests)

    def _fault(self, kind: str) -> web.Response | None:
        answered = sum(k == kind for k, _ in self.requests) - 1  # this request is already recorded
        if kind in self.down or answered >= self.fail_after.get(kind, answered + 1):
            # retry-after-ms keeps the client's back-off (seconds otherwise) short in tests.
            return web.json_response(
                error_body("The server is overloaded", "server_error"),
                status=500,
                headers={"retry-after-ms": "10"},
            )
        if self.faults:
            f = self.faults.popleft()
            return web.json_response(f.body, status=f.status, headers=f.headers)
        return None

    async def chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(("chat", body))
        await asyncio.sleep(self.stall)
        if (fault := self._fault("chat")) is not None:
            return fault
        reply = self.chat_replies.popleft() if self.chat_replies else "{}"
        content = reply if isinstance(reply, str) else json.dumps(reply)
        # A real server stops at max_tokens and says so; about four characters make a token.
        finish, completion = "stop", 200
        cap = body.get("max_tokens")
        if cap and len(content) > cap * CHARS_PER_TOKEN:
            content, finish, completion = content[: cap * CHARS_PER_TOKEN], "length", cap
        return web.json_response(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": finish,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                    }
                ],
                "usage": {
                    "prompt_tokens": 1000,
                    "completion_tokens": completion,
                    "total_tokens": 1000 + completion,
                },
            }
        )

    async def speech(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(("speech", body))
        if (fault := self._fault("speech")) is not None:
            return fault
        seconds = 0.06 * len(body["input"]) / float(body.get("speed", 1.0))
        t = np.arange(int(24000 * seconds)) / 24000
        pcm = (0.4 * np.sin(2 * np.pi * 180 * t) * 32767).astype("<i2").tobytes()
        return web.Response(body=pcm, content_type="audio/pcm")

    async def images(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(("images", body))
        if (fault := self._fault("images")) is not None:
            return fault
        w, h = (int(x) for x in body["size"].split("x"))
        img = Image.new("RGB", (w // 8, h // 8), (20, 120, 200))
        img.paste((240, 200, 40), (0, 0, w // 16, h // 16))
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        return web.json_response(
            {"created": int(time.time()), "data": [{"b64_json": base64.b64encode(buf.getvalue()).decode()}]}
        )


def error_body(message: str, kind: str) -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}
