"""Webhooks: a task made through the HTTP API tells its caller when it needs review or is done.

Each event is a JSON POST signed like Slack signs its requests: `X-OMA-Timestamp` is the Unix
time and `X-OMA-Signature` is `v1=` + HMAC-SHA256(the key's webhook secret, `v1:{ts}:{body}`)
in hex. A receiver recomputes it over the raw body and refuses old timestamps (replays).
Delivery is retried with backoff for at most OMA_WEBHOOK_RETRY_SECONDS; every attempt is
recorded on the task. A webhook is extra: its failure never fails the video.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import socket
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from loguru import logger

from bot.notifiers import Silent
from bot.storage import download_link
from bot.tasks import Status, Task, TaskStore, WebhookAttempt

MAX_ATTEMPTS_KEPT = 50
NEEDS_REVIEW = "video.needs_review"
EVENTS = {
    Status.AWAITING_REVIEW: NEEDS_REVIEW,
    Status.DELIVERED: "video.delivered",
    Status.FAILED: "video.failed",
    Status.CANCELLED: "video.cancelled",
    Status.EXPIRED: "video.expired",
}


class UnsafeTarget(ValueError):
    """The URL may not receive webhooks; the message says why."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), b"v1:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _refuse(host: str) -> UnsafeTarget:
    return UnsafeTarget(
        f"webhook_url's host {host} is a loopback, private or link-local address "
        "(set OMA_WEBHOOK_ALLOW_PRIVATE=true to allow it)"
    )


class PinnedResolver(AbstractResolver):
    """Resolves a webhook's host once and answers only addresses that pass the check: aiohttp then
    connects to the very addresses checked, so a name that resolves elsewhere between a check and
    the connection (DNS rebinding) cannot reach a loopback, private or link-local address."""

    def __init__(self, allow_private: bool, inner: AbstractResolver | None = None) -> None:
        self.allow_private = allow_private
        self.inner = inner or aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            answers = await self.inner.resolve(host, port, family)
        except OSError as exc:
            raise UnsafeTarget(f"webhook_url's host {host} does not resolve") from exc
        if not answers:
            raise UnsafeTarget(f"webhook_url's host {host} does not resolve")
        # Every address, not only the first: aiohttp tries the next one when a connection fails.
        if not self.allow_private and any(_private(a["host"]) for a in answers):
            raise _refuse(host)
        return answers

    async def close(self) -> None:
        return None  # the inner resolver is its owner's to close (aiohttp's threaded one holds nothing)


def check_url(url: str) -> tuple[str, int]:
    """The host and port of a well-formed http(s) URL; UnsafeTarget when it is not one."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("webhook_url must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise UnsafeTarget("webhook_url must not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeTarget("webhook_url has an invalid port") from exc
    return parts.hostname, port


def check_literal(url: str, allow_private: bool) -> tuple[str, int]:
    """check_url, and the address itself when the host is one (aiohttp asks no resolver then)."""
    host, port = check_url(url)
    if not allow_private and _literal(host) and _private(host):
        raise _refuse(host)
    return host, port


async def guard(url: str, allow_private: bool, resolver: AbstractResolver | None = None) -> None:
    """Refuse URLs that resolve to loopback, private, link-local or other non-public addresses
    (SSRF: a caller must not make OMA post into its own network), unless allowed. Each delivery
    checks again, on the addresses it connects to (PinnedResolver)."""
    host, port = check_literal(url, allow_private)
    if not allow_private and not _literal(host):
        await PinnedResolver(False, resolver).resolve(host, port, socket.AF_UNSPEC)


class WebhookNotifier(Silent):
    """The Notifier of an API task with a webhook_url: posts needs-review and finished events
    (from on_status, once the record says so); every other hook is Silent's."""

    def __init__(
        self,
        store: TaskStore,
        secret_of: Any,
        allow_private: bool,
        timeout: float,
        retry_seconds: float,
        resolver: AbstractResolver | None = None,
        link: Any = None,
    ) -> None:
        self.store, self.secret_of = store, secret_of
        self.allow_private, self.timeout, self.retry_seconds = allow_private, timeout, retry_seconds
        self.resolver = resolver  # None: the system's (tests pass one they control)
        self.link = link  # async: the video's download link in the bucket (Storage.link), if any

    async def on_status(self, task: Task, hours: float | None = None) -> None:
        event = EVENTS.get(task.status)
        if event is not None:
            extra = {"revision": task.revision} if task.status is Status.AWAITING_REVIEW else {}
            await self.send(task, event, extra)

    async def send(self, task: Task, event: str, extra: dict[str, Any]) -> bool:
        """Post one event until it is taken (2xx) or the time is up; True when taken."""
        from bot.api.schemas import VideoOut  # the same shape GET /api/v1/videos/{id} returns

        if not task.webhook_url:
            return False
        secret = await self.secret_of(task.key_id)
        if secret is None:
            logger.warning("webhook skipped: key {} is gone", task.key_id)
            return False
        link = await download_link(self.link, task)
        body = json.dumps(
            {
                "id": uuid.uuid4().hex,
                "type": event,
                "created": time.time(),
                "data": {**VideoOut.of(task, download=link).model_dump(mode="json"), **extra},
            }
        ).encode()
        deadline, delay = time.monotonic() + self.retry_seconds, 0.5
        while True:
            attempt = await self._post(task.webhook_url, secret, body, event)
            await self._record(task.id, attempt)
            if attempt.ok:
                return True
            final = attempt.status_code is not None and 400 <= attempt.status_code < 500
            final = final and attempt.status_code not in (408, 429)
            if final or time.monotonic() + delay > deadline:
                logger.warning("webhook {} not delivered: {}", event, attempt.error)
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 15.0)

    async def _post(self, url: str, secret: str, body: bytes, event: str) -> WebhookAttempt:
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "OMA-Webhook/1",
            "X-OMA-Event": event,
            "X-OMA-Timestamp": ts,
            "X-OMA-Signature": sign(secret, ts, body),
        }
        try:
            # Checked at every attempt, not only when the task was made (a name may resolve
            # elsewhere by now), and on the addresses connected to: resolved once, by the pin.
            check_literal(url, self.allow_private)
            timeout = aiohttp.ClientTimeout(total=self.timeout)
            pin = PinnedResolver(self.allow_private, self.resolver)
            connector = aiohttp.TCPConnector(resolver=pin, use_dns_cache=False)
            async with (
                aiohttp.ClientSession(timeout=timeout, connector=connector) as session,
                session.post(url, data=body, headers=headers, allow_redirects=False) as resp,
            ):
                await resp.read()
                ok = 200 <= resp.status < 300
                error = None if ok else f"the receiver answered {resp.status}"
                return WebhookAttempt(
                    event=event, at=time.time(), status_code=resp.status, ok=ok, error=error
                )
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            return WebhookAttempt(event=event, at=time.time(), error=f"{type(exc).__name__}: {exc}"[:300])

    async def _record(self, task_id: str, attempt: WebhookAttempt) -> None:
        task = await self.store.get(task_id)
        if task is not None:
            kept = [*task.webhook_attempts, attempt][-MAX_ATTEMPTS_KEPT:]
            await self.store.update(task_id, webhook_attempts=kept)
