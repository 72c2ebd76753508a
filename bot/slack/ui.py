"""Block Kit, built by pure functions returning dicts (tested without Slack)."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.tasks import Status, Task
from pipeline import Draft
from pipeline.agents.casting import eligible
from pipeline.briefing import DURATION_MAX, DURATION_MIN, Aspect, Style, Tone
from pipeline.media import LIMITS as MEDIA_LIMITS
from pipeline.media import Credit
from pipeline.progress import LABELS

MODAL_ID = "briefing"
RETRY_ACTION = "retry_task"
FIELDS = ("title", "description", "duration", "style", "tone", "aspect")
STATUS_EMOJI = {
    Status.QUEUED: ":hourglass:",
    Status.DRAFTING: ":pencil2:",
    Status.AWAITING_REVIEW: ":eyes:",
    Status.RENDERING: ":clapper:",
    Status.UPLOADING: ":outbox_tray:",
    Status.DELIVERED: ":white_check_mark:",
    Status.FAILED: ":x:",
    Status.CANCELLED: ":no_entry_sign:",
    Status.EXPIRED: ":zzz:",
}

Blocks = list[dict[str, Any]]


def _text(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text[:150]}


def esc(text: str) -> str:
    """User or model text made inert in mrkdwn, as Slack documents: `&`, `<` and `>` become
    entities, so no `<!channel>`, `<@U…>` or `<url|label>` in it can ping or hide a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_USER_ID = re.compile(r"[UW][A-Z0-9]{1,20}")
_GROUP_ID = re.compile(r"S[A-Z0-9]{1,20}")


def mention(who: str) -> str:
    """A mention of a Slack user (U…, W…) or user group (S…); anything else is inert text."""
    if _USER_ID.fullmatch(who):
        return f"<@{who}>"
    return f"<!subteam^{who}>" if _GROUP_ID.fullmatch(who) else esc(who)


def credit_link(credit: dict[str, Any] | Credit) -> str:
    """ "Video by <author|Name> on <page|Pexels>", as Pexels asks to be credited. The URLs were
    checked when the answer was read (http(s), no spaces, `<`, `>` or `|`); the name is escaped."""
    c = credit if isinstance(credit, Credit) else Credit.model_validate(credit)
    author = f"<{c.author_url}|{esc(c.author)}>" if c.author_url else esc(c.author)
    where = f"<{c.page_url}|{esc(c.provider)}>" if c.page_url else esc(c.provider)
    return f"{'Video' if c.kind == 'video' else 'Photo'} by {author} on {where}"


def _md(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _options(values: list[str]) -> list[dict[str, Any]]:
    return [{"text": _text(v.capitalize() if ":" not in v else v), "value": v} for v in values]


def _select(block: str, label: str, values: list[str], initial: str) -> dict[str, Any]:
    opts = _options(values)
    return {
        "type": "input",
        "block_id": block,
        "label": _text(label),
        "element": {
            "type": "static_select",
            "action_id": "value",
            "options": opts,
            "initial_option": next(o for o in opts if o["value"] == initial),
        },
    }


def briefing_modal(channel: str, description: str = "", has_brand: bool = False) -> dict[str, Any]:
    """The /video form; the channel rides along in private_metadata. With a brand kit, "Use our
    brand" is offered, ticked."""
    desc: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": True,
        "min_length": 1,
        "max_length": 5000,
        "placeholder": _text("What should the video say? Key points, audience, call to action."),
    }
    if description:
        desc["initial_value"] = description[:5000]
    return {
        "type": "modal",
        "callback_id": MODAL_ID,
        "private_metadata": json.dumps({"channel": channel}),
        "title": _text("New video"),
        "submit": _text("Create"),
        "close": _text("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": "title",
                "label": _text("Title"),
                "element": {"type": "plain_text_input", "action_id": "value", "max_length": 200},
            },
            {"type": "input", "block_id": "description", "label": _text("Description"), "element": desc},
            {
                "type": "input",
                "block_id": "duration",
                "label": _text(f"Duration ({DURATION_MIN}-{DURATION_MAX} s)"),
                "element": {
                    "type": "number_input",
                    "action_id": "value",
                    "is_decimal_allowed": False,
                    "initial_value": "30",
                    "min_value": str(DURATION_MIN),
                    "max_value": str(DURATION_MAX),
                },
            },
            _select("style", "Style", [s.value for s in Style], Style.MODERN.value),
            _select("tone", "Tone", [t.value for t in Tone], Tone.PROFESSIONAL.value),
            _select("aspect", "Aspect ratio", [a.value for a in Aspect], Aspect.LANDSCAPE.value),
            {
                "type": "input",
                "block_id": "options",
                "optional": True,
                "label": _text("Options"),
                "element": _options_element(has_brand),
            },
            _select("captions", "Captions", list(CAPTION_CHOICES), "auto"),
            {
                "type": "input",
                "block_id": "media",
                "optional": True,
                "label": _text("Your pictures and clips"),
                "hint": _text(f"Shown in the scenes, in order: {MEDIA_LIMITS}."),
                "element": {
                    "type": "file_input",
                    "action_id": "value",
                    "filetypes": MEDIA_TYPES,
                    "max_files": 10,
                },
            },
        ],
    }


MEDIA_TYPES = ["png", "jpg", "jpeg", "webp", "gif", "mp4", "mov", "webm"]


def read_media_files(view: dict[str, Any]) -> list[str]:
    """The file ids of the briefing form's pictures and clips."""
    files = view.get("state", {}).get("values", {}).get("media", {}).get("value", {}).get("files") or []
    return [str(f["id"]) for f in files if isinstance(f, dict) and f.get("id")][:10]


# The briefing form's caption choice: "auto" is the brand kit's place (or the bottom).
CAPTION_CHOICES = {"auto": "As the brand kit says", "bottom": "Bottom", "middle": "Middle", "top": "Top"}
CAPTION_CHOICES["off"] = "Off"


def _options_element(has_brand: bool) -> dict[str, Any]:
    skip = {"text": _text("Skip review: render straight away"), "value": "skip_review"}
    if not has_brand:
        return {"type": "checkboxes", "action_id": "value", "options": [skip]}
    use = {"text": _text("Use our brand"), "value": "use_brand"}
    return {"type": "checkboxes", "action_id": "value", "options": [use, skip], "initial_options": [use]}


def read_brand_choice(view: dict[str, Any]) -> tuple[bool, str]:
    """(use the brand kit, caption place or "" for the kit's) from the briefing form."""
    values = view.get("state", {}).get("values", {})
    checked = values.get("options", {}).get("value", {}).get("selected_options") or []
    use = any(o.get("value") == "use_brand" for o in checked)
    chosen = (values.get("captions", {}).get("value", {}).get("selected_option") or {}).get("value")
    return use, chosen if chosen in CAPTION_CHOICES and chosen != "auto" else ""


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The view's private_metadata as a dict ({} when it is missing or not a JSON object)."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return meta if isinstance(meta, dict) else {}


def read_submission(view: dict[str, Any]) -> tuple[dict[str, Any], bool, str]:
    """(briefing fields, skip review, channel) from a view_submission's state."""
    values = view.get("state", {}).get("values", {})
    data: dict[str, Any] = {}
    for field in FIELDS:
        el = values.get(field, {}).get("value", {})
        if "selected_option" in el:
            data[field] = (el.get("selected_option") or {}).get("value")
        elif el.get("value") is not None:
            data[field] = el["value"]
    checked = values.get("options", {}).get("value", {}).get("selected_options") or []
    skip = any(o.get("value") == "skip_review" for o in checked)
    channel = metadata(view).get("channel", "")
    return data, skip, channel if isinstance(channel, str) else ""


def status_word(task: Task) -> str:
    return task.status.words


def stale_text(task: Task) -> str:
    """Why a click on an old draft does nothing."""
    rev = f", now at revision {task.revision}" if task.revision else ""
    return f"That draft is no longer current: the video is {status_word(task)}{rev}."


def settings_line(task: Task) -> str:
    b = task.briefing
    return f"{b.duration} s · {b.style.value} · {b.tone.value} · {b.aspect.value}"


def root_message(task: Task) -> tuple[str, Blocks]:
    """The channel message a task's thread hangs from."""
    emoji = STATUS_EMOJI[task.status]
    title = esc(task.briefing.title)
    text = f"{emoji} Video *{title}* requested by {mention(task.user)}"
    blocks = [
        _md(f"{text}\n{settings_line(task)}"),
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"Task `{task.id}` · {status_word(task)}"}],
        },
    ]
    return f"Video {title}: {task.status.value}", blocks


def progress_text(phase: str, percent: int, eta_seconds: float | None) -> str:
    filled = max(0, min(20, percent // 5))
    bar = "█" * filled + "░" * (20 - filled)
    eta = f" · about {int(eta_seconds) + 1} s left" if eta_seconds is not None and percent < 100 else ""
    return f"`{bar}` {percent}% · {LABELS.get(phase, phase)}{eta}"


def delivered_text(task: Task) -> str:
    size, title = (task.size_bytes or 0) / 1e6, esc(task.briefing.title)
    return (
        (
            f":white_check_mark: *{title}* is ready: {task.duration or 0:.0f} s, {size:.1f} MB, "
            f"made in {task.generation_seconds or 0:.0f} s, cost ${task.cost_usd:.2f}."
        )
        + "".join(f"\n:information_source: {esc(note)}" for note in task.render_notes)
        + (
            "\n:film_frames: Stock footage: " + "; ".join(credit_link(c) for c in task.credits)
            if task.credits
            else ""
        )
    )


def failure_blocks(task: Task) -> tuple[str, Blocks]:
    reason = esc((task.error or "an unexpected error").rstrip("."))
    text = f":x: The video did not get finished: {reason}."
    blocks: Blocks = [_md(text)]
    if task.retryable:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": RETRY_ACTION,
                        "style": "primary",
                        "text": _text("Retry"),
                        "value": task.id,
                    }
                ],
            }
        )
    return text, blocks


HELP = (
    "*OMA makes short narrated videos from a briefing.*\n"
    "• `/video`: open the briefing form\n"
    "• `/video <text>`: open the form with <text> as the description\n"
    "• `/video list`: your recent videos\n"
    "• `/video status <id>`: one video's progress\n"
    "• `/video cancel <id>`: stop a video (yours; admins any)\n"
    "• `/video stats`: how OMA is doing\n"
    "• `/video help`: this message"
)


def help_blocks() -> Blocks:
    return [_md(HELP)]


def status_blocks(task: Task) -> Blocks:
    lines = [
        f"{STATUS_EMOJI[task.status]} *{esc(task.briefing.title)}* (`{task.id}`): {status_word(task)}",
        settings_line(task),
    ]
    if task.status in (Status.DRAFTING, Status.RENDERING, Status.UPLOADING):
        lines.append(progress_text(task.phase, task.percent, None))
    if task.error:
        lines.append(f"Error: {esc(task.error)}")
    return [_md("\n".join(lines))]


def list_blocks(tasks: list[Task]) -> Blocks:
    if not tasks:
        return [_md("You have no videos yet. Type `/video` to make one.")]
    rows = [f"{STATUS_EMOJI[t.status]} `{t.id}` *{esc(t.briefing.title)}*: {status_word(t)}" for t in tasks]
    return [_md("*Your recent videos*\n" + "\n".join(rows))]


def stats_blocks(stats: dict[str, Any]) -> Blocks:
    by_status = ", ".join(f"{k}: {v}" for k, v in sorted(stats["by_status"].items())) or "none"
    median = stats["median_seconds"]
    return [
        _md(
            f"*OMA stats*\nTasks by status: {by_status}\n"
            f"Median generation time: {f'{median:.0f} s' if median is not None else 'n/a'}\n"
            f"Total cost: ${stats['total_cost']:.2f}\nQueue depth: {stats['queue_depth']}\n"
            f"Live workers: {stats['workers']}"
        )
    ]


APPROVE_ACTION = "approve_draft"
CHANGES_ACTION = "request_changes"
CANCEL_ACTION = "cancel_task"
FEEDBACK_MODAL = "feedback"
EDIT_ACTION = "edit_scenes"
EDIT_MODAL = "edit_scenes"
# A modal holds at most 100 blocks: three per scene (headline, narration, remove) and a note
# (fewer scenes fit when the file and stock blocks are there, see edit_scenes_max).
EDIT_SCENES_MAX = 33


def _clock(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def changed_scenes(draft: Draft, previous: Draft | None) -> list[int]:
    """1-based numbers of scenes whose narration or headline differ from the previous revision."""
    if previous is None:
        return []
    old = list(zip(previous.script.scenes, previous.storyboard.scenes, strict=True))
    out = []
    for i, (scene, plan) in enumerate(zip(draft.script.scenes, draft.storyboard.scenes, strict=True)):
        if i >= len(old) or (scene.narration, plan.headline) != (old[i][0].narration, old[i][1].headline):
            out.append(i + 1)
    return out


def draft_blocks(task: Task, draft: Draft, previous: Draft | None = None) -> tuple[str, Blocks]:
    """The draft for review: scenes with time ranges, what changed, estimate, and the buttons."""
    rev = draft.revision
    title = esc(task.briefing.title)
    head = f":clapper: *Draft {'' if rev == 1 else f'revision {rev} '}for {title}*"
    if draft.feedback:
        head += f"\nChanged for: _{esc(draft.feedback[:300])}_"
    if previous is not None:
        changed = changed_scenes(draft, previous)
        head += "\nWhat changed: " + (
            f"scene{'s' if len(changed) > 1 else ''} {', '.join(map(str, changed))}" if changed else "nothing"
        )
    blocks: Blocks = [_md(head)]
    start = 0.0
    shows = {m.key: m for m in draft.shown}
    for i, (scene, plan) in enumerate(zip(draft.script.scenes, draft.storyboard.scenes, strict=True), 1):
        end = start + plan.duration
        line = f"*{i}.* `{_clock(start)}–{_clock(end)}` *{esc(plan.headline)}*\n>{esc(scene.narration)}"
        item = shows.get(plan.media or "")
        block = _md(line)
        if item is not None and item.credit is not None:
            block = _md(
                f"{line}\n:film_frames: {credit_link(item.credit)} · found with “{esc(item.credit.query)}”"
            )
            if item.credit.thumbnail:  # each scene's pick at a glance, beside its words
                alt = f"Scene {i}: {item.credit.line()}"
                block["accessory"] = {"type": "image", "image_url": item.credit.thumbnail, "alt_text": alt}
        elif item is not None:
            block = _md(f"{line}\n:frame_with_picture: shows _{esc(item.name)}_")
        elif draft.stock_search:
            block = _md(f"{line}\n:art: procedural art (no stock footage)")
        blocks.append(block)
        start = end
    blocks = blocks[:44]  # Slack allows 50 blocks a message
    if draft.notes:  # what the built-in writer left out, or could not apply; a model stand-in
        notes = "\n".join(f":information_source: {esc(n)}" for n in draft.notes)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": notes[:3000]}]})
    cost = f", about ${draft.estimated_cost_usd:.2f}" if draft.estimated_cost_usd else ""
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": (
                        f"Render takes about {draft.estimated_render_seconds:.0f} s{cost}. "
                        f"Task `{task.id}` · revision {rev}"
                    ),
                }
            ],
        }
    )
    value = f"{task.id}:{rev}"
    blocks.append(
        {
            "type": "actions",
            "block_id": f"review-{rev}",
            "elements": [
                {
                    "type": "button",
                    "action_id": APPROVE_ACTION,
                    "style": "primary",
                    "value": value,
                    "text": _text("Approve & render"),
                },
                {
                    "type": "button",
                    "action_id": CHANGES_ACTION,
                    "value": value,
                    "text": _text("Request changes"),
                },
                {"type": "button", "action_id": EDIT_ACTION, "value": value, "text": _text("Edit scenes")},
                {
                    "type": "button",
                    "action_id": CANCEL_ACTION,
                    "style": "danger",
                    "value": value,
                    "text": _text("Cancel"),
                    "confirm": {
                        "title": _text("Cancel this video?"),
                        "text": _text("The draft and any render stop."),
                        "confirm": _text("Cancel video"),
                        "deny": _text("Keep it"),
                    },
                },
            ],
        }
    )
    return f"Draft revision {rev} for {title}: review it in the thread", blocks


def without_images(blocks: Blocks) -> Blocks:
    """The same blocks with no image blocks and no image accessories."""
    out = []
    for block in blocks:
        if block.get("type") == "image":
            continue
        if (block.get("accessory") or {}).get("type") == "image":
            block = {k: v for k, v in block.items() if k != "accessory"}
        out.append(block)
    return out


def decided_blocks(blocks: Blocks, note: str) -> Blocks:
    """The same draft with its buttons replaced by who decided what."""
    kept = [b for b in blocks if b.get("type") != "actions"]
    return [*kept, {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}]


def feedback_modal(task_id: str, revision: int) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": FEEDBACK_MODAL,
        "private_metadata": json.dumps({"task": task_id, "revision": revision}),
        "title": _text("Request changes"),
        "submit": _text("Revise"),
        "close": _text("Back"),
        "blocks": [
            {
                "type": "input",
                "block_id": "feedback",
                "label": _text("What should change?"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "min_length": 3,
                    "max_length": 2000,
                },
            }
        ],
    }


REVISE_ACTION = "revise_video"


NO_FILE = "none"  # the picture choice for "no file of ours": stock footage or generated art


def edit_scenes_max(draft: Draft) -> int:
    """Scenes that fit in the Edit scenes modal (100 blocks, one for the note): three a scene
    (headline, narration, remove), one more for the file choice, one more for a stock phrase."""
    per = 3 + bool(draft.media) + draft.stock_search
    return min(EDIT_SCENES_MAX, 99 // per)


def _own(draft: Draft, plan) -> str:
    """The key of the team's file a scene shows, or NO_FILE."""
    return plan.media if any(m.key == plan.media for m in draft.media) else NO_FILE


def _file_choice(draft: Draft, i: int, plan) -> dict[str, Any]:
    none = "Stock footage" if draft.stock_search else "Generated art"
    options = [{"text": _text(none), "value": NO_FILE}] + [
        {"text": _text(m.name[:75]), "value": f"file:{m.key}"} for m in draft.media[:99]
    ]
    current = _own(draft, plan)
    initial = next(o for o in options if o["value"] in (current, f"file:{current}"))
    return {
        "type": "input",
        "block_id": f"m{i}",
        "optional": True,
        "label": _text(f"Scene {i}: picture or clip"),
        "hint": _text(
            "A file moves here from the scene that shows it; choosing none takes it out of the video."
        ),
        "element": {
            "type": "static_select",
            "action_id": "value",
            "options": options,
            "initial_option": initial,
        },
    }


def _stock_phrase(draft: Draft, i: int, plan) -> dict[str, Any]:
    found = {m.key: m.credit.query for m in draft.stock if m.credit}.get(plan.media or "", "")
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": 100}
    if plan.stock_query:
        element["initial_value"] = plan.stock_query[:100]
    if found:
        element["placeholder"] = _text(f"Now: {found}"[:150])
    return {
        "type": "input",
        "block_id": f"s{i}",
        "optional": True,
        "label": _text(f"Scene {i}: stock search phrase"),
        "element": element,
    }


def edit_modal(task_id: str, revision: int, draft: Draft) -> dict[str, Any]:
    """Every scene's headline and narration as editable fields (plain text: nothing to escape),
    the file it shows (when the draft has the team's own files), and for stock footage a search
    phrase and "Next stock result"."""
    blocks: Blocks = []
    start = 0.0
    pairs = list(zip(draft.script.scenes, draft.storyboard.scenes, strict=True))
    fits = edit_scenes_max(draft)
    first, then = eligible(draft.storyboard)
    may_show = {*first, *then}  # the scenes casting lets show a file
    for i, (scene, plan) in enumerate(pairs[:fits], 1):
        end = start + plan.duration
        options = [{"text": _text("Remove this scene"), "value": "remove"}]
        if draft.stock_search:
            options.append({"text": _text("Next stock result"), "value": "next"})
        blocks += [
            {
                "type": "input",
                "block_id": f"h{i}",
                "label": _text(f"Scene {i} ({_clock(start)}–{_clock(end)}, {plan.kind}): headline"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "initial_value": plan.headline[:150],
                    "max_length": 150,
                },
            },
            {
                "type": "input",
                "block_id": f"n{i}",
                "label": _text(f"Scene {i}: narration"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "initial_value": scene.narration[:3000],
                    "max_length": 3000,
                },
            },
        ]
        if draft.media and i - 1 in may_show:
            blocks.append(_file_choice(draft, i, plan))
        if draft.stock_search:
            blocks.append(_stock_phrase(draft, i, plan))
        blocks.append(
            {
                "type": "input",
                "block_id": f"r{i}",
                "optional": True,
                "label": _text(f"Scene {i}"),
                "element": {"type": "checkboxes", "action_id": "value", "options": options},
            }
        )
        start = end
    note = "Change the words exactly as they should be heard and shown; only changed scenes are made again."
    if len(pairs) > fits:
        note += f" Scenes {fits + 1}-{len(pairs)} do not fit in this form: use Request changes."
    blocks.append({"type": "context", "elements": [{"type": "plain_text", "text": note}]})
    return {
        "type": "modal",
        "callback_id": EDIT_MODAL,
        "private_metadata": json.dumps({"task": task_id, "revision": revision}),
        "title": _text("Edit scenes"),
        "submit": _text("Make revision"),
        "close": _text("Back"),
        "blocks": blocks,
    }


def read_edits(view: dict[str, Any], draft: Draft) -> list[dict[str, Any]]:
    """The scenes whose words or pictures differ from `draft`, as SceneEdit fields (number from 1)."""
    values = view.get("state", {}).get("values", {})
    edits = []
    pairs = list(zip(draft.script.scenes, draft.storyboard.scenes, strict=True))
    for i, (scene, plan) in enumerate(pairs[: edit_scenes_max(draft)], 1):
        headline = values.get(f"h{i}", {}).get("value", {}).get("value")
        narration = values.get(f"n{i}", {}).get("value", {}).get("value")
        checked = {
            o.get("value") for o in values.get(f"r{i}", {}).get("value", {}).get("selected_options") or []
        }
        chosen = (values.get(f"m{i}", {}).get("value", {}).get("selected_option") or {}).get("value")
        phrase = values.get(f"s{i}", {}).get("value", {}).get("value")
        edit: dict[str, Any] = {"number": i}
        if isinstance(headline, str) and " ".join(headline.split()) != plan.headline:
            edit["headline"] = headline
        if isinstance(narration, str) and " ".join(narration.split()) != scene.narration:
            edit["narration"] = narration
        if "remove" in checked:
            edit["remove"] = True
        if isinstance(chosen, str) and chosen.removeprefix("file:") != _own(draft, plan):
            edit["media"] = "" if chosen == NO_FILE else chosen.removeprefix("file:")
        if f"s{i}" in values and " ".join(str(phrase or "").split()) != plan.stock_query:
            edit["stock_query"] = str(phrase or "")
        if "next" in checked:
            edit["stock_next"] = True
        if len(edit) > 1:
            edits.append(edit)
    return edits


def expired_blocks(task: Task, hours: float) -> tuple[str, Blocks]:
    text = f":zzz: This draft waited {hours:g} h without a review and has expired."
    return text, [
        _md(text),
        {
            "type": "actions",
            "elements": [
                {"type": "button", "action_id": RETRY_ACTION, "text": _text("Restart"), "value": task.id}
            ],
        },
    ]


def revise_button(task: Task) -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": REVISE_ACTION,
                "text": _text("Revise video"),
                "value": f"{task.id}:{task.revision}",
            }
        ],
    }
