"""Disk housekeeping: working folders go after delivery, old results expire, usage stays bounded."""

from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from loguru import logger

from bot.tasks import Status, Task, TaskStore

# Only folders the worker made carry this, so a mistyped OMA_WORK_DIR never loses someone's files.
MARK = ".oma-task"
# Finished for good: their working folders only cost disk.
DONE = {Status.DELIVERED, Status.CANCELLED, Status.EXPIRED}
# Waiting on a person; their folders are caches (the draft in Redis is enough to render again).
IDLE = {Status.FAILED, Status.AWAITING_REVIEW}
# A job is writing or uploading the result file.
WRITING = {Status.RENDERING, Status.UPLOADING}
# A job may just have picked a finished task up again (a revision after delivery).
SETTLE_SECONDS = 600


def task_folder(work_dir: Path, task_id: str) -> Path:
    """The task's working folder, created with the mark that lets housekeeping delete it."""
    folder = work_dir / task_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARK).touch()
    return folder


def tree_size(path: Path) -> int:
    """Bytes in the files under `path` (0 when it does not exist)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


def remove(path: Path) -> None:
    """Delete a task's working folder or a result file; gone already is fine."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@dataclass
class Swept:
    removed: list[str] = field(default_factory=list)
    used_bytes: int = 0


async def sweep(
    store: TaskStore, work_dir: Path, output_dir: Path, limit_bytes: int, result_ttl_seconds: float
) -> Swept:
    """Remove stale working folders and expired results; then, while over `limit_bytes`, the
    oldest results (already in Slack) and the caches of idle tasks. Running tasks are never touched.
    """
    folders, outputs = await asyncio.to_thread(_candidates, work_dir, output_dir)
    ids = sorted({p.name for p in folders} | {p.stem for p in outputs})
    tasks = {t.id: t for t in await store.many(ids)}
    return await asyncio.to_thread(_clean, folders, outputs, tasks, limit_bytes, result_ttl_seconds)


CAPTION_SUFFIXES = (".srt", ".vtt")


def captions_of(video: Path) -> list[Path]:
    """The caption files beside a video."""
    return [video.with_suffix(s) for s in CAPTION_SUFFIXES if video.with_suffix(s).exists()]


def _candidates(work_dir: Path, output_dir: Path) -> tuple[list[Path], list[Path]]:
    folders = sorted(p.parent for p in work_dir.glob(f"*/{MARK}"))
    outputs = sorted(output_dir.glob("*.mp4")) if output_dir.is_dir() else []
    return folders, outputs


def _clean(
    folders: list[Path], outputs: list[Path], tasks: dict[str, Task], limit_bytes: int, ttl: float
) -> Swept:
    now = time.time()
    result = Swept()

    def drop(path: Path) -> None:
        remove(path)
        result.removed.append(f"{path.parent.name}/{path.name}")
        if path.suffix == ".mp4":  # its caption files go with it
            for captions in captions_of(path):
                drop(captions)

    kept_folders, kept_outputs = [], []
    for folder in folders:
        task = tasks.get(folder.name)
        if task is None or (task.status in DONE and now - task.updated > SETTLE_SECONDS):
            drop(folder)
        else:
            kept_folders.append(folder)
    for video in outputs:
        task = tasks.get(video.stem)
        if task is None or task.status is Status.CANCELLED or video.stat().st_mtime < now - ttl:
            drop(video)
        else:
            kept_outputs.append(video)

    sizes = {p: tree_size(p) for p in kept_folders + kept_outputs}
    used = sum(sizes.values())
    # Over the bound: results first (Slack has them), oldest first; then the caches of idle tasks.
    spare = sorted((v for v in kept_outputs if tasks[v.stem].status not in WRITING), key=_mtime)
    spare += sorted(
        (f for f in kept_folders if tasks[f.name].status in IDLE), key=lambda p: tasks[p.name].updated
    )
    for path in spare:
        if used <= limit_bytes:
            break
        used -= sizes[path]
        drop(path)
    result.used_bytes = used
    if used > limit_bytes:
        logger.warning("disk use {} MB is over the limit with only running tasks left", used >> 20)
    if result.removed:
        logger.info("housekeeping removed {} ({} MB left)", ", ".join(result.removed), used >> 20)
    return result


def _mtime(path: Path) -> float:
    return path.stat().st_mtime


STOCK_UNUSED_DAYS = 30  # a stock file no video used for this long leaves the shared cache


def sweep_stock(stock_dir: Path, unused_days: float = STOCK_UNUSED_DAYS) -> list[str]:
    """Remove stock downloads and searches not used for `unused_days` (a download is touched
    each time a video uses it); the names removed. The cache is shared by every task."""
    if not stock_dir.is_dir():
        return []
    before = time.time() - unused_days * 86400
    removed = []
    for path in sorted(stock_dir.glob("*/*")):
        if path.is_file() and path.stat().st_mtime < before:
            remove(path)
            removed.append(f"{path.parent.name}/{path.name}")
    return removed
