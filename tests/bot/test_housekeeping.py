"""Housekeeping over real folders and real task records in Redis."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from bot.crons import housekeep
from bot.housekeeping import MARK, SETTLE_SECONDS, sweep, task_folder
from bot.tasks import Status, Task, TaskStore
from tests.bot.support import BRIEFING

DAY = 86400


async def _record(store: TaskStore, task_id: str, status: Status, age: float = 0.0) -> None:
    # Written directly: TaskStore.save would stamp `updated` with now.
    task = Task(id=task_id, user="U1", channel="C1", briefing=BRIEFING, status=status)
    task.updated = time.time() - age
    await store.redis.set(store.key(task_id), task.model_dump_json())


def _folder(work: Path, task_id: str, size: int) -> Path:
    folder = task_folder(work, task_id)
    (folder / "pieces").mkdir(exist_ok=True)
    (folder / "pieces" / "a.mp4").write_bytes(b"x" * size)
    return folder


def _output(out: Path, task_id: str, size: int, age: float = 0.0) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    video = out / f"{task_id}.mp4"
    video.write_bytes(b"v" * size)
    os.utime(video, (time.time() - age, time.time() - age))
    for suffix in (".srt", ".vtt"):  # the captions the renderer writes beside it
        video.with_suffix(suffix).write_text("1\n")
    return video


async def test_sweep_removes_what_is_done_and_keeps_what_is_needed(redis, tmp_path: Path) -> None:
    store, work, out = TaskStore(redis), tmp_path / "work", tmp_path / "out"
    await _record(store, "done", Status.DELIVERED, age=SETTLE_SECONDS + 60)
    await _record(store, "fresh", Status.DELIVERED, age=5)  # a revision may be starting
    await _record(store, "failed", Status.FAILED, age=3600)  # a retry resumes from its folder
    await _record(store, "gone", Status.CANCELLED, age=SETTLE_SECONDS + 60)
    for task_id in ("done", "fresh", "failed", "gone", "orphan"):
        _folder(work, task_id, 1000)
    foreign = work / "someone-elses"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("not OMA's")
    _output(out, "done", 1000)
    _output(out, "fresh", 1000, age=8 * DAY)  # past the result TTL
    _output(out, "gone", 1000)
    _output(out, "orphan", 1000)  # its record expired

    swept = await sweep(store, work, out, limit_bytes=1 << 30, result_ttl_seconds=7 * DAY)

    assert sorted(p.name for p in work.iterdir()) == ["failed", "fresh", "someone-elses"]
    assert sorted(p.name for p in out.iterdir()) == ["done.mp4", "done.srt", "done.vtt"]
    assert (foreign / "notes.txt").exists() and (work / "failed" / MARK).exists()
    assert swept.used_bytes == 3000  # the marks are empty files
    assert len(swept.removed) == 6 + 3 * 2  # three videos' captions went with them


async def test_over_the_limit_oldest_results_go_first_then_idle_caches_never_running(
    redis, tmp_path: Path
) -> None:
    store, work, out = TaskStore(redis), tmp_path / "work", tmp_path / "out"
    await _record(store, "old", Status.DELIVERED, age=5)
    await _record(store, "new", Status.DELIVERED, age=5)
    await _record(store, "review", Status.AWAITING_REVIEW, age=100)
    await _record(store, "busy", Status.RENDERING)
    _output(out, "old", 4000, age=3 * DAY)
    _output(out, "new", 4000, age=1 * DAY)
    _output(out, "busy", 4000)  # being written
    _folder(work, "review", 4000)
    _folder(work, "busy", 4000)

    # 20,000 bytes in all. A 13,000 limit takes the oldest result and then the newer one.
    swept = await sweep(store, work, out, limit_bytes=13000, result_ttl_seconds=7 * DAY)
    gone = [f"out/{t}{s}" for t in ("old", "new") for s in (".mp4", ".srt", ".vtt")]
    assert swept.removed == gone and swept.used_bytes == 12000

    # A 5,000 limit cannot be met: the idle draft's cache goes, the running task keeps all.
    swept = await sweep(store, work, out, limit_bytes=5000, result_ttl_seconds=7 * DAY)
    assert swept.removed == ["work/review"] and swept.used_bytes == 8000
    assert (out / "busy.mp4").exists() and (work / "busy" / "pieces" / "a.mp4").exists()


async def test_the_worker_cron_sweeps_the_configured_folders(redis, settings, tmp_path: Path) -> None:
    settings = settings.model_copy(update={"stock_dir": tmp_path / "stock"})
    store = TaskStore(redis)
    await _record(store, "done", Status.DELIVERED, age=SETTLE_SECONDS + 60)
    _folder(settings.work_dir, "done", 10)
    await _record(store, "kept", Status.DELIVERED, age=SETTLE_SECONDS + 60)
    _output(settings.output_dir, "kept", 10)
    unused = settings.stock_dir / "files" / "7-426.mp4"
    unused.parent.mkdir(parents=True)
    unused.write_bytes(b"x")
    os.utime(unused, (time.time() - 60 * DAY, time.time() - 60 * DAY))
    assert await housekeep({"settings": settings, "store": store}) == 2
    assert not (settings.work_dir / "done").exists() and (settings.output_dir / "kept.mp4").exists()
    assert not unused.exists()  # the shared stock cache is swept by the same cron


async def test_task_indexes_drop_entries_long_past_the_record_ttl(redis) -> None:
    store = TaskStore(redis, ttl_seconds=60)
    old = Task(id="old", user="U1", channel="C1", briefing=BRIEFING, created=time.time() - 1000)
    recent = Task(id="recent", user="U1", channel="C1", briefing=BRIEFING, created=time.time() - 100)
    assert await store.create(old) and await store.create(recent)
    assert await store.create(Task(id="new", user="U1", channel="C1", briefing=BRIEFING))
    for index in ("oma:tasks", "oma:user:U1"):
        assert [m.decode() for m in await redis.zrange(index, 0, -1)] == ["recent", "new"]


async def test_concurrent_updates_of_different_fields_both_land(redis) -> None:
    # The progress pump and the job update one record at once; neither may undo the other.
    store = TaskStore(redis)
    await store.create(Task(id="race", user="U1", channel="C1", briefing=BRIEFING))
    for i in range(1, 21):
        await asyncio.gather(store.update("race", percent=i), store.update("race", revision=i))
        task = await store.get("race")
        assert task is not None and (task.percent, task.revision) == (i, i)


def test_stock_files_no_video_used_for_a_month_leave_the_shared_cache(tmp_path: Path) -> None:
    from bot.housekeeping import STOCK_UNUSED_DAYS, sweep_stock

    stock = tmp_path / "stock"
    for name, age in (("files/101-426.mp4", 40), ("files/102-426.mp4", 2), ("search/ab.json", 31)):
        path = stock / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        os.utime(path, (time.time() - age * DAY, time.time() - age * DAY))
    assert sweep_stock(stock, STOCK_UNUSED_DAYS) == ["files/101-426.mp4", "search/ab.json"]
    assert [p.name for p in (stock / "files").iterdir()] == ["102-426.mp4"]
    assert sweep_stock(tmp_path / "none") == []
