"""Finished videos in an S3-compatible bucket (moto's server on loopback), end to end over HTTP
with a real worker: stored, linked, downloaded through a presigned link, deleted; a bucket away
at upload time fails the task with a plain reason, and Retry stores it once the bucket is back."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import aiohttp
import pytest
from pydantic import SecretStr

from bot.api.keys import ApiKey, KeyStore
from bot.settings import Settings
from bot.tasks import Status, Task, TaskStore
from bot.webhook import WebhookNotifier
from pipeline import Briefing
from tests.api.support import BRIEF, ApiClient, S3Server, receiver, wait_for_event
from tests.bot.support import run_jobs, serve
from tests.media import probe

BUCKET = "oma-videos"


@pytest.fixture
def s3() -> Iterator[S3Server]:
    server = S3Server()
    server.start()
    server.client().create_bucket(Bucket=BUCKET)
    yield server
    server.stop()


@pytest.fixture
def stored(settings: Settings, s3: S3Server) -> Settings:
    return settings.model_copy(
        update={
            "s3_bucket": BUCKET,
            "s3_endpoint": s3.url,
            "s3_region": "us-east-1",
            "s3_access_key_id": SecretStr("test-key"),
            "s3_secret_access_key": SecretStr("test-secret"),
            "s3_link_seconds": 300,
        }
    )


@asynccontextmanager
async def api_for(settings: Settings, keys: KeyStore) -> AsyncIterator[ApiClient]:
    _record, token = await keys.create("storage tests")
    async with serve(settings) as web_client:
        yield ApiClient(web_client.base, web_client.session, token)


def objects(s3: S3Server) -> list[str]:
    return sorted(o["Key"] for o in s3.client().list_objects_v2(Bucket=BUCKET).get("Contents", []))


@pytest.mark.slow
async def test_the_video_goes_to_the_bucket_and_downloads_through_a_presigned_link(
    stored: Settings, s3: S3Server, redis, keys: KeyStore, tmp_path
) -> None:
    async with api_for(stored, keys) as api, receiver() as hook:
        resp, task = await api.call("POST", "/api/v1/videos", {**BRIEF, "webhook_url": hook.url})
        assert resp.status == 202, task
        vid = task["id"]
        await run_jobs(stored)
        event = await wait_for_event(hook, "video.delivered")
        assert event["data"]["links"]["download"].startswith(f"{s3.url}/{BUCKET}/videos/{vid}.mp4?")

        assert objects(s3) == [f"videos/{vid}.mp4", f"videos/{vid}.srt", f"videos/{vid}.vtt"]
        head = s3.client().head_object(Bucket=BUCKET, Key=f"videos/{vid}.mp4")
        assert head["ContentType"] == "video/mp4" and head["ContentLength"] > 10_000
        assert not (stored.output_dir / f"{vid}.mp4").exists()  # the worker's copy went once stored

        _, done = await api.call("GET", f"/api/v1/videos/{vid}")
        assert done["status"] == "delivered"
        link = done["links"]["download"]
        assert link.startswith(f"{s3.url}/{BUCKET}/videos/{vid}.mp4?") and "X-Amz-Signature=" in link

        # /file answers a redirect to a fresh presigned link; the link needs no API key.
        async with api.session.get(
            api.base + done["links"]["file"], headers=api.headers(), allow_redirects=False
        ) as resp:
            assert resp.status == 307 and resp.headers["Cache-Control"] == "no-store"
            location = resp.headers["Location"]
        assert urlsplit(location).path == f"/{BUCKET}/videos/{vid}.mp4"
        async with aiohttp.ClientSession() as anonymous:
            async with anonymous.get(location) as got:
                assert got.status == 200 and got.headers["Content-Type"] == "video/mp4"
                mp4 = await got.read()
            async with anonymous.get(location, headers={"Range": "bytes=0-99"}) as part:
                assert part.status == 206 and await part.read() == mp4[:100]
        out = tmp_path / "from-bucket.mp4"
        out.write_bytes(mp4)
        facts = probe(out)
        assert (facts.width, facts.height, facts.video_codec, facts.audio_codec) == (426, 240, "h264", "aac")
        assert 14 <= facts.duration <= 16.5
        assert len(mp4) == head["ContentLength"]

        # DELETE removes the objects with the record.
        resp, _ = await api.call("DELETE", f"/api/v1/videos/{vid}")
        assert resp.status == 204
        assert objects(s3) == []


@pytest.mark.slow
async def test_a_bucket_away_at_upload_fails_the_task_plainly_and_retry_stores_it_once_back(
    stored: Settings, s3: S3Server, redis, keys: KeyStore
) -> None:
    async with api_for(stored, keys) as api:
        resp, task = await api.call("POST", "/api/v1/videos", BRIEF)
        vid = task["id"]
        s3.stop()
        await run_jobs(stored)
        _, failed = await api.call("GET", f"/api/v1/videos/{vid}")
        assert failed["status"] == "failed" and failed["retryable"]
        assert failed["error"] == (
            "the video could not be saved to storage: the bucket's server (OMA_S3_ENDPOINT) cannot be reached"
        )
        assert failed["links"]["retry"] == f"/api/v1/videos/{vid}/retry"

        # The video is not delivered, so /file is a 409 (a delivered one's is a 503 while the
        # bucket is away: test_file_answers_503_while_the_bucket_is_away).
        resp, _ = await api.call("GET", f"/api/v1/videos/{vid}/file")
        assert resp.status == 409

        s3.start()  # back (moto starts empty: the operator's bucket is made again)
        s3.client().create_bucket(Bucket=BUCKET)
        resp, again = await api.call("POST", f"/api/v1/videos/{vid}/retry")
        assert resp.status == 202 and again["status"] == "queued"
        resp, twice = await api.call("POST", f"/api/v1/videos/{vid}/retry")
        assert resp.status == 409 and twice["error"] == "conflict"
        await run_jobs(stored)

        _, done = await api.call("GET", f"/api/v1/videos/{vid}")
        assert done["status"] == "delivered", done["error"]
        assert f"videos/{vid}.mp4" in objects(s3)
        async with aiohttp.ClientSession() as anonymous, anonymous.get(done["links"]["download"]) as got:
            assert got.status == 200 and len(await got.read()) == done["size_bytes"]


async def test_bucket_housekeeping_expires_only_old_objects_under_its_prefix(stored: Settings, s3: S3Server):
    from bot.storage import Bucket

    client = s3.client()
    for key in ("videos/a1.mp4", "videos/a1.vtt", "someone-else/keep.txt"):
        client.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    bucket = Bucket(stored)
    assert await bucket.expire(time.time() - 3600) == 0  # all newer than an hour ago
    assert await bucket.expire(time.time() + 60) == 2
    assert objects(s3) == ["someone-else/keep.txt"]


@pytest.fixture
def keyless(stored: Settings, monkeypatch, tmp_path) -> Settings:
    """The bucket with no keys anywhere: none in the settings, the environment or a profile, and
    no instance metadata to ask (so boto3's credential chain finds nothing, at once)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return stored.model_copy(update={"s3_access_key_id": None, "s3_secret_access_key": None})


async def _delivered(redis, key: ApiKey | None, webhook_url: str | None = None) -> Task:
    task = Task(
        id="s1",
        user=key.owner if key else "K",
        key_id=key.id if key else "k1",
        briefing=Briefing(**BRIEF),
        webhook_url=webhook_url,
        status=Status.DELIVERED,
    )
    assert await TaskStore(redis).create(task)
    return task


async def test_a_bucket_without_keys_answers_the_record_without_a_link_and_file_503(
    keyless: Settings, redis, keys: KeyStore
) -> None:
    record, token = await keys.create("storage tests")
    task = await _delivered(redis, record)
    async with serve(keyless) as web_client:
        api = ApiClient(web_client.base, web_client.session, token)
        resp, body = await api.call("GET", f"/api/v1/videos/{task.id}")
        assert resp.status == 200 and body["status"] == "delivered", body
        assert body["links"]["download"] is None
        resp, listing = await api.call("GET", "/api/v1/videos")
        assert resp.status == 200 and [v["links"]["download"] for v in listing["videos"]] == [None]
        resp, body = await api.call("GET", f"/api/v1/videos/{task.id}/file")
        assert resp.status == 503 and body["error"] == "storage_unavailable", body
        assert "no keys are set (OMA_S3_ACCESS_KEY_ID)" in body["message"]


async def test_a_bucket_without_keys_still_sends_the_delivered_event_without_a_link(
    keyless: Settings, redis
) -> None:
    from bot.storage import Bucket

    async def secret(_key_id: str) -> str:
        return "hook-secret"

    async with receiver() as hook:
        task = await _delivered(redis, None, hook.url)
        notifier = WebhookNotifier(TaskStore(redis), secret, True, 5, 0, link=Bucket(keyless).link)
        assert await notifier.send(task, "video.delivered", {})
    [event] = hook.events()
    assert event["type"] == "video.delivered" and event["data"]["links"]["download"] is None


async def test_file_answers_503_while_the_bucket_is_away(
    stored: Settings, s3: S3Server, redis, keys: KeyStore
) -> None:
    record, token = await keys.create("storage tests")
    task = await _delivered(redis, record)
    async with serve(stored) as web_client:
        api = ApiClient(web_client.base, web_client.session, token)
        s3.stop()
        resp, body = await api.call("GET", f"/api/v1/videos/{task.id}/file")
        assert resp.status == 503 and body["error"] == "storage_unavailable", body
        assert resp.headers["Retry-After"] == "30"
        assert "the bucket's server (OMA_S3_ENDPOINT) cannot be reached" in body["message"]
