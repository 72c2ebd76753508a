"""Helpers the bot tests share: signed Slack requests, the web app, jobs, bot processes."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from arq.worker import Worker

from bot.settings import Settings
from bot.tasks import TaskStore
from bot.web import create_app
from bot.worker import worker_settings
from pipeline import Briefing, Draft
from pipeline.agents.scriptwriter import write_offline
from pipeline.agents.storyboarder import plan_offline
from tests.conftest import free_port

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


BOT_TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"


class SignedClient:
    """Posts to /slack/events exactly as Slack does, signed with the signing secret."""

    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self.base, self.session = base, session

    @staticmethod
    def sign(body: str, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
        ts = int(time.time()) if ts is None else ts
        digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        return {
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded",
        }

    async def raw(self, body: str, headers: dict[str, str]) -> aiohttp.ClientResponse:
        resp = await self.session.post(self.base + "/slack/events", data=body.encode(), headers=headers)
        await resp.read()
        return resp

    async def command(self, text: str = "", user: str = "U1", channel: str = "C1") -> aiohttp.ClientResponse:
        body = urlencode(
            {
                "command": "/video",
                "text": text,
                "user_id": user,
                "channel_id": channel,
                "team_id": "T1",
                "trigger_id": f"trig-{time.monotonic_ns()}",
                "response_url": "http://127.0.0.1:9/unused",
                "user_name": "u",
                "channel_name": "c",
            }
        )
        return await self.raw(body, self.sign(body))

    async def interactive(self, payload: dict) -> aiohttp.ClientResponse:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.raw(body, self.sign(body))

    async def event(self, event: dict, event_id: str = "Ev1") -> aiohttp.ClientResponse:
        """An Events API callback carrying `event`, as JSON like Slack sends it."""
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T1",
                "api_app_id": "A1",
                "event_id": event_id,
                "event_time": 1,
                "event": event,
            }
        )
        return await self.raw(body, {**self.sign(body), "Content-Type": "application/json"})

    async def get(self, path: str) -> aiohttp.ClientResponse:
        resp = await self.session.get(self.base + path)
        await resp.read()
        return resp


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[SignedClient]:
    """The real web app for `settings` on a free loopback port, and a signed client for it."""
    runner = web.AppRunner(create_app(settings=settings), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as session:
            yield SignedClient(f"http://127.0.0.1:{port}", session)
    finally:
        await runner.cleanup()


def submission(
    view_id: str = "VABC1", user: str = "U1", channel: str = "C1", skip: bool = True, **fields: str
) -> dict:
    """A view_submission payload for the briefing modal, as Slack sends it."""
    data = {
        "title": "Meet Nimbus",
        "description": "Nimbus keeps your files in sync. It works offline.",
        "duration": "15",
        "style": "modern",
        "tone": "friendly",
        "aspect": "16:9",
        **fields,
    }
    values = {
        k: {"value": {"type": "plain_text_input", "value": v}}
        for k, v in data.items()
        if k in ("title", "description", "duration")
    }
    for k in ("style", "tone", "aspect"):
        values[k] = {"value": {"type": "static_select", "selected_option": {"value": data[k]}}}
    values["options"] = {
        "value": {"type": "checkboxes", "selected_options": [{"value": "skip_review"}] if skip else []}
    }
    return {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": user},
        "api_app_id": "A1",
        "trigger_id": "trig-sub",
        "view": {
            "id": view_id,
            "type": "modal",
            "callback_id": "briefing",
            "team_id": "T1",
            "private_metadata": json.dumps({"channel": channel}),
            "state": {"values": values},
            "hash": "h",
        },
    }


def click(action: str, value: str, user: str = "U1") -> dict:
    """A block_actions payload for one button press, as Slack sends it."""
    return {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "trig-click",
        "channel": {"id": "C1"},
        "container": {"type": "message"},
        "message": {
            "ts": "1.1",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": "draft"}},
                {"type": "actions", "elements": []},
            ],
        },
        "actions": [{"action_id": action, "block_id": "b", "value": value, "type": "button"}],
    }


async def eventually(check, within: float = 10.0):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def run_jobs(settings) -> None:
    worker = Worker(**{**worker_settings(settings), "burst": True, "poll_delay": 0.1})
    await worker.main()
    await worker.close()


async def retry(web_client: SignedClient, redis, settings, task_id: str) -> None:
    """Press Retry on a failed task as its requester, and run the job that queues."""
    await web_client.interactive(click("retry_task", task_id))
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    await run_jobs(settings)


async def drafted(web_client: SignedClient, redis, settings, view_id: str = "VREV"):
    await web_client.interactive(submission(view_id=view_id, skip=False))
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    await run_jobs(settings)
    return await TaskStore(redis).get(view_id.lower())


def feedback_submission(view: dict, text: str) -> dict:
    """The feedback modal submitted with `text`, as Slack sends it."""
    state = {"values": {"feedback": {"value": {"type": "plain_text_input", "value": text}}}}
    return {
        "type": "view_submission",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "view": {**view, "id": "VFEED", "state": state},
    }


async def jobs(redis) -> list[str]:
    return [j.decode() for j in await redis.zrange("arq:queue", 0, -1)]


def start_bot(
    slack_url: str, redis_url: str, tmp: Path, log: Path | None = None, command: str = "worker", **extra: str
) -> subprocess.Popen:
    """`python -m bot <command>` as its own process, set up for the emulator and `redis_url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS_", "OMA_", "OPENAI_"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack_url + "/api/",
            "REDIS_URL": redis_url,
            "OMA_JOB_TIMEOUT": "30",
            "OMA_VIDEO_HEIGHT": "240",
            "OMA_WORK_DIR": str(tmp / "work"),
            "OMA_OUTPUT_DIR": str(tmp / "out"),
            "OMA_PROGRESS_INTERVAL": "0.2",
            "OMA_LOG_LEVEL": "WARNING",
            "OMA_LOG_FORMAT": "text",
            **extra,
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot", command],
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w") if log else subprocess.DEVNULL,
    )


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, within: float = 30) -> int | None:
    """Signal a bot process and wait for it; killed if it outlives `within`. Its exit code."""
    proc.send_signal(sig)
    try:
        return proc.wait(within)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


APP_TOKEN = "xapp-1-A111-222-" + "c" * 64


BRIEFING = Briefing(
    title="Meet Nimbus", description="Nimbus keeps files in sync. It works offline.", duration=40
)


def draft(revision: int = 1, change: int | None = None) -> Draft:
    script = write_offline(BRIEFING)
    if change is not None:
        scenes = list(script.scenes)
        scenes[change] = scenes[change].model_copy(update={"narration": "Different words entirely."})
        script = script.model_copy(update={"scenes": scenes})
    board = plan_offline(BRIEFING, script, 30)
    return Draft(
        briefing=BRIEFING,
        script=script,
        storyboard=board,
        contact_sheet=Path("s.png"),
        revision=revision,
        work_dir=Path("w"),
        estimated_render_seconds=12,
    )


async def listeners_settled(within: float = 10.0) -> None:
    """Wait until the web app served in this process has no Slack listener still running after
    its ack (Bolt runs each in its own asyncio task): what they were going to do is done."""

    def settled() -> bool:
        return not any(
            t.get_coro().__qualname__.endswith("run_ack_function_asynchronously") for t in asyncio.all_tasks()
        )

    await eventually(settled, within)


def edit_submission(
    view: dict,
    text: dict[str, str] | None = None,
    picks: dict[str, str] | None = None,
    phrases: dict[str, str] | None = None,
    ticks: dict[str, list[str]] | None = None,
) -> dict:
    """The Edit scenes modal submitted as opened, but for `text` (block id -> words), picture
    `picks` (block id -> option value), stock `phrases` (block id -> text) and `ticks` (block id
    -> ticked values)."""
    text, picks, phrases, ticks = text or {}, picks or {}, phrases or {}, ticks or {}
    values: dict = {}
    for block in view["blocks"]:
        bid, element = block.get("block_id", ""), block.get("element", {})
        if bid[:1] in ("h", "n"):
            words = text.get(bid, element["initial_value"])
            values[bid] = {"value": {"type": "plain_text_input", "value": words}}
        elif bid[:1] == "s":
            values[bid] = {"value": {"type": "plain_text_input", "value": phrases.get(bid)}}
        elif bid[:1] == "m":
            chosen = picks.get(bid, element["initial_option"]["value"])
            values[bid] = {"value": {"type": "static_select", "selected_option": {"value": chosen}}}
        elif bid[:1] == "r":
            ticked = [{"value": v} for v in ticks.get(bid, [])]
            values[bid] = {"value": {"type": "checkboxes", "selected_options": ticked}}
    return {
        "type": "view_submission",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "trig-edit",
        "view": {**view, "id": "VEDIT", "state": {"values": values}},
    }
