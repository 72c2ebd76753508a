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

from bot.api.keys import KeyStore
from bot.settings import Settings
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

        # While the bucket is away, a download of a delivered video would say so as a 503; here
        # the video is not delivered, so /file is a 409.
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
