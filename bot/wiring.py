"""Builds the parts web and worker share: the store, the queue, notifiers and the task service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from arq.connections import ArqRedis
from loguru import logger
from slack_sdk.web.async_client import AsyncWebClient

from bot.api.keys import KeyStore
from bot.api.metrics import Recorder
from bot.notifiers import Fields, Notifier, Silent
from bot.queue import Queue
from bot.ratelimit import RateLimiter
from bot.service import Rules, TaskService
from bot.settings import Settings
from bot.slack.thread import SlackThread
from bot.storage import Storage, open_storage
from bot.tasks import Task, TaskStore
from bot.webhook import WebhookNotifier
from pipeline import Draft


@dataclass
class Core:
    store: TaskStore
    queue: Queue
    service: TaskService
    notifier: Callable[[Task], Notifier]
    slack_thread: SlackThread
    keys: KeyStore
    storage: Storage


class Fanout:
    """One task's notifiers as one: the first one's answers count (its DeliveryError fails the
    task, its message ids are recorded); the others only listen, and their failures are logged."""

    def __init__(self, main: Notifier, *extras: Notifier) -> None:
        self.main, self.extras = main, extras

    async def _tell(self, hook: str, *args: object) -> None:
        for extra in self.extras:
            try:
                await getattr(extra, hook)(*args)
            except Exception:
                logger.exception("{} notifier failed in {}", type(extra).__name__, hook)

    def opened(self, task: Task) -> bool:
        return self.main.opened(task)

    async def on_created(self, task: Task) -> Fields:
        fields = await self.main.on_created(task)
        await self._tell("on_created", task)
        return fields

    async def on_started(self, task: Task) -> Fields:
        fields = await self.main.on_started(task)
        await self._tell("on_started", task)
        return fields

    async def on_progress(self, task: Task, phase: str, percent: int, eta: float | None) -> bool:
        shown = await self.main.on_progress(task, phase, percent, eta)
        await self._tell("on_progress", task, phase, percent, eta)
        return shown

    async def on_script(self, task: Task, draft: Draft) -> None:
        await self.main.on_script(task, draft)
        await self._tell("on_script", task, draft)

    async def on_draft(self, task: Task, draft: Draft, previous: Draft | None) -> Fields:
        fields = await self.main.on_draft(task, draft, previous)
        await self._tell("on_draft", task, draft, previous)
        return fields

    async def on_video(self, task: Task, video: Path, *rest: object) -> Fields:
        # *rest: whatever else the worker hands over with the video (its caption files)
        fields = await self.main.on_video(task, video, *rest)  # type: ignore[call-arg]
        await self._tell("on_video", task, video, *rest)
        return fields

    async def on_status(self, task: Task, hours: float | None = None) -> None:
        await self.main.on_status(task, hours)
        await self._tell("on_status", task, hours)


def build_core(settings: Settings, redis: ArqRedis, slack: AsyncWebClient) -> Core:
    """One task service over Redis. A task reports in its Slack thread when it has a channel
    (else nowhere), plus to its webhook when it has one; every task is counted for /metrics."""
    store = TaskStore(redis, int(settings.result_ttl_days * 86400))
    queue = Queue(redis)
    keys = KeyStore(redis)
    storage = open_storage(settings)
    thread, silent, recorder = SlackThread(slack), Silent(), Recorder(redis)

    async def webhook_secret(key_id: str) -> str | None:
        key = await keys.get(key_id)
        return key.webhook_secret if key is not None else None

    webhook = WebhookNotifier(
        store,
        webhook_secret,
        settings.webhook_allow_private,
        settings.webhook_timeout,
        settings.webhook_retry_seconds,
        link=storage.link,
    )

    def notifier(task: Task) -> Notifier:
        main: Notifier = thread if task.channel else silent
        return Fanout(main, recorder, webhook) if task.webhook_url else Fanout(main, recorder)

    limiter = RateLimiter(redis, settings.rate_per_minute, settings.rate_per_hour)
    service = TaskService(store, queue, limiter, Rules(settings.revision_limit), notifier)
    return Core(store, queue, service, notifier, thread, keys, storage)
