"""Hostile text pings nobody and hides no link; hostile bytes never get a 5xx; races end whole."""

from __future__ import annotations

import asyncio
import io
import json
import random
import re
import time
from urllib.parse import urlencode

import pytest
from loguru import logger

from bot.crons import expire_drafts
from bot.slack import ui
from bot.tasks import Status, Task, TaskStore
from bot.worker import shutdown, startup
from pipeline import Briefing
from tests.bot.support import SignedClient, click, eventually, jobs, run_jobs, submission

HOSTILE_TITLE = "<!channel> Launch <@U123> & <!here|here>"
HOSTILE_TEXT = (
    "Hi <!here>, see <https://evil.example|the roadmap> now. Ask <!subteam^S1|@everyone> and <@U999>. "
    "Nimbus keeps your files in sync & it works offline."
)
# The one piece of special syntax OMA itself may send: a mention of the requester (U1).
LIVE = re.compile(r"<(?!@U1>)[^>]*>")


def mrkdwn_strings(params: dict) -> list[str]:
    """Every string Slack would read as mrkdwn in one Web API call's arguments."""
    out = [params.get("text") or "", params.get("initial_comment") or ""]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(params.get("blocks"))
    return out


def live_syntax(slack) -> list[str]:
    found = []
    for method, params in slack.calls:
        if method in (
            "chat.postMessage",
            "chat.update",
            "chat.postEphemeral",
            "files.completeUploadExternal",
        ):
            found += [m for text in mrkdwn_strings(params) for m in LIVE.findall(text)]
    return found


@pytest.mark.slow
async def test_a_hostile_briefing_pings_nobody_from_request_to_upload(
    web_client: SignedClient, slack, redis, settings
) -> None:
    await web_client.interactive(
        submission(view_id="VHOST", skip=False, title=HOSTILE_TITLE, description=HOSTILE_TEXT)
    )
    await eventually(lambda: jobs(redis))
    await run_jobs(settings)
    store = TaskStore(redis)
    task = await store.get("vhost")
    assert task is not None and task.status is Status.AWAITING_REVIEW
    # Feedback is user text too: a thread reply from the requester makes revision 2.
    await web_client.event(
        {
            "type": "message",
            "channel": "C1",
            "user": "U1",
            "text": "<!channel> shorter",
            "ts": "9.9",
            "thread_ts": task.root_ts,
        },
    )
    await eventually(lambda: jobs(redis))
    await run_jobs(settings)
    task = await store.get("vhost")
    assert task.revision == 2 and task.status is Status.AWAITING_REVIEW
    await web_client.interactive(click("approve_draft", f"{task.id}:2"))
    await eventually(lambda: jobs(redis))
    await run_jobs(settings)
    task = await store.get("vhost")
    assert task.status is Status.DELIVERED

    assert slack.refused == []  # every message passed Block Kit validation
    assert live_syntax(slack) == []
    sent = json.dumps(slack.calls)
    assert "Video &lt;!channel&gt; Launch &lt;@U123&gt; &amp; &lt;!here|here&gt;" in sent
    assert slack.called("files.completeUploadExternal")[-1]["initial_comment"].count("&lt;!channel&gt;") == 1


def hostile_task(**extra: object) -> Task:
    briefing = Briefing(title=HOSTILE_TITLE, description=HOSTILE_TEXT, duration=20)
    return Task(id="t1", user="U1", channel="C1", briefing=briefing, root_ts="1.1", **extra)


def test_every_builder_escapes_user_and_model_text() -> None:
    from tests.bot.support import draft

    board = draft()
    scenes = [
        s.model_copy(update={"narration": "Model says <!everyone> <http://x.io|ok>"})
        for s in board.script.scenes
    ]
    plans = [p.model_copy(update={"headline": "<@U777> wins"}) for p in board.storyboard.scenes]
    hostile = board.model_copy(
        update={
            "briefing": hostile_task().briefing,
            "feedback": "<!here> more <b>",
            "script": board.script.model_copy(update={"scenes": scenes}),
            "storyboard": board.storyboard.model_copy(update={"scenes": plans}),
        }
    )
    failed = hostile_task(status=Status.FAILED, error="the model said <!channel>", retryable=True)
    built: list[tuple[str, list]] = [
        ui.root_message(failed),
        ui.draft_blocks(failed, hostile, board),
        ui.failure_blocks(failed),
        ui.expired_blocks(failed, 24),
        ("", ui.status_blocks(failed)),
        ("", ui.list_blocks([failed])),
        (ui.delivered_text(failed), []),
    ]
    for text, blocks in built:
        strings = mrkdwn_strings({"text": text, "blocks": blocks})
        assert [m for s in strings for m in LIVE.findall(s)] == [], strings


def bodies(rng: random.Random) -> list[tuple[bytes, str]]:
    """Bytes no Slack payload looks like: noise, truncated JSON and forms, wrong content types."""
    good = json.dumps(submission(view_id="VFUZZ"))
    out: list[tuple[bytes, str]] = [
        (b"", "application/json"),
        (b"{", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'"a string"', "application/json"),
        (b"null", "application/json"),
        (b"payload=%7B", "application/x-www-form-urlencoded"),
        (b"payload=[]", "application/x-www-form-urlencoded"),
        (b"payload=42", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
        (urlencode({"payload": good}).encode(), "text/plain"),
        (good.encode(), "multipart/form-data; boundary=x"),
    ]
    for _ in range(60):
        raw = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        out.append((raw, rng.choice(["application/json", "application/x-www-form-urlencoded", "text/html"])))
        cut = good[: rng.randrange(1, len(good))]
        out.append((urlencode({"payload": cut}).encode(), "application/x-www-form-urlencoded"))
        out.append((cut.encode(), "application/json"))
    return out


WRONG = [None, 1, 2.5, True, "text", [], {}, [1], {"a": 1}]


def mutations(payload: dict) -> list[dict]:
    """The payload with each field (at any depth) removed, or given each wrong JSON type."""
    out: list[dict] = []

    def paths(node: object, prefix: tuple = ()) -> list[tuple]:
        found = []
        if isinstance(node, dict):
            for key, value in node.items():
                found.append((*prefix, key))
                found += paths(value, (*prefix, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                found.append((*prefix, i))
                found += paths(value, (*prefix, i))
        return found

    for path in paths(payload):
        for replacement in [..., *WRONG]:
            copy = json.loads(json.dumps(payload))
            parent = copy
            for step in path[:-1]:
                parent = parent[step]
            if replacement is ...:
                parent.pop(path[-1])
            else:
                parent[path[-1]] = replacement
            out.append(copy)
    return out


def command_form(**fields: str) -> dict[str, str]:
    base = {"command": "/video", "text": "status x", "user_id": "U1", "channel_id": "C1", "trigger_id": "t"}
    return {**base, **fields}


async def test_any_bytes_and_broken_payloads_never_get_a_5xx(web_client: SignedClient, redis) -> None:
    sink = io.StringIO()
    handler = logger.add(sink, level="ERROR", backtrace=False, diagnose=False)
    rng = random.Random(11)
    statuses: list[int] = []
    try:
        for raw, kind in bodies(rng):
            text = raw.decode("latin-1")
            for headers in ({"Content-Type": kind}, {**web_client.sign(text), "Content-Type": kind}):
                resp = await web_client.session.post(
                    web_client.base + "/slack/events", data=raw, headers=headers
                )
                statuses.append(resp.status)
        payloads = [
            submission(view_id="VMUT"),
            click("approve_draft", "t1:1"),
            click("retry_task", "t1"),
            {
                "type": "event_callback",
                "event": {
                    "type": "message",
                    "channel": "C1",
                    "thread_ts": "1.1",
                    "text": "hello there",
                    "user": "U1",
                },
            },
        ]
        for payload in payloads:
            for mutated in mutations(payload):
                if mutated.get("type") == "event_callback":
                    body = json.dumps(mutated)
                    resp = await web_client.raw(
                        body, {**web_client.sign(body), "Content-Type": "application/json"}
                    )
                else:
                    resp = await web_client.interactive(mutated)
                statuses.append(resp.status)
        form = command_form()
        for key in list(form):
            for value in [None, "", "x" * 5000]:
                changed = {k: v for k, v in form.items() if k != key or value is not None}
                if value is not None:
                    changed[key] = value
                body = urlencode(changed)
                statuses.append((await web_client.raw(body, web_client.sign(body))).status)
        for method, path in [
            ("GET", "/slack/events"),
            ("PUT", "/slack/events"),
            ("POST", "/nowhere"),
            ("GET", "/health/../../etc/passwd"),
            ("DELETE", "/metrics"),
        ]:
            try:
                data = None if method == "GET" else b"\x00\x01"
                resp = await web_client.session.request(method, web_client.base + path, data=data)
            except Exception as exc:
                raise AssertionError(f"{method} {path}") from exc
            statuses.append(resp.status)
        await asyncio.sleep(0)
    finally:
        logger.remove(handler)
    assert max(statuses) < 500, sorted(set(statuses))
    assert 401 in statuses and 400 in statuses
    assert "Traceback" not in sink.getvalue(), sink.getvalue()[:2000]
    # And the app is still up for real requests.
    assert (await web_client.get("/ping")).status == 200
    assert (await web_client.command("help")).status == 200


async def test_unsigned_and_stale_requests_are_refused_before_parsing(web_client: SignedClient) -> None:
    body = urlencode({"payload": json.dumps(submission())})
    unsigned = await web_client.raw(body, {"Content-Type": "application/x-www-form-urlencoded"})
    stale = await web_client.raw(body, web_client.sign(body, ts=int(time.time()) - 600))
    bad_ts = await web_client.raw(body, {**web_client.sign(body), "X-Slack-Request-Timestamp": "soon"})
    assert [unsigned.status, stale.status, bad_ts.status] == [401, 401, 401]
    assert json.loads(await unsigned.text())["error"] == "invalid_signature"


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 500, "times": 4},
        {"status": 429, "retry_after": 0, "times": 6},
        {"drop": True, "times": 4},
    ],
    ids=["http-500", "ratelimited", "dropped"],
)
async def test_a_root_message_slack_never_takes_fails_visibly_with_retry(
    web_client: SignedClient, slack, redis, fault: dict
) -> None:
    slack.fail("chat.postMessage", **fault)
    await web_client.interactive(submission(view_id="VROOT"))
    dm = await eventually(lambda: [p for p in slack.answered("chat.postMessage") if p["channel"] == "U1"])
    store = TaskStore(redis)
    task = await store.get("vroot")
    assert task.status is Status.FAILED and task.retryable and "Slack did not take the request" in task.error
    assert await jobs(redis) == []
    told = next(p for p in slack.called("chat.postMessage") if p["channel"] == "U1")
    assert "retry_task" in json.dumps(told["blocks"]) and "briefing is kept" in told["text"]

    await web_client.interactive(click("retry_task", "vroot"))
    assert await eventually(lambda: jobs(redis)) == ["vroot"]
    task = await store.get("vroot")
    assert task.status is Status.QUEUED and task.root_ts and dm


async def test_expiry_racing_approval_ends_in_exactly_one_outcome(
    web_client: SignedClient, slack, redis, settings
) -> None:
    ctx = {"redis": redis, "settings": settings.model_copy(update={"draft_ttl_hours": 1 / 3600})}
    await startup(ctx)
    store = TaskStore(redis)
    outcomes: list[Status] = []
    briefing = Briefing(title="Race", description="A draft that waits for review.", duration=15)
    try:
        for round_ in range(3):
            ids = [f"race{round_}x{i}" for i in range(25)]
            old = time.time() - 5
            for n, task_id in enumerate(ids):
                await store.create(
                    Task(
                        id=task_id,
                        user="U1",
                        channel="C1",
                        briefing=briefing,
                        status=Status.AWAITING_REVIEW,
                        revision=1,
                        root_ts=f"{n}.1",
                        review_ts=f"{n}.2",
                        created=old,
                        updated=old,
                    )
                )
            before = len(slack.calls)
            clicks = [web_client.interactive(click("approve_draft", f"{task_id}:1")) for task_id in ids]
            # The sweep starts while the clicks are in flight, so their checks and writes interleave.
            await asyncio.gather(*clicks[:12], expire_drafts(ctx), *clicks[12:])

            def answered(since: int = before, count: int = len(ids)) -> bool:
                calls = slack.calls[since:]
                approvals = [
                    p for m, p in calls if m == "chat.update" and "Approved by" in (p.get("text") or "")
                ]
                refusals = [p for m, p in calls if m == "chat.postEphemeral"]
                return len(approvals) + len(refusals) >= count

            await eventually(answered)
            queued = await jobs(redis)
            for n, task_id in enumerate(ids):
                task = await store.get(task_id)
                mine = [j for j in queued if j.startswith(f"{task_id}-")]
                notes = [
                    p
                    for m, p in slack.calls[before:]
                    if m == "chat.postMessage" and "expired" in p["text"] and p.get("thread_ts") == f"{n}.1"
                ]
                if task.status is Status.EXPIRED:
                    assert mine == [] and len(notes) == 1, (task_id, mine, notes)
                else:
                    assert task.status is Status.QUEUED and mine == [f"{task_id}-render1"] and notes == [], (
                        task_id
                    )
                outcomes.append(task.status)
    finally:
        await shutdown(ctx)
    assert len(outcomes) == 75
