"""Dockerfile, compose.yaml, the CI workflow and pre-commit: linted, and their claims checked here.

No image is built and no container runs on this machine (no Docker daemon): what can run here
does (the health check command, compose's Redis settings, the pre-commit hooks).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from aiohttp import web
from arq.connections import create_pool

from bot.embedded_redis import free_port, redis_binary
from bot.redis_conn import redis_settings, warn_if_volatile
from tests.deploy.support import ROOT, tool, wait_for

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _run(*cmd: str, cwd: Path = ROOT, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60, **kw)


def _readme_command(after: str) -> str:
    """The first shell command in the README after the line that starts with `after`."""
    text = (ROOT / "README.md").read_text()
    block = re.search(re.escape(after) + r".*?```sh\n(.*?)\n```", text, re.S)
    assert block, f"no command after {after!r} in the README"
    return block.group(1).strip()


def test_hadolint_passes_and_would_catch_a_bad_line(tmp_path: Path) -> None:
    done = _run(tool("hadolint"), "Dockerfile")
    assert done.returncode == 0, done.stdout + done.stderr
    bad = tmp_path / "Dockerfile"
    bad.write_text(DOCKERFILE.replace("USER 10001:10001", "RUN apt-get install ffmpeg\nUSER 10001:10001"))
    assert _run(tool("hadolint"), str(bad)).returncode != 0


def test_the_image_is_the_readme_set_up_run_by_a_non_root_user() -> None:
    stages = re.findall(r"^FROM (\S+)", DOCKERFILE, re.M)
    assert len(stages) == 2 and all(s.startswith("python:${PYTHON_VERSION}-slim") for s in stages)
    # The RUN that installs is the README's set-up command, character for character.
    assert _readme_command("## Set up") in DOCKERFILE.replace("\\\n    ", "")
    final = DOCKERFILE.split("\nFROM ")[-1]
    user = re.search(r"^USER (\d+):(\d+)$", final, re.M)
    assert user and int(user.group(1)) > 0
    assert re.search(r'^CMD \["python", "-m", "bot", "web"\]$', final, re.M)
    procfile = (ROOT / "Procfile").read_text()
    assert "web: python -m bot web" in procfile and "worker: python -m bot worker" in procfile


def _healthcheck() -> list[str]:
    line = re.search(r"^HEALTHCHECK [^\n]*\\\n\s*CMD (\[[^\n]*\])$", DOCKERFILE, re.M)
    assert line, "no HEALTHCHECK ... CMD [...]"
    return json.loads(line.group(1))


@pytest.mark.parametrize("status", [200, 503])
async def test_the_health_check_asks_health_on_port(status: int) -> None:
    hits: list[str] = []

    async def health(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.json_response({"status": "ok" if status == 200 else "down"}, status=status)

    app = web.Application()
    app.router.add_get("/health", health)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        cmd = _healthcheck()
        assert cmd[0] == "python"
        proc = await _async_run([sys.executable, *cmd[1:]], {"PORT": str(port)})
    finally:
        await runner.cleanup()
    assert hits == ["/health"]
    assert (proc == 0) is (status == 200)


async def _async_run(cmd: list[str], env: dict[str, str]) -> int:
    proc = await asyncio.create_subprocess_exec(
        *cmd, env={**os.environ, **env}, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    return await asyncio.wait_for(proc.wait(), 20)


def _compose_config(path: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    return _run(
        tool("docker-compose"), "-f", str(path), "--env-file", str(empty), "config", "--format", "json"
    )


def test_compose_is_valid_and_scales_workers(tmp_path: Path) -> None:
    done = _compose_config(ROOT / "compose.yaml", tmp_path)
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    services = config["services"]
    assert set(services) == {"redis", "web", "worker"}
    worker, web_app, redis = services["worker"], services["web"], services["redis"]
    assert worker["command"] == ["python", "-m", "bot", "worker"]
    assert web_app["command"] == ["python", "-m", "bot", "web"]
    # --scale worker=N needs a worker with no fixed name and no host port.
    assert "container_name" not in worker and not worker.get("ports")
    assert worker["healthcheck"]["disable"] is True
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(v["target"] == "/data" and v["type"] == "volume" for v in redis["volumes"])
    for service in (web_app, worker):
        env = service["environment"]
        assert env["SLACK_BOT_TOKEN_FILE"].startswith("/run/secrets/")
        assert not {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"} & set(env)
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"

    broken = tmp_path / "compose.yaml"
    broken.write_text((ROOT / "compose.yaml").read_text().replace("stop_grace_period", "stop_grace"))
    assert _compose_config(broken, tmp_path).returncode != 0


async def test_compose_redis_settings_keep_a_queued_job_across_a_restart(tmp_path: Path) -> None:
    """The exact redis-server options from compose.yaml, on a real redis-server here."""
    command = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["redis"]["command"]
    assert command[0] == "redis-server"
    port = free_port()
    args = [redis_binary(), *command[1:], "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path)]

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _ping(port), 10, "redis-server")
        return proc

    proc = start()
    pool = await create_pool(redis_settings(f"redis://127.0.0.1:{port}/0"))
    try:
        assert await warn_if_volatile(pool) is False
        await pool.enqueue_job("render", "t1", _job_id="kept")
        proc.terminate()  # `docker compose restart redis` sends SIGTERM
        proc.wait(10)
        proc = start()
        assert await pool.zcard("arq:queue") == 1 and await pool.exists("arq:job:kept")
    finally:
        await pool.aclose()
        proc.terminate()
        proc.wait(10)


def _ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), 0.2) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(16).startswith(b"+PONG")


def test_the_workflow_runs_ci_and_passes_actionlint(tmp_path: Path) -> None:
    workflow = ROOT / ".github" / "workflows" / "ci.yml"
    done = _run(tool("actionlint"), str(workflow))
    assert done.returncode == 0, done.stdout + done.stderr
    job = yaml.safe_load(workflow.read_text())["jobs"]["test"]
    assert any(step.get("run") == "bash .ci/run" for step in job["steps"])
    assert "3.11" in job["strategy"]["matrix"]["python-version"]  # pyproject's requires-python floor

    typo = tmp_path / "ci.yml"
    typo.write_text(workflow.read_text().replace("matrix.python-version", "matrix.python_version"))
    assert _run(tool("actionlint"), str(typo)).returncode != 0


def test_pre_commit_runs_ruff_like_ci(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in (".pre-commit-config.yaml", "pyproject.toml"):
        (repo / name).write_text((ROOT / name).read_text())
    assert _run(tool("pre-commit"), "validate-config", cwd=repo).returncode == 0
    (repo / "ok.py").write_text('"""Fine."""\n\nVALUE = 1\n')
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    assert _run(*git, "init", "-q", cwd=repo).returncode == 0
    _run(*git, "add", ".", cwd=repo)
    clean = _run(tool("pre-commit"), "run", "--all-files", cwd=repo, env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "ruff check" in clean.stdout and "ruff format" in clean.stdout
    (repo / "bad.py").write_text("import os\nx=1\n")  # an unused import, and unformatted
    _run(*git, "add", ".", cwd=repo)
    assert _run(tool("pre-commit"), "run", "--all-files", cwd=repo, env=env).returncode != 0


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    lines = [ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines()]
    rules = [ln for ln in lines if ln and not ln.startswith("#")]
    assert rules[0] == "*"  # everything is left out unless named
    allowed = [r[1:].rstrip("/") for r in rules if r.startswith("!")]
    assert set(allowed) == {"pyproject.toml", "README.md", "bot", "pipeline", "examples"}
    for needed in re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE, re.M):
        for path in shlex.split(needed):
            assert path.rstrip("/") in allowed, path
