"""Builds the parts web and worker share: the store, the queue, notifiers and the task service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from arq.connections import ArqRedis
from slack_sdk.web.async_client import AsyncWebClient

from bot.notifiers import Notifier, Silent
from bot.queue import Queue
from bot.ratelimit import RateLimiter
from bot.service import Rules, TaskService
from bot.settings import Settings
from bot.slack.thread import SlackThread
from bot.tasks import Task, TaskStore


@dataclass
class Core:
    store: TaskStore
    queue: Queue
    service: TaskService
    notifier: Callable[[Task], Notifier]
    slack_thread: SlackThread


def build_core(settings: Settings, redis: ArqRedis, slack: AsyncWebClient) -> Core:
    """One task service over Redis; a task from Slack reports in its thread, others stay silent."""
    store = TaskStore(redis, int(settings.result_ttl_days * 86400))
    queue = Queue(redis)
    thread, silent = SlackThread(slack), Silent()

    def notifier(task: Task) -> Notifier:
        return thread if task.channel else silent

    limiter = RateLimiter(redis, settings.rate_per_minute, settings.rate_per_hour)
    service = TaskService(store, queue, limiter, Rules(settings.revision_limit), notifier)
    return Core(store, queue, service, notifier, thread)
