"""The requester's own pictures and clips, fetched from Slack for the worker.

Like the brand kit's logo (bot/slack/brand.py): files.info, then `url_private_download` with
the bot token. The size Slack reports is checked before the download, and the download stops
past the largest size allowed; the bytes are then judged by pipeline.media (content, pixels,
length), stored by hash in the task's working folder. A file that fails is named, with why.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.calls import SLACK_FAILURES, describe
from bot.streams import read_capped
from pipeline.cache import WorkDir
from pipeline.media import CLIP_MAX_BYTES, MediaItem, MediaProblem, ingest

DOWNLOAD_TIMEOUT = 120.0  # seconds for one file (a 200 MB clip on a slow link)


async def _download(client: AsyncWebClient, file_id: str) -> tuple[str, bytes | MediaProblem]:
    try:
        info = (await client.files_info(file=file_id)).get("file") or {}
    except SLACK_FAILURES as exc:
        return file_id, MediaProblem(file_id, f"Slack did not give the file ({describe(exc)})")
    name = str(info.get("name") or file_id)
    size = int(info.get("size") or 0)
    if size > CLIP_MAX_BYTES:
        return name, MediaProblem(name, f"it is {size / 1e6:.1f} MB; at most {CLIP_MAX_BYTES / 1e6:.0f} MB")
    url = info.get("url_private_download") or info.get("url_private")
    if not url:
        return name, MediaProblem(name, "Slack gave no download link for it")
    try:
        timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT)
        headers = {"Authorization": f"Bearer {client.token}"}
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers=headers) as resp,
        ):
            if resp.status != 200:
                return name, MediaProblem(name, f"the download from Slack failed (HTTP {resp.status})")
            data = await read_capped(resp.content, CLIP_MAX_BYTES)
    except (TimeoutError, aiohttp.ClientError):
        return name, MediaProblem(name, "the download from Slack did not finish")
    if data is None:
        return name, MediaProblem(name, f"it is over {CLIP_MAX_BYTES / 1e6:.0f} MB")
    return name, data


async def fetch_media(
    client: AsyncWebClient, file_ids: list[str], work_dir: Path
) -> tuple[list[MediaItem], list[MediaProblem]]:
    """The files checked and stored in `work_dir`, and the ones that could not be used."""
    got: list[tuple[str, bytes]] = []
    problems: list[MediaProblem] = []
    for file_id in file_ids:
        name, data = await _download(client, file_id)
        if isinstance(data, MediaProblem):
            problems.append(data)
        else:
            got.append((name, data))
    items, bad = await asyncio.to_thread(ingest, list(got), WorkDir(work_dir))  # type: ignore[arg-type]
    return items, [*problems, *bad]
