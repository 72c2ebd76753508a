"""Workers stopped mid-render (SIGKILL, SIGTERM): the job still runs to one delivery."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.tasks import Status, TaskStore
from tests.bot.conftest import BOT_TOKEN, SECRET, SignedClient, submission
from tests.bot.test_web import eventually


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


async def test_sigkill_mid_render_is_rerun_and_delivered_once(
    web_client: SignedClient, slack, redis, redis_server, tmp_path: Path
) -> None:
    await web_client.interactive(submission(view_id="VKILL", duration="90"))
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    first = start_bot(slack.url, redis_server.url, tmp_path)
    try:
        await eventually(
            lambda: any("Encoding" in u.get("text", "") for u in slack.called("chat.update")), within=90
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert not slack.called("files.completeUploadExternal")
    killed_at = time.monotonic()
    finished = {
        p: p.stat().st_mtime_ns
        for p in (tmp_path / "work" / "vkill").rglob("pieces/*.mp4")
        if not p.name.startswith(".tmp-")  # a killed ffmpeg's partial output is not finished
    }
    voices = {p: p.stat().st_mtime_ns for p in (tmp_path / "work" / "vkill").rglob("voice/*.wav")}
    updates_before = len(slack.called("chat.update"))
    second = start_bot(slack.url, redis_server.url, tmp_path)
    try:
        # arq's in-progress lease is the job timeout + 10 s; then the job runs again.
        await eventually(
            lambda: any(
                "Encoding" in u.get("text", "") for u in slack.called("chat.update")[updates_before:]
            ),
            within=120,
        )
        # The re-run resumed: narration and the pieces finished before the kill were reused, not
        # redone. (Checked now: the working folder goes once the video is delivered.)
        assert voices and all(p.stat().st_mtime_ns == t for p, t in voices.items())
        assert all(p.stat().st_mtime_ns == t for p, t in finished.items())
        await eventually(lambda: slack.called("files.completeUploadExternal"), within=60)
        await asyncio.sleep(1)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    assert time.monotonic() - killed_at < 120
    assert len(slack.called("files.completeUploadExternal")) == 1
    task = await TaskStore(redis).get("vkill")
    assert task is not None and task.status is Status.DELIVERED and task.attempts == 2


async def _mid_render(web_client: SignedClient, slack, redis, redis_server, tmp: Path, view_id: str, **extra):
    await web_client.interactive(submission(view_id=view_id, duration="60"))
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    worker = start_bot(slack.url, redis_server.url, tmp, **extra)
    await eventually(
        lambda: any("Encoding" in u.get("text", "") for u in slack.called("chat.update")), within=90
    )
    return worker


async def test_sigterm_past_the_grace_requeues_without_using_a_try(
    web_client: SignedClient, slack, redis, redis_server, tmp_path: Path
) -> None:
    first = await _mid_render(
        web_client, slack, redis, redis_server, tmp_path, "VTERM", OMA_SHUTDOWN_GRACE="0", OMA_MAX_TRIES="1"
    )
    assert stop(first, within=20) == 0
    assert not slack.called("files.completeUploadExternal")
    # Back in the queue at once (no lease to wait out), and its one allowed try is still unused.
    assert await redis.zscore("arq:queue", "vterm") is not None
    assert int(await redis.get("arq:retry:vterm") or 0) == 0
    second = start_bot(slack.url, redis_server.url, tmp_path, OMA_MAX_TRIES="1")
    try:
        await eventually(lambda: slack.called("files.completeUploadExternal"), within=60)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    task = await TaskStore(redis).get("vterm")
    assert task is not None and task.status is Status.DELIVERED and task.attempts == 2


async def test_sigterm_within_the_grace_lets_the_job_finish(
    web_client: SignedClient, slack, redis, redis_server, tmp_path: Path
) -> None:
    worker = await _mid_render(
        web_client, slack, redis, redis_server, tmp_path, "VGRACE", OMA_SHUTDOWN_GRACE="120"
    )
    # The worker exits by itself once the job is done, well before the grace runs out.
    assert stop(worker, within=110) == 0
    assert len(slack.called("files.completeUploadExternal")) == 1
    task = await TaskStore(redis).get("vgrace")
    assert task is not None and task.status is Status.DELIVERED and task.attempts == 1
    assert await redis.zscore("arq:queue", "vgrace") is None
