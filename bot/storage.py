"""Where finished videos live: the output folder on one machine, or an S3-compatible bucket when
OMA_S3_BUCKET is set (workers and web apps on several machines).

With a bucket, the worker uploads the MP4 and its .vtt/.srt captions once the render is done,
and the web app answers downloads with a short-lived presigned link to the object, so the bytes
go from the bucket to the caller (Range requests included) and never through the web process.

boto3 is the client: kept by AWS, spoken by every S3-compatible server (MinIO, R2, Ceph, moto),
and its managed upload does multipart and retries. Its calls block, so each one that does I/O
runs in a thread, making the clients too (it resolves the credentials); signing a link is then
local computation and runs inline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from loguru import logger

from bot.housekeeping import CAPTION_SUFFIXES, remove
from bot.notifiers import DeliveryError
from bot.tasks import Status, Task

if TYPE_CHECKING:
    from bot.settings import Settings

PREFIX = "videos/"
SUFFIXES = (".mp4", *CAPTION_SUFFIXES)
CONTENT_TYPES = {".mp4": "video/mp4", ".vtt": "text/vtt", ".srt": "application/x-subrip"}


class StorageError(DeliveryError):
    """The bucket could not take or give a file; the message says why in plain words. As a
    DeliveryError it fails the task with that reason and Retry."""


class Storage(Protocol):
    remote: bool  # True: the files live in a bucket, not in the output folder

    async def put(self, task_id: str, files: list[Path]) -> None:
        """Keep a delivered video's files (the MP4 first, then its captions)."""
        ...

    async def release(self, task_id: str) -> None:
        """The video is delivered: the worker's local copies are no longer needed."""
        ...

    async def open(self) -> None:
        """Ready the storage's clients (at start, so a first request waits for nothing)."""
        ...

    async def link(self, task_id: str, suffix: str = ".mp4") -> str | None:
        """A presigned download link, or None when the web app serves the file itself."""
        ...

    async def exists(self, task_id: str) -> bool: ...

    async def delete(self, task_id: str) -> None:
        """Remove a task's files; gone already is fine."""
        ...


class OutputFolder:
    """One machine: the renderer writes into the output folder and the web app serves from it."""

    remote = False

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir

    def path(self, task_id: str, suffix: str = ".mp4") -> Path:
        return self.output_dir / f"{task_id}{suffix}"

    async def open(self) -> None:
        return None

    async def put(self, task_id: str, files: list[Path]) -> None:
        return None  # the renderer wrote them here already

    async def release(self, task_id: str) -> None:
        return None  # they are the files the web app serves

    async def link(self, task_id: str, suffix: str = ".mp4") -> str | None:
        return None

    async def exists(self, task_id: str) -> bool:
        return await asyncio.to_thread(self.path(task_id).is_file)

    async def delete(self, task_id: str) -> None:
        for suffix in SUFFIXES:
            await asyncio.to_thread(remove, self.path(task_id, suffix))


class Bucket:
    """An S3-compatible bucket (OMA_S3_*)."""

    remote = True

    def __init__(self, settings: Settings) -> None:
        import boto3  # only where a bucket is configured: it takes a moment to import
        from botocore.config import Config

        assert settings.s3_bucket
        self.bucket, self.link_seconds = settings.s3_bucket, settings.s3_link_seconds
        self.local = OutputFolder(settings.output_dir)  # where the worker renders before uploading
        style = "path" if settings.s3_endpoint else "auto"  # self-hosted servers rarely have bucket DNS
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": style},
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=5,
            read_timeout=60,
        )
        keys = settings.s3_access_key_id, settings.s3_secret_access_key
        self.session = boto3.session.Session(
            aws_access_key_id=keys[0].get_secret_value() or None if keys[0] else None,
            aws_secret_access_key=keys[1].get_secret_value() or None if keys[1] else None,
            region_name=settings.s3_region or None,
        )
        public = settings.s3_public_endpoint or settings.s3_endpoint or None
        self.endpoints = settings.s3_endpoint or None, public
        self.config = config
        self._clients: tuple[Any, Any, Any] | None = None  # client, signer, credentials
        self._opening = asyncio.Lock()

    async def open(self) -> None:
        """Make the clients once, in a thread: making one resolves the session's credentials,
        which without keys asks the instance's metadata service over HTTP (a blocking call)."""
        async with self._opening:
            if self._clients is None:
                self._clients = await self._call("reached in", self._make_clients, opened=False)
        creds = self._clients[2]
        if creds is not None and getattr(creds, "refresh_needed", lambda: False)():
            # Role credentials near their end refresh over HTTP: here, not while signing a link.
            await self._call("reached in", creds.get_frozen_credentials, opened=False)

    def _make_clients(self) -> tuple[Any, Any, Any]:
        client = self.session.client("s3", endpoint_url=self.endpoints[0], config=self.config)
        # Links name the address callers reach the bucket at, which may not be the workers' one.
        signer = self.session.client("s3", endpoint_url=self.endpoints[1], config=self.config)
        return client, signer, self.session.get_credentials()  # None: no keys anywhere

    @property
    def client(self) -> Any:
        assert self._clients is not None, "Bucket.open() first"
        return self._clients[0]

    @staticmethod
    def key(task_id: str, suffix: str = ".mp4") -> str:
        return f"{PREFIX}{task_id}{suffix}"

    async def put(self, task_id: str, files: list[Path]) -> None:
        for path in files:
            extra = {
                "ContentType": CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
                "ContentDisposition": f'attachment; filename="{task_id}{path.suffix}"',
            }
            await self._call(
                "saved to",
                "upload_file",
                str(path),
                self.bucket,
                self.key(task_id, path.suffix),
                extra,
            )
        logger.info("stored {} in bucket {}", ", ".join(p.name for p in files), self.bucket)

    async def release(self, task_id: str) -> None:
        await self.local.delete(task_id)

    async def link(self, task_id: str, suffix: str = ".mp4") -> str | None:
        from botocore.exceptions import BotoCoreError, ClientError

        await self.open()
        assert self._clients is not None
        try:  # local computation once open() has the credentials
            return self._clients[1].generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": self.key(task_id, suffix)},
                ExpiresIn=self.link_seconds,
            )
        except (BotoCoreError, ClientError) as exc:  # no keys at all: NoCredentialsError
            raise StorageError(_why(exc, self.bucket, "linked from")) from exc

    async def exists(self, task_id: str) -> bool:
        from botocore.exceptions import ClientError

        await self.open()
        try:
            await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=self.key(task_id))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StorageError(_why(exc, self.bucket, "read from")) from exc
        except Exception as exc:
            raise StorageError(_why(exc, self.bucket, "read from")) from exc
        return True

    async def delete(self, task_id: str) -> None:
        objects = [{"Key": self.key(task_id, s)} for s in SUFFIXES]
        await self._call(
            "deleted from",
            "delete_objects",
            Bucket=self.bucket,
            Delete={"Objects": objects, "Quiet": True},
        )

    async def probe(self) -> None:
        """Write, read and delete one tiny object: what the worker and the web app will do."""
        await self._call("checked in", self._probe)

    def _probe(self) -> None:
        key = f"{PREFIX}.oma-doctor"
        self.client.put_object(Bucket=self.bucket, Key=key, Body=b"ok")
        self.client.head_object(Bucket=self.bucket, Key=key)
        self.client.delete_object(Bucket=self.bucket, Key=key)

    async def expire(self, before: float) -> int:
        """Delete the objects stored before `before` (Unix time), as the output folder's sweep
        does with old results; the number deleted."""
        return await self._call("cleaned in", self._expire, before)

    def _expire(self, before: float) -> int:
        old = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=PREFIX):
            old += [o["Key"] for o in page.get("Contents", []) if o["LastModified"].timestamp() < before]
        for i in range(0, len(old), 1000):  # delete_objects takes at most 1000 keys
            chunk = [{"Key": k} for k in old[i : i + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk, "Quiet": True})
        return len(old)

    async def _call(self, doing: str, fn: Any, *args: Any, opened: bool = True, **kwargs: Any) -> Any:
        """`fn(*args, **kwargs)` in a thread, its failure a StorageError; `fn` may name
        `self.client`'s method by its name (a str), the clients being made on first use."""
        if opened:
            await self.open()
        if isinstance(fn, str):
            fn = getattr(self.client, fn)
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except Exception as exc:  # botocore's and boto3's errors have no one base class
            logger.warning("bucket call {} failed: {!r}", fn.__name__, exc)
            raise StorageError(_why(exc, self.bucket, doing)) from exc


def _why(exc: BaseException, bucket: str, doing: str) -> str:
    """A bucket failure in the requester's words, naming the setting to look at; never a key."""
    return f"the video could not be {doing} storage: {_reason(exc, bucket)}"


def _reason(exc: BaseException, bucket: str) -> str:
    from botocore.exceptions import ClientError, ConnectionError, ConnectTimeoutError, NoCredentialsError

    seen: BaseException | None = exc
    while seen is not None:  # boto3's upload wraps the botocore error it met
        if isinstance(seen, ConnectionError | ConnectTimeoutError):
            return "the bucket's server (OMA_S3_ENDPOINT) cannot be reached"
        if isinstance(seen, NoCredentialsError):
            return "no keys are set (OMA_S3_ACCESS_KEY_ID)"
        if isinstance(seen, ClientError):
            code = seen.response.get("Error", {}).get("Code", "")
            if code == "NoSuchBucket":
                return f"bucket {bucket} does not exist (OMA_S3_BUCKET)"
            if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"):
                return f"bucket {bucket} refused OMA's keys (OMA_S3_ACCESS_KEY_ID, OMA_S3_SECRET_ACCESS_KEY)"
            return f"bucket {bucket} answered {code or 'an error'}"
        seen = seen.__cause__ or seen.__context__
    return f"the bucket failed ({type(exc).__name__})"


def open_storage(settings: Settings) -> Storage:
    """The bucket when OMA_S3_BUCKET is set, else the output folder."""
    return Bucket(settings) if settings.s3_bucket else OutputFolder(settings.output_dir)


async def download_link(link: Callable[[str], Awaitable[str | None]] | None, task: Task) -> str | None:
    """A delivered video's presigned link (`link` is Storage.link); None with no bucket, before
    delivery, or while the bucket cannot sign one (no keys): the video's record and its webhook
    event go without it, and GET /file says why."""
    if link is None or task.status is not Status.DELIVERED:
        return None
    try:
        return await link(task.id)
    except StorageError as exc:
        logger.warning("no download link for {}: {}", task.id, exc)
        return None
