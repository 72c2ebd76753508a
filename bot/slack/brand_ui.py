"""Block Kit for `/video brand`: the kit's modal (editable for admins, read-only for others)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.brands import StoredKit
from pipeline.brand import CAPTION_POSITIONS, DEFAULT_FONT, FONT_UPLOAD_MAX_BYTES, FONTS

BRAND_MODAL = "brand_kit"
COLOUR_FIELDS = ("primary", "secondary", "accent", "background")
LOGO_TYPES = ["png", "jpg", "jpeg", "webp"]
FONT_TYPES = ["ttf", "otf"]
UPLOADED = "uploaded"  # the font choice that keeps the kit's uploaded font
# Where a pipeline.brand field error shows in the modal (its block id).
ERROR_BLOCKS = {
    "name": "name",
    "logo": "logo",
    "font": "font",
    "font_file": "font_file",
    "captions.size": "caption_size",
    "captions.highlight": "highlight",
    "captions.position": "caption_position",
    "pronounce": "pronounce",
    "colors": "primary",
    **{f"colors.{c}": c for c in COLOUR_FIELDS},
}


def _text(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text[:150]}


def _input(block: str, label: str, element: dict[str, Any], optional: bool = True, hint: str = "") -> dict:
    out = {"type": "input", "block_id": block, "optional": optional, "label": _text(label)}
    out["element"] = element
    if hint:
        out["hint"] = _text(hint)
    return out


def _plain(initial: str = "", max_length: int = 80, multiline: bool = False, placeholder: str = "") -> dict:
    el: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": max_length}
    if multiline:
        el["multiline"] = True
    if initial:
        el["initial_value"] = initial[:max_length]
    if placeholder:
        el["placeholder"] = _text(placeholder)
    return el


def _select(values: list[tuple[str, str]], initial: str) -> dict[str, Any]:
    opts = [{"text": _text(label), "value": value} for value, label in values]
    chosen = next((o for o in opts if o["value"] == initial), opts[0])
    return {"type": "static_select", "action_id": "value", "options": opts, "initial_option": chosen}


def pronounce_text(pronounce: dict[str, str]) -> str:
    return "\n".join(f"{word} = {said}" for word, said in pronounce.items())


def brand_modal(kit: StoredKit | None, can_edit: bool) -> dict[str, Any]:
    """The kit as a form (admins) or as a summary (everyone else)."""
    f = kit.fields if kit else {}
    colours = f.get("colors") or {}
    captions = f.get("captions") or {}
    logo = (
        f"Current logo: {kit.logo_name} ({kit.logo_size}). Upload another to replace it."
        if kit and kit.logo_name
        else "No logo yet."
    )
    if not can_edit:
        return {
            "type": "modal",
            "callback_id": BRAND_MODAL + "_view",
            "title": _text("Brand kit"),
            "close": _text("Close"),
            "blocks": [_md(summary(kit)), _context("Only OMA admins can change the kit.")],
        }
    options = [
        ("watermark", "Corner watermark (the logo, small)"),
        ("captions", "Captions on"),
        ("drop_logo", "Remove the logo"),
    ]
    checked = [k for k in ("watermark",) if f.get("watermark")]
    if captions.get("show", True):
        checked.append("captions")
    opts = [{"text": _text(label), "value": value} for value, label in options]
    checkboxes: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": opts}
    if checked:
        checkboxes["initial_options"] = [o for o in opts if o["value"] in checked]
    fonts = [(key, key.replace("-", " ").title()) for key in FONTS]
    font = f.get("font") or DEFAULT_FONT
    if kit and kit.font_name:
        fonts.insert(0, (UPLOADED, f"Uploaded: {kit.font_family or kit.font_name}"[:75]))  # Slack's limit
        font = UPLOADED
    mb = FONT_UPLOAD_MAX_BYTES // 2**20
    blocks = [
        _input("name", "Brand name", _plain(f.get("name", ""), 80), optional=False),
        _input(
            "primary",
            "Primary colour",
            _plain(colours.get("primary") or "", 9, placeholder="#2F6BFF"),
            optional=False,
            hint="Hex colours, such as #2F6BFF. The others are derived when left empty.",
        ),
        *(
            _input(c, f"{c.capitalize()} colour", _plain(colours.get(c) or "", 9))
            for c in ("secondary", "accent", "background")
        ),
        _context(logo),
        _input(
            "logo",
            "Logo (PNG, JPEG or WebP, at most 5 MB and 4096 px)",
            {"type": "file_input", "action_id": "value", "filetypes": LOGO_TYPES, "max_files": 1},
        ),
        _input(
            "font",
            "Font",
            _select(fonts, font),
            optional=False,
            hint="For headlines and captions. Choosing a bundled font stops using an uploaded one.",
        ),
        _input(
            "font_file",
            f"Or upload your font (TTF or OTF, at most {mb} MB)",
            {"type": "file_input", "action_id": "value", "filetypes": FONT_TYPES, "max_files": 1},
            hint="A TrueType or OpenType file (not WOFF or a .ttc collection). It replaces the font above.",
        ),
        _input(
            "caption_position",
            "Captions at",
            _select([(p, p.capitalize()) for p in CAPTION_POSITIONS], captions.get("position", "bottom")),
            optional=False,
        ),
        _input(
            "caption_size",
            "Caption size (0.5-2, 1 is the default)",
            {
                "type": "number_input",
                "action_id": "value",
                "is_decimal_allowed": True,
                "initial_value": str(captions.get("size", 1.0)),
                "min_value": "0.5",
                "max_value": "2",
            },
            optional=False,
        ),
        _input(
            "highlight", "Spoken word's colour in captions", _plain(captions.get("highlight", "#FFD400"), 9)
        ),
        _input(
            "pronounce",
            "Pronunciations, one a line: word = how it is said",
            _plain(
                pronounce_text(f.get("pronounce") or {}),
                3000,
                multiline=True,
                placeholder="SQL = sequel",
            ),
        ),
        _input("options", "Options", checkboxes),
    ]
    return {
        "type": "modal",
        "callback_id": BRAND_MODAL,
        "title": _text("Brand kit"),
        "submit": _text("Save"),
        "close": _text("Cancel"),
        "blocks": blocks,
    }


def summary(kit: StoredKit | None) -> str:
    if kit is None:
        return "This workspace has no brand kit yet."
    f = kit.fields
    colours = ", ".join(f"{k} `{v}`" for k, v in (f.get("colors") or {}).items() if v)
    captions = f.get("captions") or {}
    said = ", ".join(f"{w} → {s}" for w, s in (f.get("pronounce") or {}).items()) or "none"
    font = f.get("font", DEFAULT_FONT)
    if kit.font_name:
        font = f"{kit.font_family or 'uploaded'} ({kit.font_name})"
    return (
        f"*{_esc(f.get('name', ''))}*\nColours: {colours}\nFont: {_esc(font)}\n"
        f"Logo: {_esc(kit.logo_name or 'none')} · watermark {'on' if f.get('watermark') else 'off'}\n"
        f"Captions: {'on' if captions.get('show', True) else 'off'}, {captions.get('position', 'bottom')}\n"
        f"Pronunciations: {_esc(said)}"
    )[:3000]


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _md(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _esc(text)[:3000]}]}


@dataclass
class KitForm:
    """The brand modal as submitted: the kit's fields and what to do with its files."""

    fields: dict[str, Any]
    logo_ids: list[str] = field(default_factory=list)  # an uploaded logo (file ids)
    font_ids: list[str] = field(default_factory=list)  # an uploaded font
    drop_logo: bool = False
    keep_font: bool = False  # "Uploaded: ..." was left chosen: keep the kit's uploaded font
    errors: dict[str, str] = field(default_factory=dict)  # those the form itself can tell


def _file_ids(values: dict[str, Any], block: str) -> list[str]:
    files = values.get(block, {}).get("value", {}).get("files") or []
    return [str(f.get("id")) for f in files if isinstance(f, dict) and f.get("id")]


def read_brand(view: dict[str, Any]) -> KitForm:
    """The modal's submission; its errors are those the form can tell (a pronunciation line
    without "=")."""
    values = view.get("state", {}).get("values", {})

    def value(block: str) -> Any:
        el = values.get(block, {}).get("value", {})
        if "selected_option" in el:
            return (el.get("selected_option") or {}).get("value")
        return el.get("value")

    ticked = values.get("options", {}).get("value", {}).get("selected_options") or []
    checked = {o.get("value") for o in ticked}
    errors: dict[str, str] = {}
    pronounce: dict[str, str] = {}
    for n, line in enumerate((value("pronounce") or "").splitlines(), 1):
        if not line.strip():
            continue
        word, sep, said = line.partition("=")
        if not sep or not word.strip() or not said.strip():
            errors["pronounce"] = f"Line {n} needs the form: word = how it is said"
            break
        pronounce[word.strip()] = said.strip()
    size = value("caption_size")
    try:
        scale: object = float(size) if size not in (None, "") else 1.0
    except ValueError:
        scale = size
    font = value("font") or DEFAULT_FONT
    fields = {
        "name": (value("name") or "").strip(),
        "colors": {c: (value(c) or "").strip() or None for c in COLOUR_FIELDS},
        "font": DEFAULT_FONT if font == UPLOADED else font,
        "watermark": "watermark" in checked,
        "captions": {
            "show": "captions" in checked,
            "position": value("caption_position") or "bottom",
            "size": scale,
            "highlight": (value("highlight") or "").strip() or "#FFD400",
        },
        "pronounce": pronounce,
    }
    return KitForm(
        fields,
        logo_ids=_file_ids(values, "logo"),
        font_ids=_file_ids(values, "font_file"),
        drop_logo="drop_logo" in checked,
        keep_font=font == UPLOADED,
        errors=errors,
    )
