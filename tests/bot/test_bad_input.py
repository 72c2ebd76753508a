"""Bad input never becomes a 500 or an exception; replays make one task; allow-lists hold."""

from __future__ import annotations

import json
import random
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.settings import Settings
from bot.slack import ui
from pipeline import Briefing, BriefingError, parse_briefing
from tests.bot.support import SignedClient, eventually, serve, submission

ANY_TEXT = st.one_of(
    st.none(),
    st.text(max_size=300),
    st.text(alphabet=string.whitespace, max_size=5),
    st.just("x" * 6000),
    st.integers().map(str),
    st.floats(allow_nan=True).map(str),
)


def modal_state(fields: dict) -> dict:
    values = {}
    for k, v in fields.items():
        if k in ("style", "tone", "aspect"):
            values[k] = {
                "value": {"type": "static_select", "selected_option": None if v is None else {"value": v}}
            }
        else:
            values[k] = {"value": {"type": "plain_text_input", "value": v}}
    return {"id": "V1", "state": {"values": values}, "private_metadata": "not json {"}


@settings(max_examples=1000, deadline=None)
@given(st.fixed_dictionaries({k: ANY_TEXT for k in ui.FIELDS}))
def test_any_modal_submission_is_a_briefing_or_field_errors(fields: dict) -> None:
    data, _skip, channel = ui.read_submission(modal_state(fields))
    assert channel == ""
    try:
        briefing = parse_briefing(data)
    except BriefingError as exc:
        assert exc.errors and all(isinstance(m, str) and m for m in exc.errors.values())
        assert set(exc.errors) <= set(ui.FIELDS)
    else:
        assert isinstance(briefing, Briefing) and 15 <= briefing.duration <= 180


def fuzz_text(rng: random.Random) -> str:
    pool = string.printable + "🚀éاשׁ\u200d\x00\x1b{}\\<>&"
    return "".join(rng.choice(pool) for _ in range(rng.randint(0, 80)))


async def test_fuzzed_commands_and_submissions_never_500(web_client: SignedClient, redis) -> None:
    rng = random.Random(1234)
    for i in range(150):
        resp = await web_client.command(
            fuzz_text(rng) if i % 3 else rng.choice(["status", "cancel", "list x"]) + " " + fuzz_text(rng),
            user=f"U{i % 3}",
        )
        assert resp.status == 200
        payload = submission(
            view_id=f"VF{i}",
            user=f"UF{i}",
            title=fuzz_text(rng),
            description=fuzz_text(rng),
            duration=rng.choice(["15", "-1", "abc", "", "180", "1e9", fuzz_text(rng)]),
            style=rng.choice(["modern", "nope", ""]),
            tone="friendly",
            aspect="16:9",
        )
        resp = await web_client.interactive(payload)
        assert resp.status == 200
        body = await resp.text()
        if body:
            reply = json.loads(body)
            assert reply["response_action"] == "errors" and set(reply["errors"]) <= set(ui.FIELDS)


async def test_slack_retries_of_one_submission_make_one_task(web_client: SignedClient, slack, redis) -> None:
    from urllib.parse import urlencode

    body = urlencode({"payload": json.dumps(submission(view_id="VRETRY"))})
    for n in range(100):
        headers = {
            **web_client.sign(body),
            "X-Slack-Retry-Num": str(n % 3 + 1),
            "X-Slack-Retry-Reason": "http_timeout",
        }
        assert (await web_client.raw(body, headers)).status == 200
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    assert await redis.zcard("arq:queue") == 1
    roots = [p for p in slack.called("chat.postMessage") if p["channel"] == "C1"]
    assert len(roots) == 1


async def test_allow_lists_refuse_other_users_and_channels(settings: Settings, redis, slack) -> None:
    limited = settings.model_copy(update={"allowed_users": ["UOK"], "allowed_channels": ["COK"]})
    async with serve(limited) as client:
        for user, channel, expect in [("UNO", "COK", "not on the list"), ("UOK", "CNO", "isn't enabled")]:
            resp = await client.interactive(
                submission(view_id=f"V{user}{channel}", user=user, channel=channel)
            )
            assert expect in json.loads(await resp.text())["errors"]["title"]
        assert (
            await (await client.interactive(submission(view_id="VOKOK", user="UOK", channel="COK"))).text()
            == ""
        )
