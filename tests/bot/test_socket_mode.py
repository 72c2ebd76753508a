"""Socket Mode: `python -m bot web` with SLACK_APP_TOKEN serves the same listeners over the
emulator's WebSocket, and still answers the health routes on $PORT."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import aiohttp

from tests.bot.support import APP_TOKEN, eventually, start_bot, submission
from tests.conftest import free_port


def command(text: str) -> dict:
    return {
        "token": "unused",
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "U1",
        "command": "/video",
        "text": text,
        "response_url": "http://127.0.0.1:9/unused",
        "trigger_id": f"trig-{time.monotonic_ns()}",
    }


async def test_socket_mode_serves_commands_and_submissions(
    slack, redis, redis_server, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "web.log"
    web = start_bot(
        slack.url,
        redis_server.url,
        tmp_path,
        log,
        "web",
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_SIGNING_SECRET="",
        PORT=str(port),
    )
    try:
        await eventually(lambda: slack.sockets, within=30)
        assert slack.called("apps.connections.open")

        help_id = slack.push("slash_commands", command("help"))
        ack = await eventually(lambda: slack.acked(help_id))
        assert "/video status" in json.dumps(ack["payload"]["blocks"])

        slack.push("slash_commands", command(""))
        opened = await eventually(lambda: slack.called("views.open"))
        assert opened[0]["view"]["callback_id"] == "briefing"

        sub_id = slack.push("interactive", submission(view_id="VSOCK"))
        ack = await eventually(lambda: slack.acked(sub_id))
        assert "errors" not in json.dumps(ack)
        assert await eventually(lambda: redis.zscore("arq:queue", "vsock"))
        root = await eventually(lambda: slack.called("chat.postMessage"))
        assert "vsock" in json.dumps(root[0])

        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/health") as r:
            assert r.status == 200 and (await r.json())["components"]["redis"]["status"] == "ok"
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(20)
    assert APP_TOKEN not in log.read_text()
