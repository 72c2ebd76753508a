"""One log stream: aiohttp's, Bolt's and our own lines are loguru JSON with the request id."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from tests.bot.support import BOT_TOKEN, SignedClient, eventually, start_bot
from tests.conftest import free_port


async def test_web_logs_are_one_json_stream_with_request_ids(slack, redis_server, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "web.log"
    web = start_bot(
        slack.url,
        redis_server.url,
        tmp_path,
        log,
        "web",
        PORT=str(port),
        OMA_LOG_FORMAT="json",
        OMA_LOG_LEVEL="INFO",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:

            async def up() -> bool:
                try:
                    async with session.get(base + "/ping") as r:
                        return r.status == 200
                except aiohttp.ClientError:
                    return False

            await eventually(up, within=30)
            async with session.get(base + "/nowhere", headers={"X-Request-ID": "probe-404"}) as r:
                assert r.status == 404 and r.headers["X-Request-ID"] == "probe-404"
            async with session.post(
                base + "/slack/events", data=b"{", headers={"X-Request-ID": "bad <id>"}
            ) as r:
                assert r.status == 401
                generated = r.headers["X-Request-ID"]
            assert generated != "bad <id>" and len(generated) == 16
            # A signed command OMA has no listener for: Bolt's own (stdlib) warning about it.
            body = urlencode({"command": "/other", "user_id": "U1", "channel_id": "C1", "trigger_id": "t"})
            headers = {**SignedClient.sign(body), "X-Request-ID": "probe-bolt"}
            async with session.post(base + "/slack/events", data=body, headers=headers) as r:
                assert r.status == 404
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(20)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = [json.loads(line)["record"] for line in lines]  # every line is JSON
    access = {
        r["extra"].get("request"): r["message"] for r in records if r["message"].startswith(("GET", "POST"))
    }
    assert access["probe-404"].startswith("GET /nowhere 404")
    assert access[generated].startswith("POST /slack/events 401")
    bolt = [
        r for r in records if r["name"].startswith("slack_bolt") and r["extra"].get("request") == "probe-bolt"
    ]
    assert bolt and bolt[0]["level"]["name"] == "WARNING"
    text = log.read_text()
    assert "will be unused" not in text and BOT_TOKEN not in text
