"""/video brand end to end: the kit set through the modal (logo and font by file input, read
with the bot token) is on the next video; bad input and non-admins get field errors; a kit
whose logo or font is gone renders without it and the draft, or the video's message, says so."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from bot.brands import BrandStore
from bot.tasks import TaskStore
from pipeline import Briefing, make_draft
from pipeline.brand import FONTS_DIR
from tests.bot.support import BOT_TOKEN, eventually, run_jobs, submission
from tests.brand_support import LOGO, find_logo
from tests.media import frame

# A font as a team would upload it: not one of the bundled choices, under its own name.
SERIF = (FONTS_DIR / "SourceSerifPro-Bold.ttf").read_bytes()

pytestmark = pytest.mark.slow


def kit_submission(
    file_ids: list[str],
    user: str = "UADMIN",
    primary: str = "#2F6BFF",
    font_ids: tuple[str, ...] = (),
    font: str = "lato",
) -> dict:
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
        "font": pick(font),
        "font_file": {"value": {"type": "file_input", "files": [{"id": f} for f in font_ids]}},
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


async def _task(web_client, redis, settings, view_id: str, skip: bool):
    payload = submission(view_id=view_id, skip=skip)
    payload["view"]["state"]["values"]["options"]["value"]["selected_options"].append({"value": "use_brand"})
    await web_client.interactive(payload)
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    await run_jobs(settings)
    return await TaskStore(redis).get(view_id.lower())


async def test_an_uploaded_font_is_the_next_drafts_font(web_client, slack, redis, settings, tmp_path: Path):
    logo, font = slack.share("logo.png", LOGO.read_bytes()), slack.share("Nimbus Serif.ttf", SERIF)
    assert await _errors(web_client, kit_submission([logo], font_ids=(font,))) == {}
    assert (font, f"Bearer {BOT_TOKEN}") in slack.downloads
    kit = await BrandStore(redis).get("T1")
    assert kit is not None and (kit.font_name, kit.font_family) == ("Nimbus Serif.ttf", "Source Serif Pro")
    assert await BrandStore(redis).font("T1") == SERIF

    # The modal shows it chosen; saving again as it is keeps it.
    await web_client.command("brand", user="UADMIN")
    view = (await eventually(lambda: slack.called("views.open")))[-1]["view"]
    chosen = next(b for b in view["blocks"] if b.get("block_id") == "font")["element"]["initial_option"]
    assert chosen == {
        "text": {"type": "plain_text", "text": "Uploaded: Source Serif Pro"},
        "value": "uploaded",
    }
    assert await _errors(web_client, kit_submission([], font="uploaded")) == {}
    opened = len(slack.called("views.open"))
    await web_client.command("brand", user="USOMEONE")  # everyone else sees which font it is
    shown = (
        await eventually(lambda: len(slack.called("views.open")) > opened and slack.called("views.open"))
    )[-1]
    assert "Font: Source Serif Pro (Nimbus Serif.ttf)" in shown["view"]["blocks"][0]["text"]["text"]
    assert (await BrandStore(redis).get("T1")).font_name == "Nimbus Serif.ttf"  # type: ignore[union-attr]

    task = await _task(web_client, redis, settings, "VFONT", skip=False)
    assert task is not None and task.status.value == "awaiting_review", task
    used = settings.task_dir(task.id) / "brand" / f"font-{kit.font_sha}" / "Nimbus Serif.ttf"
    assert used.read_bytes() == SERIF
    # The draft's keyframes (posted to the thread) are drawn in it: the same sheet as the
    # pipeline draws with that kit, and not the one it draws with the default font.
    posted = next(b for b in slack.uploads.values() if b[:4] == b"\x89PNG")
    brand = await BrandStore(redis).brand_for("T1", tmp_path / "kit")
    assert brand is not None
    briefing = Briefing(**task.briefing.model_dump())
    config = settings.pipeline_config()

    def sheet(**kit: object) -> bytes:
        work = tmp_path / f"draft-{len(kit)}"
        draft = make_draft(
            briefing, config.model_copy(update={"work_dir": work, "brand": brand.model_copy(update=kit)})
        )
        return hashlib.sha256(draft.contact_sheet.read_bytes()).hexdigest()[:16]

    assert hashlib.sha256(posted).hexdigest()[:16] == sheet() != sheet(font="dejavu-sans")

    # Choosing a bundled font again drops the upload.
    assert await _errors(web_client, kit_submission([], font="roboto")) == {}
    kit = await BrandStore(redis).get("T1")
    assert kit is not None and kit.font_name is None and kit.fields["font"] == "roboto"
    assert await BrandStore(redis).font("T1") is None


async def test_a_font_that_is_not_one_is_a_field_error(web_client, slack, redis):
    for name, data, words in [
        ("brand.ttf", b"GIF89a not a font", "is not a TrueType or OpenType font"),
        ("brand.ttf", b"\x00\x01\x00\x00" + b"\x07" * 500, "The font did not load"),
        ("brand.otf", b"OTTO" + b"\x00" * (2 * 1024 * 1024), "The font is 2.1 MB; at most 2 MB"),
        ("brand.ttf", b"wOFF" + SERIF[4:], "is not a TrueType or OpenType font"),
    ]:
        errors = await _errors(web_client, kit_submission([], font_ids=(slack.share(name, data),)))
        assert list(errors) == ["font_file"] and words in errors["font_file"], errors
    # A bad logo and a bad font, fetched and checked together, are both named at once.
    both = kit_submission(
        [slack.share("logo.png", b"not a picture")], font_ids=(slack.share("f.ttf", b"GIF89a"),)
    )
    assert sorted(await _errors(web_client, both)) == ["font_file", "logo"]
    assert await BrandStore(redis).get("T1") is None


async def test_a_skip_review_video_whose_logo_and_font_are_gone_says_so_in_its_message(
    web_client, slack, redis, settings
):
    logo, font = slack.share("logo.png", LOGO.read_bytes()), slack.share("Nimbus Serif.ttf", SERIF)
    assert await _errors(web_client, kit_submission([logo], font_ids=(font,))) == {}
    for part in (":logo", ":font"):  # evicted, or deleted by hand
        await redis.delete(BrandStore.key("T1") + part)
    task = await _task(web_client, redis, settings, "VSKIP", skip=True)
    assert task is not None and task.status.value == "delivered", task
    message = slack.called("files.completeUploadExternal")[-1]["initial_comment"]
    assert "The brand kit's logo (logo.png) could not be found or read, so this video has no logo" in message
    assert "font (Nimbus Serif.ttf) did not load; the default font is used" in message, message
