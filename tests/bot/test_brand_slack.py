"""/video brand end to end: the kit set through the modal (logo by file input, read with the
bot token) is on the next video; bad input and non-admins get field errors; a kit whose logo
is gone renders without it and the draft says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.brands import BrandStore
from bot.tasks import TaskStore
from tests.bot.support import BOT_TOKEN, eventually, run_jobs, submission
from tests.brand_support import LOGO, find_logo
from tests.media import frame

pytestmark = pytest.mark.slow


def kit_submission(file_ids: list[str], user: str = "UADMIN", primary: str = "#2F6BFF") -> dict:
    """The brand modal submitted, as Slack sends it (a file input gives file ids)."""

    def text(v: str) -> dict:
        return {"value": {"type": "plain_text_input", "value": v}}

    def pick(v: str) -> dict:
        return {"value": {"type": "static_select", "selected_option": {"value": v}}}

    values = {
        "name": text("Nimbus"),
        "primary": text(primary),
        "secondary": text(""),
        "accent": text(""),
        "background": text("#0B1533"),
        "logo": {"value": {"type": "file_input", "files": [{"id": f} for f in file_ids]}},
        "font": pick("lato"),
        "caption_position": pick("bottom"),
        "caption_size": {"value": {"type": "number_input", "value": "1"}},
        "highlight": text("#FFB020"),
        "pronounce": text("Nimbus = NIM-bus"),
        "options": {"value": {"type": "checkboxes", "selected_options": [{"value": "captions"}]}},
    }
    return {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": user},
        "api_app_id": "A1",
        "trigger_id": "trig-brand",
        "view": {"id": "VKIT", "type": "modal", "callback_id": "brand_kit", "state": {"values": values}},
    }


async def _errors(web_client, payload: dict) -> dict:
    resp = await web_client.interactive(payload)
    body = await resp.text()
    assert resp.status == 200
    return json.loads(body)["errors"] if body else {}


async def test_a_kit_set_in_the_modal_is_on_the_next_video(
    web_client, slack, redis, settings, tmp_path: Path
):
    await web_client.command("brand", user="UADMIN")
    opened = await eventually(lambda: slack.called("views.open"))
    assert opened[-1]["view"]["callback_id"] == "brand_kit"
    assert any(b.get("element", {}).get("type") == "file_input" for b in opened[-1]["view"]["blocks"])

    file_id = slack.share("logo.png", LOGO.read_bytes())
    assert await _errors(web_client, kit_submission([file_id])) == {}
    assert slack.downloads == [(file_id, f"Bearer {BOT_TOKEN}")]
    kit = await BrandStore(redis).get("T1")
    assert (
        kit is not None
        and kit.logo_size == "480x192 PNG"
        and kit.fields["pronounce"] == {"Nimbus": "NIM-bus"}
    )

    # The briefing form now offers the brand, ticked.
    await web_client.command("")
    form = (await eventually(lambda: slack.called("views.open")))[-1]["view"]
    options = next(b for b in form["blocks"] if b["block_id"] == "options")["element"]
    assert [o["value"] for o in options["initial_options"]] == ["use_brand"]

    payload = submission(view_id="VBRAND")
    payload["view"]["state"]["values"]["options"]["value"]["selected_options"].append({"value": "use_brand"})
    await web_client.interactive(payload)
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    await run_jobs(settings)
    task = await TaskStore(redis).get("vbrand")
    assert task is not None and task.brand and task.status.value == "delivered", task
    video = tmp_path / "delivered.mp4"
    video.write_bytes(next(b for b in slack.uploads.values() if b[4:8] == b"ftyp"))
    score, _at, _h = find_logo(frame(video, 1.2), heights=range(14, 64, 2))
    assert score > 0.9, score


async def test_bad_kits_and_non_admins_get_field_errors(web_client, slack, redis):
    assert "name" in await _errors(web_client, kit_submission([], user="USOMEONE"))
    assert "primary" in await _errors(web_client, kit_submission([], primary="blue-ish"))
    not_image = slack.share("logo.png", b"GIF89a not really")
    assert "logo" in await _errors(web_client, kit_submission([not_image]))
    assert await BrandStore(redis).get("T1") is None


async def test_a_kit_whose_logo_is_gone_renders_without_it(web_client, slack, redis, settings):
    file_id = slack.share("logo.png", LOGO.read_bytes())
    assert await _errors(web_client, kit_submission([file_id])) == {}
    await redis.delete(BrandStore.key("T1") + ":logo")  # evicted, or deleted by hand
    payload = submission(view_id="VGONE", skip=False)
    payload["view"]["state"]["values"]["options"]["value"]["selected_options"].append({"value": "use_brand"})
    await web_client.interactive(payload)
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    await run_jobs(settings)
    task = await TaskStore(redis).get("vgone")
    assert task is not None and task.status.value == "awaiting_review", task
    drafts = [
        json.dumps(p.get("blocks")) for p in slack.called("chat.postMessage") if "Draft" in p.get("text", "")
    ]
    assert drafts and "has no logo" in drafts[-1]
