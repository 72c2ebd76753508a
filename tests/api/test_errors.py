"""Keys, isolation, typed errors, limits and fuzzed bodies, over real HTTP (no rendering)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bot.api.keys import KeyStore
from bot.tasks import Status, Task, TaskStore
from tests.api.support import BRIEF, ApiClient
from tests.bot.support import BRIEFING, draft, serve

ERROR_SHAPE = {"error", "message", "details", "request_id"}


def typed(resp, body, status: int, error: str) -> None:
    assert resp.status == status, body
    assert set(body) == ERROR_SHAPE and body["error"] == error, body
    assert body["request_id"] == resp.headers["X-Request-ID"]


async def test_missing_wrong_revoked_keys_are_401_and_another_keys_task_is_404(
    api: ApiClient, keys: KeyStore
):
    resp, mine = await api.call("POST", "/api/v1/videos", BRIEF)
    assert resp.status == 202
    path = f"/api/v1/videos/{mine['id']}"

    for key in (None, "nonsense", api.key[:-2] + "xx", "oma_00000000_" + "a" * 43):
        resp, body = await api.as_key(key).call("GET", path)
        typed(resp, body, 401, "unauthorized")
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    resp, body = await api.call("GET", path, headers={"Authorization": f"Basic {api.key}"})
    typed(resp, body, 401, "unauthorized")

    record, other_token = await keys.create("other")
    other = api.as_key(other_token)
    for method, suffix in (("GET", ""), ("DELETE", ""), ("GET", "/file"), ("POST", "/approve")):
        resp, body = await other.call(method, path + suffix)
        typed(resp, body, 404, "not_found")
    resp, listing = await other.call("GET", "/api/v1/videos")
    assert resp.status == 200 and listing["videos"] == []
    resp, listing = await api.call("GET", "/api/v1/videos")
    assert [v["id"] for v in listing["videos"]] == [mine["id"]]

    assert [k.id for k in await keys.revoke(record.id)] == [record.id]
    resp, body = await other.call("GET", "/api/v1/videos")
    typed(resp, body, 401, "unauthorized")
    resp, _ = await api.call("GET", path)
    assert resp.status == 200  # revoking one key leaves the others alone


async def test_validation_names_each_field_with_the_briefings_message(api: ApiClient):
    bad = {"title": "  ", "description": "short", "duration": 5, "style": "baroque", "colour": "red"}
    resp, body = await api.call("POST", "/api/v1/videos", bad)
    typed(resp, body, 422, "invalid_request")
    assert body["details"] == {
        "title": "Title cannot be empty or only spaces",
        "description": "Description must be at least 10 characters (it has 5)",
        "duration": "Duration must be between 15 and 180 seconds",
        "style": "Style must be one of: corporate, modern, cinematic, minimal, playful",
        "colour": "Unknown field 'colour'",
    }
    resp, body = await api.call("POST", "/api/v1/videos", {"description": BRIEF["description"]})
    assert body["details"] == {"title": "Title is required"}
    resp, body = await api.call("POST", "/api/v1/videos", raw=b"{not json")
    typed(resp, body, 422, "invalid_json")
    resp, body = await api.call("POST", "/api/v1/videos", [BRIEF])
    typed(resp, body, 422, "invalid_request")
    resp, body = await api.call("POST", "/api/v1/videos", {**BRIEF, "webhook_url": "ftp://example.com/x"})
    assert set(body["details"]) == {"webhook_url"}
    resp, body = await api.call("GET", "/api/v1/videos?limit=0&status=done&cursor=%%%")
    typed(resp, body, 422, "invalid_request")
    assert set(body["details"]) == {"limit", "status", "cursor"}


async def test_body_limit_conflicts_routes_and_request_ids(api: ApiClient, settings):
    huge = json.dumps({**BRIEF, "description": "x" * (settings.api_max_body_kb * 1024)}).encode()
    resp, body = await api.call("POST", "/api/v1/videos", raw=huge)
    typed(resp, body, 413, "payload_too_large")

    resp, task = await api.call("POST", "/api/v1/videos", BRIEF, headers={"X-Request-ID": "ci-run-42"})
    assert resp.headers["X-Request-ID"] == "ci-run-42"
    resp, body = await api.call("POST", f"/api/v1/videos/{task['id']}/approve")
    typed(resp, body, 409, "conflict")  # made with skip_review: nothing to approve
    resp, body = await api.call("POST", f"/api/v1/videos/{task['id']}/revise", {"feedback": "shorter"})
    typed(resp, body, 409, "conflict")  # not delivered yet
    resp, body = await api.call("POST", f"/api/v1/videos/{task['id']}/revise", {})
    assert body["details"] == {"body": "Give either feedback or edits"}
    resp, body = await api.call("GET", "/api/v1/nothing-here")
    typed(resp, body, 404, "not_found")
    resp, body = await api.call("PUT", "/api/v1/videos")
    typed(resp, body, 405, "method_not_allowed")


async def test_idempotency_key_replays_and_conflicts(api: ApiClient, redis):
    headers = {"Idempotency-Key": "release-1.4"}
    resp, first = await api.call("POST", "/api/v1/videos", BRIEF, headers=headers)
    assert resp.status == 202
    resp, again = await api.call("POST", "/api/v1/videos", BRIEF, headers=headers)
    assert resp.status == 200 and again["id"] == first["id"] and resp.headers["Idempotent-Replayed"] == "true"
    assert await redis.zcard("arq:queue") == 1  # one job
    resp, body = await api.call("POST", "/api/v1/videos", {**BRIEF, "duration": 20}, headers=headers)
    typed(resp, body, 409, "idempotency_conflict")


async def test_rate_limits_answer_429_with_retry_after(settings, redis, keys: KeyStore):
    _, token = await keys.create("busy")
    strict = settings.model_copy(update={"api_rate_per_minute": 3, "rate_per_minute": 2})
    async with serve(strict) as web_client:
        api = ApiClient(web_client.base, web_client.session, token)
        resp, _ = await api.call("POST", "/api/v1/videos", BRIEF)
        assert resp.status == 202 and resp.headers["RateLimit-Remaining"] == "2"
        assert 59 <= int(resp.headers["RateLimit-Reset"]) <= 60  # when that request leaves the window
        resp, _ = await api.call("POST", "/api/v1/videos", BRIEF)
        assert resp.status == 202
        resp, body = await api.call("POST", "/api/v1/videos", BRIEF)  # third video in a minute
        typed(resp, body, 429, "rate_limited")
        # The first of the two videos leaves the minute window about 60 s from now.
        assert 50 <= int(resp.headers["Retry-After"]) <= 60, resp.headers["Retry-After"]
        resp, body = await api.call("GET", "/api/v1/videos")  # fourth request in a minute
        typed(resp, body, 429, "rate_limited")
        assert resp.headers["RateLimit-Remaining"] == "0" and int(resp.headers["Retry-After"]) >= 1


async def test_webhook_to_a_private_address_is_refused_unless_allowed(settings, redis, keys: KeyStore):
    _, token = await keys.create("ssrf")
    guarded = settings.model_copy(update={"webhook_allow_private": False})
    async with serve(guarded) as web_client:
        api = ApiClient(web_client.base, web_client.session, token)
        for url in (
            "http://127.0.0.1:9/x",
            "http://10.1.2.3/x",
            "http://169.254.169.254/latest",
            "http://[::1]/",
        ):
            resp, body = await api.call("POST", "/api/v1/videos", {**BRIEF, "webhook_url": url})
            typed(resp, body, 422, "invalid_request")
            assert "loopback, private or link-local" in body["details"]["webhook_url"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=12,
)
briefing_like = st.fixed_dictionaries(
    {},
    optional={
        k: json_values | st.text(max_size=300) for k in (*BRIEF, "skip_review", "webhook_url", "edits")
    },
)


async def test_fuzzed_bodies_never_answer_5xx(api: ApiClient):
    resp, task = await api.call("POST", "/api/v1/videos", BRIEF)
    targets = [
        ("POST", "/api/v1/videos"),
        ("POST", "/api/v1/batches"),
        ("POST", f"/api/v1/videos/{task['id']}/approve"),
        ("POST", f"/api/v1/videos/{task['id']}/revise"),
        ("POST", f"/api/v1/videos/{task['id']}/retry"),
    ]
    seen: list[int] = []

    @hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        st.sampled_from(targets),
        st.one_of(
            json_values.map(lambda v: json.dumps(v).encode()),
            briefing_like.map(lambda v: json.dumps(v).encode()),
            st.binary(max_size=200),
        ),
        st.sampled_from(["application/json", "text/csv", "application/octet-stream"]),
    )
    def check(target, raw, kind):
        seen.append((target, raw, kind))

    check()
    for (method, path), raw, kind in seen:
        resp, body = await api.call(method, path, raw=raw or b" ", headers={"Content-Type": kind})
        assert resp.status < 500, (path, raw, body)
        if resp.status >= 400:
            assert set(body) == ERROR_SHAPE, body
    deep = b"[" * 20000  # past the JSON parser's recursion limit: it raises RecursionError
    for method, path in targets[:4]:  # retry reads no body
        resp, body = await api.call(method, path, raw=deep)
        typed(resp, body, 422, "invalid_json")
        assert body["details"] == {"body": "nested too deeply"}, body
    for query in ("limit=abc", "cursor=" + "A" * 300, "status=%00", "limit=1e9"):
        resp, body = await api.call("GET", "/api/v1/videos?" + query)
        assert resp.status == 422, body


async def test_without_slack_settings_the_api_serves_alone(settings, keys: KeyStore):
    """No SLACK_* at all: the HTTP API works, Slack's route says it is off, and a request that
    asks for a Slack channel is refused on that field (it used to fail as 'database' trouble)."""
    alone = settings.model_copy(update={"slack_bot_token": None, "slack_signing_secret": None})
    assert not alone.slack_configured() and settings.slack_configured()
    _record, token = await keys.create("no-slack")
    async with serve(alone) as web_client:
        api = ApiClient(web_client.base, web_client.session, token)
        resp, body = await api.call("POST", "/api/v1/videos", BRIEF)
        assert resp.status == 202 and body["status"] == "queued", body
        resp, body = await api.call("POST", "/api/v1/videos", {**BRIEF, "slack_channel": "C0123ABC"})
        typed(resp, body, 422, "invalid_request")
        assert "not configured" in body["details"]["slack_channel"]
        async with web_client.session.post(web_client.base + "/slack/events", data=b"x=1") as resp:
            assert resp.status == 404 and (await resp.json())["error"] == "slack_not_configured"


async def test_scene_edits_naming_a_file_not_in_the_draft_are_refused_on_that_edit(
    api: ApiClient, keys: KeyStore, redis, settings
):
    """The API checks edits as the Slack form does, the draft's files included: an unknown media
    key used to be accepted (202) and silently undone by the worker."""
    key = next(k for k in await keys.all() if api.key.startswith(f"oma_{k.id}_"))
    store = TaskStore(redis)
    task = Task(
        id="e1",
        user=key.owner,
        key_id=key.id,
        briefing=BRIEFING,
        status=Status.AWAITING_REVIEW,
        revision=1,
    )
    assert await store.create(task)
    await store.save_draft(task.id, draft(), settings.work_dir)
    edits = {"edits": [{"number": 2, "headline": "Works offline"}, {"number": 1, "media": "nope"}]}
    resp, body = await api.call("POST", "/api/v1/videos/e1/revise", edits)
    typed(resp, body, 422, "invalid_edits")
    assert body["details"] == {"edits.1": "Scene 1: that file is not in this draft."}
    assert (await store.get("e1")).status is Status.AWAITING_REVIEW
