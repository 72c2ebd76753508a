"""End to end over HTTP with a real worker: create, poll, download, review, webhooks, delete."""

from __future__ import annotations

import time

import pytest

from bot.api.keys import KeyStore
from bot.tasks import Status, TaskStore
from tests.api.support import BRIEF, ApiClient, receiver, signed, wait_for_event
from tests.bot.support import run_jobs
from tests.fakes.pexels import KEY
from tests.media import probe


async def test_eta_is_the_running_jobs_estimate(api: ApiClient, redis):
    resp, task = await api.call("POST", "/api/v1/videos", BRIEF)
    assert resp.status == 202 and task["eta_seconds"] is None  # no job has begun: no estimate yet
    await TaskStore(redis).update(task["id"], status=Status.DRAFTING, started=time.time())
    await redis.set(f"oma:eta:{task['id']}", f"{time.time() + 30:.1f}")  # as the worker's pump does
    _, running = await api.call("GET", f"/api/v1/videos/{task['id']}")
    assert 25 <= running["eta_seconds"] <= 30


@pytest.mark.slow
async def test_create_poll_download_with_a_signed_webhook(
    api: ApiClient, settings, redis, keys: KeyStore, tmp_path
):
    async with receiver() as hook:
        resp, task = await api.call("POST", "/api/v1/videos", {**BRIEF, "webhook_url": hook.url})
        assert resp.status == 202, task
        assert resp.headers["X-Request-ID"] and resp.headers["RateLimit-Limit"] == "120"
        assert task["status"] == "queued" and task["links"]["self"] == f"/api/v1/videos/{task['id']}"

        await run_jobs(settings)
        event = await wait_for_event(hook, "video.delivered")

    resp, done = await api.call("GET", f"/api/v1/videos/{task['id']}")
    assert resp.status == 200 and done["status"] == "delivered" and done["percent"] == 100
    assert done["links"]["file"] == f"/api/v1/videos/{task['id']}/file"
    assert done["timings"]["generation_seconds"] > 0 and done["duration"] > 14

    # The webhook: signed with this key's secret over the raw body, and recorded on the task.
    key = (await keys.all())[0]
    headers, body = next((h, b) for h, b in hook.posts if b"video.delivered" in b)
    assert signed(key.webhook_secret, headers, body)
    assert not signed("another secret", headers, body)
    assert event["data"]["id"] == task["id"] and event["data"]["status"] == "delivered"
    assert [a["ok"] for a in done["webhook_attempts"]] == [True]

    resp, mp4 = await api.call("GET", done["links"]["file"])
    assert resp.status == 200 and resp.headers["Content-Type"] == "video/mp4"
    out = tmp_path / "got.mp4"
    out.write_bytes(mp4)
    facts = probe(out)
    assert (facts.width, facts.height) == (426, 240) and facts.video_codec == "h264"
    assert 14 <= facts.duration <= 16.5

    resp, part = await api.call("GET", done["links"]["file"], headers={"Range": "bytes=100-199"})
    assert resp.status == 206 and part == mp4[100:200]
    assert resp.headers["Content-Range"] == f"bytes 100-199/{len(mp4)}"

    # Metrics: the worker's phases (counted in Redis) and this route's latency.
    metrics = await (await api.session.get(api.base + "/metrics")).text()
    assert 'oma_job_phase_seconds_count{phase="editor"}' in metrics
    assert 'oma_job_seconds_count{outcome="delivered"} 1.0' in metrics
    assert 'oma_queue_wait_seconds_count{kind="new"} 1.0' in metrics
    assert 'route="/api/v1/videos/{id}"' in metrics

    # DELETE removes the record and the file; the video is then gone for this key.
    resp, _ = await api.call("DELETE", f"/api/v1/videos/{task['id']}")
    assert resp.status == 204
    assert not (settings.output_dir / f"{task['id']}.mp4").exists()
    assert await TaskStore(redis).get(task["id"]) is None
    resp, err = await api.call("GET", f"/api/v1/videos/{task['id']}")
    assert resp.status == 404 and err["error"] == "not_found"


@pytest.mark.slow
async def test_review_flow_approve_then_download(api: ApiClient, settings):
    async with receiver() as hook:
        brief = {**BRIEF, "skip_review": False, "aspect": "1:1", "webhook_url": hook.url}
        resp, task = await api.call("POST", "/api/v1/videos", brief)
        assert resp.status == 202
        await run_jobs(settings)
        review = await wait_for_event(hook, "video.needs_review")
        assert review["data"]["status"] == "awaiting_review" and review["data"]["revision"] == 1

        path = f"/api/v1/videos/{task['id']}"
        _, draft = await api.call("GET", path)
        assert draft["status"] == "awaiting_review" and draft["links"]["approve"] == path + "/approve"
        scenes = draft["draft"]["scenes"]
        assert scenes and all(s["narration"] and s["seconds"] > 0 for s in scenes)
        resp, _ = await api.call("GET", path + "/file")
        assert resp.status == 409  # nothing to download yet

        resp, approved = await api.call("POST", path + "/approve", {"revision": 1})
        assert resp.status == 202 and approved["status"] == "queued"
        resp, again = await api.call("POST", path + "/approve", {"revision": 1})
        assert resp.status == 409 and again["error"] == "conflict"  # approved once, however many clicks

        await run_jobs(settings)
        await wait_for_event(hook, "video.delivered")
    resp, mp4 = await api.call("GET", path + "/file")
    assert resp.status == 200
    out = settings.output_dir / "copy.mp4"
    out.write_bytes(mp4)
    facts = probe(out)
    assert (facts.width, facts.height) == (240, 240)


@pytest.mark.slow
async def test_review_flow_revise_by_feedback_then_by_exact_edits_then_approve_and_download(
    api: ApiClient, settings
):
    narration = "Nimbus keeps every file in step, on every device, even offline."
    async with receiver() as hook:
        brief = {**BRIEF, "skip_review": False, "webhook_url": hook.url}
        resp, task = await api.call("POST", "/api/v1/videos", brief)
        assert resp.status == 202
        path = f"/api/v1/videos/{task['id']}"
        await run_jobs(settings)
        _, first = await api.call("GET", path)
        assert first["revision"] == 1 and first["links"]["revise"] == path + "/revise"

        # Feedback in words: the writer applies it and a new draft waits for review.
        resp, queued = await api.call(
            "POST", path + "/revise", {"feedback": "headline 2: Works on the train"}
        )
        assert resp.status == 202 and queued["status"] == "queued"
        await run_jobs(settings)
        _, second = await api.call("GET", path)
        assert second["status"] == "awaiting_review" and second["revision"] == 2
        assert second["draft"]["scenes"][1]["headline"] == "Works on the train"

        # Exact scene edits, word for word, on revision 2; revising revision 1 again is refused.
        resp, stale = await api.call("POST", path + "/revise", {"feedback": "shorter", "revision": 1})
        assert resp.status == 409 and stale["error"] == "conflict"
        edits = {"edits": [{"number": 1, "narration": narration}], "revision": 2}
        resp, _ = await api.call("POST", path + "/revise", edits)
        assert resp.status == 202
        await run_jobs(settings)
        _, third = await api.call("GET", path)
        assert third["revision"] == 3 and third["draft"]["scenes"][0]["narration"] == narration
        assert third["draft"]["scenes"][1]["headline"] == "Works on the train"  # earlier change kept

        resp, _ = await api.call("POST", path + "/approve", {"revision": 3})
        assert resp.status == 202
        await run_jobs(settings)
        await wait_for_event(hook, "video.delivered")
    reviews = [e["data"]["revision"] for e in hook.events() if e["type"] == "video.needs_review"]
    assert reviews == [1, 2, 3]
    resp, mp4 = await api.call("GET", path + "/file")
    assert resp.status == 200 and resp.headers["Content-Type"] == "video/mp4"
    out = settings.output_dir / "revised.mp4"
    out.write_bytes(mp4)
    facts = probe(out)
    assert facts.video_codec == "h264" and facts.audio_codec == "aac" and 13 <= facts.duration <= 17


@pytest.mark.slow
async def test_stock_footage_is_credited_in_the_videos_json(api: ApiClient, settings, pexels, tmp_path):
    """Pexels asks to be credited wherever the video goes: the API carries the credits too."""
    from pydantic import SecretStr

    _fake, url = pexels
    stock = settings.model_copy(
        update={
            "art_backend": "stock",
            "pexels_api_key": SecretStr(KEY),
            "pexels_url": url,
            "stock_dir": tmp_path / "stock",
        }
    )
    brief = {**BRIEF, "description": "Every laptop in the office syncs. Every phone on the road syncs too."}
    resp, task = await api.call("POST", "/api/v1/videos", brief)
    assert resp.status == 202, task
    await run_jobs(stock)
    resp, done = await api.call("GET", f"/api/v1/videos/{task['id']}")
    assert done["status"] == "delivered", done
    credits = done["credits"]
    assert credits, done
    assert all(c["provider"] == "Pexels" and c["author"] and c["page_url"] for c in credits), credits
