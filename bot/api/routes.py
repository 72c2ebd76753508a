"""The HTTP API's handlers: parse and check the request, call the task service, answer JSON.

Like the Slack listeners, these are a thin adapter: every status change goes through
TaskService, and its errors become HTTP statuses here.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from loguru import logger
from pydantic import ValidationError

from bot.api.auth import Gate
from bot.api.errors import REQUEST_ID, ApiError, invalid, not_found
from bot.api.keys import ApiKey
from bot.api.metrics import eta_of
from bot.api.schemas import (
    BATCH_MAX,
    ApproveRequest,
    BatchOut,
    ReviseRequest,
    StatsOut,
    VideoList,
    VideoOut,
    VideoRequest,
)
from bot.housekeeping import remove
from bot.service import LimitReached, NotFound, NotRetryable, RateLimited, Stale
from bot.settings import Settings
from bot.stats import totals_of
from bot.storage import OutputFolder, download_link
from bot.streams import read_capped
from bot.tasks import ACTIVE, Status, Task, new_task_id
from bot.webhook import UnsafeTarget, guard
from bot.wiring import Core
from pipeline.batch import BatchError, check_item, parse_json, read_items
from pipeline.edits import check_edits


@dataclass
class Api:
    settings: Settings
    core: Core
    gate: Gate

    # --- helpers -------------------------------------------------------------------------------

    async def body(self, request: web.Request) -> bytes:
        """The raw body, at most OMA_API_MAX_BODY_KB (413 past it), read before any parsing."""
        limit = self.settings.api_max_body_kb * 1024
        if request.content_length is not None and request.content_length > limit:
            raise _too_large(limit)
        data = await read_capped(request.content, limit)
        if data is None:
            raise _too_large(limit)
        return data

    async def json_body(self, request: web.Request, empty_ok: bool = False) -> Any:
        raw = await self.body(request)
        if not raw.strip() and empty_ok:
            return {}
        try:
            return parse_json(raw)
        except BatchError as exc:
            raise ApiError(422, exc.code, exc.message, exc.details) from exc

    async def owned(self, key: ApiKey, task_id: str) -> Task:
        """The key's own task; another key's task is as absent as a task that never was (404)."""
        task = await self.core.store.get(task_id) if _sane_id(task_id) else None
        if task is None or task.key_id != key.id:
            raise not_found()
        return task

    async def view(self, task: Task) -> VideoOut:
        draft = None
        if task.revision and task.status in (Status.AWAITING_REVIEW, Status.DELIVERED, Status.QUEUED):
            work = self.settings.task_dir(task.id)
            draft = await self.core.store.get_draft(task.id, task.revision, work)
        # The worker estimates as it runs: a task no job has begun (a new one) has no estimate yet.
        running = task.status in ACTIVE and task.started is not None
        eta = await eta_of(self.core.store.redis, task.id) if running else None
        return VideoOut.of(task, draft, eta, await download_link(self.core.storage.link, task))

    async def check_request(self, req: VideoRequest, key: ApiKey, where: str = "") -> None:
        if req.webhook_url:
            try:
                await guard(req.webhook_url, self.settings.webhook_allow_private)
            except UnsafeTarget as exc:
                raise ApiError(
                    422,
                    "invalid_request",
                    "The request has invalid fields; see details.",
                    {f"{where}webhook_url": str(exc)},
                ) from exc
        if req.slack_channel and not self.settings.slack_configured():
            why = "Slack is not configured on this server (SLACK_BOT_TOKEN): leave slack_channel out."
            raise ApiError(422, "invalid_request", why, {f"{where}slack_channel": why})
        allowed = self.settings.allowed_channels
        if req.slack_channel and allowed and req.slack_channel not in allowed:
            why = "OMA isn't enabled in that Slack channel (OMA_ALLOWED_CHANNELS)."
            raise ApiError(403, "forbidden", why, {f"{where}slack_channel": why})

    def new_task(
        self, req: VideoRequest, key: ApiKey, task_id: str, request: web.Request, batch=None
    ) -> Task:
        return Task(
            id=task_id,
            user=key.owner,
            key_id=key.id,
            channel=req.slack_channel or "",
            briefing=req.briefing(),
            skip_review=req.skip_review,
            webhook_url=req.webhook_url,
            batch_id=batch,
            request_id=request.get(REQUEST_ID, "")[:40],
        )

    async def admit(self, key: ApiKey) -> None:
        try:
            await self.core.service.admit(key.owner)
        except RateLimited as exc:
            raise ApiError(
                429, "rate_limited", str(exc), headers={"Retry-After": str(max(1, int(exc.wait)))}
            ) from exc

    # --- videos --------------------------------------------------------------------------------

    async def create_video(self, request: web.Request) -> web.Response:
        key = await self.gate.check(request)
        data = await self.json_body(request)
        if not isinstance(data, dict):
            raise ApiError(422, "invalid_request", "The body must be a JSON object (a briefing).")
        try:
            req = VideoRequest.model_validate(data)
        except ValidationError as exc:
            raise invalid(exc) from exc
        await self.check_request(req, key)
        idem = request.headers.get("Idempotency-Key", "")
        if idem:
            if len(idem) > 200:
                raise ApiError(
                    422,
                    "invalid_request",
                    "Idempotency-Key is at most 200 characters.",
                    {"Idempotency-Key": "at most 200 characters"},
                )
            task_id = hashlib.sha256(f"{key.id}\0{idem}".encode()).hexdigest()[:12]
            if (existing := await self.core.store.get(task_id)) is not None:
                return await self.replay(existing, req, key)
        else:
            task_id = new_task_id()
        await self.admit(key)
        task = self.new_task(req, key, task_id, request)
        with logger.contextualize(task=task.id):
            made = await self.core.service.create(task)
        if made is None:  # the same Idempotency-Key raced itself
            return await self.replay(await self.owned(key, task_id), req, key)
        return web.json_response((await self.view(made)).model_dump(mode="json"), status=202)

    async def replay(self, task: Task, req: VideoRequest, key: ApiKey) -> web.Response:
        if task.key_id != key.id or task.briefing != req.briefing():
            raise ApiError(409, "idempotency_conflict", "This Idempotency-Key was used for another request.")
        body = (await self.view(task)).model_dump(mode="json")
        return web.json_response(body, status=200, headers={"Idempotent-Replayed": "true"})

    async def get_video(self, request: web.Request) -> web.Response:
        key = await self.gate.check(request)
        task = await self.owned(key, request.match_info["id"])
        return web.json_response((await self.view(task)).model_dump(mode="json"))

    async def list_videos(self, request: web.Request) -> web.Response:
        key = await self.gate.check(request)
        q = request.query
        details: dict[str, str] = {}
        try:
            limit = int(q.get("limit", "20"))
            if not 1 <= limit <= 100:
                raise ValueError
        except ValueError:
            details["limit"], limit = "limit must be a whole number from 1 to 100", 20
        status = q.get("status")
        if status is not None and status not in Status.__members__.values():
            details["status"] = f"status must be one of: {', '.join(s.value for s in Status)}"
        after = None
        if "cursor" in q:
            after = _read_cursor(q["cursor"])
            if after is None:
                details["cursor"] = "cursor is not one this API gave out"
        if details:
            raise ApiError(422, "invalid_request", "The query has invalid parameters; see details.", details)
        rows = await self.core.store.page(
            key.owner, limit, after, (lambda t: t.status.value == status) if status else None
        )
        videos = [
            VideoOut.of(task, download=await download_link(self.core.storage.link, task)) for task, _ in rows
        ]
        cursor = _write_cursor(rows[-1][1], rows[-1][0].id) if len(rows) == limit else None
        return web.json_response(VideoList(videos=videos, next_cursor=cursor).model_dump(mode="json"))

    async def delete_video(self, request: web.Request) -> web.Response:
        key = await self.gate.check(request)
        task = await self.owned(key, request.match_info["id"])
        if task.status in ACTIVE:
            with contextlib.suppress(Stale, NotFound):  # it finished meanwhile: deleted all the same
                await self.core.service.cancel(task.id, key.owner)
        # The files first: if the bucket is away, the record stays and DELETE can be sent again.
        await self.core.storage.delete(task.id)
        await self.core.store.delete(task.id)
        # Off the event loop: a working folder can be large, and this loop also acks Slack.
        await asyncio.to_thread(remove, self.settings.task_dir(task.id))
        return web.Response(status=204)

    async def approve(self, request: web.Request) -> web.Response:
        key = await self.gate.check(request)
        task = await self.owned(key, request.match_info["id"])
        try:
            req = ApproveRequest.model_validate(await self.json_body(request, empty_ok=True))
        except ValidationError as exc:
            raise invalid(exc) from exc
        if task.status is not Status.AWAITING_REVIEW:
            raise _not_now(task, "approved")
        try:
            moved = await self.core.service.approve(task.id, req.revision or task.revision, key.owner)
        except Stale as exc:
            raise ApiError(409, "conflict", str(exc)) from exc
        return web.json_response((await self.view(moved)).model_dump(mode="json"), status=202)

    async def revise(self, request: web.Request) -> web.Response:
        key = await self.gate.check(request)
        task = await self.owned(key, request.match_info["id"])
        try:
            req = ReviseRequest.model_validate(await self.json_body(request))
        except ValidationError as exc:
            raise invalid(exc) from exc
        if task.status not in (Status.AWAITING_REVIEW, Status.DELIVERED):
            raise _not_now(task, "revised")
        revision = req.revision or task.revision
        edits = None
        if req.edits is not None:
            draft = await self.core.store.get_draft(task.id, revision, self.settings.task_dir(task.id))
            if draft is None:
                raise ApiError(409, "conflict", f"Revision {revision} of this video has no draft to edit.")
            files = {m.key: m.name for m in draft.media}  # as the Slack form checks them
            problems = check_edits(draft.script, draft.storyboard, req.edits, draft.briefing.duration, files)
            if problems:
                # Named by the edit's place in the list, as pydantic names nested fields (edits.0).
                where = {e.number: i for i, e in enumerate(req.edits)}
                details = {
                    (f"edits.{where[n]}" if n in where else "edits"): why for n, why in problems.items()
                }
                raise ApiError(422, "invalid_edits", "Some scene edits cannot be made; see details.", details)
            edits = [e.model_dump() for e in req.edits]
        feedback = req.feedback.strip() if req.feedback else None
        try:
            moved = await self.core.service.revise(task.id, revision, key.owner, feedback, edits)
        except (Stale, LimitReached) as exc:
            raise ApiError(409, "conflict", str(exc)) from exc
        return web.json_response((await self.view(moved)).model_dump(mode="json"), status=202)

    async def retry(self, request: web.Request) -> web.Response:
        key = await self.gate.check(request)
        task = await self.owned(key, request.match_info["id"])
        try:
            moved = await self.core.service.retry(task.id, key.owner)
        except (Stale, NotRetryable) as exc:
            raise ApiError(409, "conflict", str(exc)) from exc
        return web.json_response((await self.view(moved)).model_dump(mode="json"), status=202)

    async def file(self, request: web.Request) -> web.StreamResponse:
        key = await self.gate.check(request)
        task = await self.owned(key, request.match_info["id"])
        if task.status is not Status.DELIVERED:
            raise _not_now(task, "downloaded")
        if not await self.core.storage.exists(task.id):
            raise ApiError(404, "file_gone", "The video file was removed to free space; ask for a revision.")
        if (link := await self.core.storage.link(task.id)) is not None:  # StorageError: a 503
            # A redirect to the bucket rather than a stream through here: the bytes (and Range
            # requests) go from the bucket to the caller, and no web process holds a download open.
            return web.Response(status=307, headers={"Location": link, "Cache-Control": "no-store"})
        path = OutputFolder(self.settings.output_dir).path(task.id)
        headers = {
            "Content-Disposition": f'attachment; filename="{task.id}.mp4"',
            "Content-Type": "video/mp4",
        }
        return web.FileResponse(path, headers=headers)

    async def stats(self, request: web.Request) -> web.Response:
        key = await self.gate.check(request)
        rows = await self.core.store.page(key.owner, 500)
        totals = totals_of([task for task, _ in rows])
        depth, workers = await self.core.queue.depth_and_workers()
        out = StatsOut(
            by_status=totals["by_status"],
            median_seconds=totals["median_seconds"],
            total_cost_usd=round(totals["total_cost"], 4),
            queue_depth=depth,
            workers=workers,
        )
        return web.json_response(out.model_dump(mode="json"))

    # --- batches -------------------------------------------------------------------------------

    async def create_batch(self, request: web.Request) -> web.Response:
        key = await self.gate.check(request)
        csv_format = request.content_type in ("text/csv", "application/csv")
        try:  # the parser `oma render --batch` uses too
            items = read_items(await self.body(request), csv_format, BATCH_MAX)
        except BatchError as exc:
            raise ApiError(422, exc.code, exc.message, exc.details) from exc
        reqs, details = [], {}
        for item in items:
            checked = check_item(item, VideoRequest)
            if isinstance(checked, dict):
                details.update(checked)
            else:
                reqs.append((item, checked))
        if details:
            raise ApiError(
                422, "invalid_request", "Some briefings have invalid fields; see details.", details
            )
        for item, req in reqs:
            await self.check_request(req, key, f"{item.where}.")
        await self.admit(key)  # a batch counts once against the key's video limits
        batch_id = new_task_id()
        tasks = [self.new_task(req, key, new_task_id(), request, batch_id) for _, req in reqs]
        await self.core.store.create_batch(batch_id, key.owner, [t.id for t in tasks])
        made = []
        for task in tasks:
            with logger.contextualize(task=task.id):
                made.append(await self.core.service.create(task) or task)
        return web.json_response(_batch_out(batch_id, made).model_dump(mode="json"), status=202)

    async def get_batch(self, request: web.Request) -> web.Response:
        key = await self.gate.check(request)
        batch_id = request.match_info["id"]
        record = await self.core.store.get_batch(batch_id) if _sane_id(batch_id) else None
        if record is None or record["owner"] != key.owner:
            raise not_found("batch")
        tasks = await self.core.store.many(record["tasks"])
        return web.json_response(_batch_out(batch_id, tasks, record["created"]).model_dump(mode="json"))


def _batch_out(batch_id: str, tasks: list[Task], created: float | None = None) -> BatchOut:
    counts: dict[str, int] = {}
    for t in tasks:
        counts[t.status.value] = counts.get(t.status.value, 0) + 1
    when = created if created is not None else min((t.created for t in tasks), default=0.0)
    return BatchOut(id=batch_id, created=when, counts=counts, videos=[VideoOut.of(t) for t in tasks])


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"The body is over {limit // 1024} KB (OMA_API_MAX_BODY_KB).")


def _not_now(task: Task, what: str) -> ApiError:
    return ApiError(409, "conflict", f"This video is {task.status.words}: it cannot be {what} now.")


def _sane_id(value: str) -> bool:
    return 1 <= len(value) <= 40 and value.isascii() and value.replace("-", "").isalnum()


def _write_cursor(score: float, task_id: str) -> str:
    return base64.urlsafe_b64encode(f"{score!r}:{task_id}".encode()).decode().rstrip("=")


def _read_cursor(cursor: str) -> tuple[float, str] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        score, task_id = raw.split(":", 1)
        value = float(score)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (value, task_id) if _sane_id(task_id) and value == value else None
