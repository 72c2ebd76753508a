"""`oma dev` as a newcomer runs it: one process, no REDIS_URL, against the Slack emulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.bot.support import APP_TOKEN, BOT_TOKEN, SECRET, submission
from tests.conftest import free_port
from tests.media import probe


def clean_env() -> dict[str, str]:
    """This process's environment without any OMA, Slack, Redis or OpenAI setting."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS_", "OMA_", "OPENAI_"))}


class Dev:
    def __init__(self, folder: Path, slack_url: str | None, token: str = BOT_TOKEN, **extra: str) -> None:
        """`oma dev` in `folder`; with `slack_url` None it has no Slack settings at all."""
        self.port = free_port()
        env = clean_env()
        if slack_url is not None:
            env.update({"SLACK_BOT_TOKEN": token, "SLACK_SIGNING_SECRET": SECRET})
            env["SLACK_API_URL"] = slack_url + "/api/"
        env.update(
            {
                "PORT": str(self.port),
                "OMA_VIDEO_HEIGHT": "240",
                "OMA_ENV": "development",
                "OMA_PROGRESS_INTERVAL": "0.2",
                **extra,
            }
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "dev"],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_ready(self, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.stdout.read() if self.proc.stdout else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/ready", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("oma dev did not become ready")

    def submit(self, payload: dict) -> None:
        from urllib.parse import urlencode

        from tests.bot.conftest import SignedClient

        body = urlencode({"payload": json.dumps(payload)})
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/slack/events",
            data=body.encode(),
            headers=SignedClient.sign(body),
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.status == 200

    def stop(self, sig: int = signal.SIGTERM) -> str:
        self.proc.send_signal(sig)
        out, _ = self.proc.communicate(timeout=30)
        return out


def wait_for(check, within: float = 60):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_dev_renders_and_uploads_with_embedded_redis(tmp_path: Path, slack) -> None:
    dev = Dev(tmp_path, slack.url)
    try:
        dev.wait_ready()
        dev.submit(submission(view_id="VDEV1"))
        done = wait_for(lambda: slack.called("files.completeUploadExternal"))
        video = tmp_path / "got.mp4"
        video.write_bytes(slack.uploads[done[0]["files"][0]["id"]])
        assert abs(probe(video).duration - 15) <= 0.1
    finally:
        out = dev.stop()
    assert dev.proc.returncode == 0, out
    assert "Redis embedded at redis://127.0.0.1:" in out and "workspace OMA Test" in out
    assert (tmp_path / ".oma" / "redis").is_dir()


def test_sigterm_mid_render_then_restart_delivers_once(tmp_path: Path, slack) -> None:
    dev = Dev(tmp_path, slack.url)
    dev.wait_ready()
    dev.submit(submission(view_id="VDEV2", duration="90"))
    # Stop while the video is being encoded.
    wait_for(lambda: any("Encoding" in p.get("text", "") for p in slack.called("chat.update")), within=90)
    dev.stop()
    assert not slack.called("files.completeUploadExternal")

    again = Dev(tmp_path, slack.url)
    try:
        again.wait_ready()
        wait_for(lambda: slack.called("files.completeUploadExternal"), within=120)
        time.sleep(1.0)
        assert len(slack.called("files.completeUploadExternal")) == 1
    finally:
        again.stop()


@pytest.mark.parametrize("token", ["xoxb-wrong-token-123", "not-a-token"])
def test_wrong_token_is_one_plain_sentence(tmp_path: Path, slack, token: str) -> None:
    dev = Dev(tmp_path, slack.url, token=token)
    out, _ = dev.proc.communicate(timeout=30)
    assert dev.proc.returncode != 0
    assert "SLACK_BOT_TOKEN" in out and "manifest.yml" in out
    assert "Traceback" not in out and token not in out


def test_dev_in_socket_mode_takes_requests_over_the_websocket(tmp_path: Path, slack) -> None:
    dev = Dev(tmp_path, slack.url, SLACK_APP_TOKEN=APP_TOKEN)
    try:
        dev.wait_ready()
        wait_for(lambda: slack.sockets, 30)
        envelope = slack.push("interactive", submission(view_id="VDEVSOCK"))
        assert wait_for(lambda: slack.acked(envelope), 10)
        done = wait_for(lambda: slack.answered("files.completeUploadExternal"), 120)
    finally:
        out = dev.stop()
    assert len(done) == 1 and "OMA dev: Socket Mode" in out
    assert APP_TOKEN not in out and BOT_TOKEN not in out


def oma(folder: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=folder, env=clean_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_without_slack_dev_serves_the_http_api_with_a_key_made_before_or_during(tmp_path: Path) -> None:
    token = oma(tmp_path, "api-key", "create", "--name", "ci").splitlines()[1]
    dev = Dev(tmp_path, None)
    try:
        dev.wait_ready()
        assert "ci" in oma(tmp_path, "api-key", "list")  # the running dev's Redis, through its url file
        base, auth = f"http://127.0.0.1:{dev.port}/api/v1/videos", {"Authorization": f"Bearer {token}"}
        brief = {"title": "Meet Nimbus", "description": "Nimbus keeps your files in sync.", "duration": 15}
        req = urllib.request.Request(
            base, data=json.dumps(brief).encode(), headers={**auth, "Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            task = json.load(r)

        def delivered() -> dict | None:
            with urllib.request.urlopen(urllib.request.Request(f"{base}/{task['id']}", headers=auth)) as r:
                body = json.load(r)
            assert body["status"] != "failed", body
            return body if body["status"] == "delivered" else None

        wait_for(delivered, within=90)
        video = tmp_path / "got.mp4"
        with urllib.request.urlopen(urllib.request.Request(f"{base}/{task['id']}/file", headers=auth)) as r:
            video.write_bytes(r.read())
        assert abs(probe(video).duration - 15) <= 0.1
    finally:
        out = dev.stop()
    assert "HTTP API only (Slack not configured)" in out, out
    assert not (tmp_path / ".oma" / "redis" / "url").exists()  # gone with the server
