"""The arq queue: job names, their arguments and job ids, in one place for both sides.

Job ids double as idempotency keys: arq refuses a second job with an id it still holds, so a
double click, a Slack retry, a replayed API call or the lost-job sweep enqueues one job.
Arguments are ids and JSON-able values only, so a model change between deploys never breaks a
queued job.

A queued task records the job it waits for (`Job`, in the same atomic update that queues it),
so a job whose enqueue was lost (Redis failed between the two) is sent again by a cron.
"""

from __future__ import annotations

import time
from typing import Any

from arq.connections import ArqRedis
from pydantic import BaseModel

from bot.heartbeat import WORKER_TTL, WORKERS

GENERATE = "generate"
REVISE = "revise"
RENDER = "render_approved"
QUEUE_KEY = "arq:queue"


class Job(BaseModel):
    """One arq job as data: its function, arguments and id."""

    name: str
    args: list[Any]
    id: str


def generate(task_id: str, attempt: int = 0) -> Job:
    """A new task (attempt 0), or Retry of attempt N: the stage that failed, run again."""
    return Job(name=GENERATE, args=[task_id], id=task_id if attempt == 0 else f"{task_id}-retry{attempt}")


def revise(task_id: str, base: int, feedback: str | None, edits: list[dict] | None = None) -> Job:
    """Revision `base` + 1 from feedback, or exact scene edits, on revision `base`."""
    return Job(name=REVISE, args=[task_id, feedback, base, edits], id=f"{task_id}-revise{base}")


def render(task_id: str, revision: int) -> Job:
    """Render the approved `revision`."""
    return Job(name=RENDER, args=[task_id], id=f"{task_id}-render{revision}")


class Queue:
    """Sends jobs to arq and tells how many wait."""

    def __init__(self, redis: ArqRedis) -> None:
        self.redis = redis

    async def send(self, job: Job) -> bool:
        """Enqueue `job`; False when arq holds a job with its id already (queued, running, or
        finished within arq's keep-result time)."""
        return await self.redis.enqueue_job(job.name, *job.args, _job_id=job.id) is not None

    async def depth(self) -> int:
        return int(await self.redis.zcard(QUEUE_KEY))

    async def depth_and_workers(self) -> tuple[int, int]:
        """The jobs waiting and the workers alive (a heartbeat under WORKER_TTL old), in one round
        trip: /video stats, the API's stats and /health ask for both."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(QUEUE_KEY)
            pipe.zcount(WORKERS, time.time() - WORKER_TTL, "+inf")
            depth, workers = await pipe.execute()
        return int(depth), int(workers)
