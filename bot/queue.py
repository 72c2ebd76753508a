"""The arq queue: job names, their arguments and job ids, in one place for both sides.

Job ids double as idempotency keys: arq refuses a second job with an id it still holds, so a
double click, a Slack retry or a replayed API call enqueues one job. Arguments are ids and
JSON-able values only, so a model change between deploys never breaks a queued job.
"""

from __future__ import annotations

from arq.connections import ArqRedis

GENERATE = "generate"
REVISE = "revise"
RENDER = "render_approved"
QUEUE_KEY = "arq:queue"


class Queue:
    """Typed enqueue helpers; each returns False when that job was already queued."""

    def __init__(self, redis: ArqRedis) -> None:
        self.redis = redis

    async def generate(self, task_id: str, attempt: int = 0) -> bool:
        """A new task (attempt 0), or Retry of attempt N: the stage that failed, run again."""
        job_id = task_id if attempt == 0 else f"{task_id}-retry{attempt}"
        return await self.redis.enqueue_job(GENERATE, task_id, _job_id=job_id) is not None

    async def revise(
        self, task_id: str, base: int, feedback: str | None, edits: list[dict] | None = None
    ) -> bool:
        """Revision `base` + 1 from feedback, or exact scene edits, on revision `base`."""
        job = await self.redis.enqueue_job(
            REVISE, task_id, feedback, base, edits, _job_id=f"{task_id}-revise{base}"
        )
        return job is not None

    async def render(self, task_id: str, revision: int) -> bool:
        """Render the approved `revision`."""
        job = await self.redis.enqueue_job(RENDER, task_id, _job_id=f"{task_id}-render{revision}")
        return job is not None

    async def depth(self) -> int:
        return int(await self.redis.zcard(QUEUE_KEY))
