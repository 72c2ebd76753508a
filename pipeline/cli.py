"""`oma render`: a briefing from flags or a JSON/YAML file becomes an MP4 (or just a draft)."""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path

import yaml
from pydantic import ValidationError

from pipeline.batch import BatchError, check_item, read_items
from pipeline.brand import BrandError, brand_options
from pipeline.briefing import FIELD_LABELS, Briefing, BriefingError, parse_briefing
from pipeline.cache import WorkDir
from pipeline.config import PipelineConfig, backend_problems, describe_backends
from pipeline.edits import check_scenes
from pipeline.errors import PipelineError
from pipeline.media import LIMITS, MediaItem, ingest
from pipeline.models import Draft
from pipeline.progress import LABELS, PHASES, overall_percent
from pipeline.run import make_draft, render, work_dir_for

LOCAL_PHASES = tuple(p for p in PHASES if p.name != "upload")  # a local render uploads nothing

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2
FILE_HEADLINE_WORDS = 10
BACKEND_FLAGS = ("text_backend", "voice_backend", "art_backend", "strict_backends")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("briefing", nargs="?", type=Path, help="a JSON or YAML briefing file")
    parser.add_argument("--title")
    parser.add_argument("--description")
    parser.add_argument("--duration", help="seconds, 15-180")
    parser.add_argument("--style", help="corporate, modern, cinematic, minimal or playful")
    parser.add_argument("--tone", help="professional, friendly, inspiring, humorous or urgent")
    parser.add_argument("--aspect", help="16:9, 9:16 or 1:1")
    parser.add_argument(
        "-o", "--output", type=Path, help="the MP4 to write (oma.mp4); with --batch, the folder (out/)"
    )
    parser.add_argument(
        "--batch",
        type=Path,
        help="a CSV (the briefing's columns) or JSON list of briefings, each rendered into the -o folder",
    )
    parser.add_argument("--height", type=int, help="output lines of the short side (720 default, 1080)")
    parser.add_argument("--draft-only", action="store_true", help="write script, storyboard, contact sheet")
    parser.add_argument(
        "--from-draft", type=Path, help="render a draft file written by --draft-only (edited or not)"
    )
    parser.add_argument("--brand", type=Path, help="a brand kit (YAML): logo, colours, font, captions")
    parser.add_argument(
        "--media",
        type=Path,
        action="append",
        default=[],
        help=f"your own picture or clip for a scene (repeatable; {LIMITS})",
    )
    parser.add_argument(
        "--captions", choices=("bottom", "middle", "top", "off"), help="where captions go (over the kit's)"
    )
    # The same choices as OMA_TEXT_BACKEND, OMA_VOICE_BACKEND, OMA_ART_BACKEND, OMA_STRICT_BACKENDS.
    parser.add_argument("--text-backend", choices=("auto", "openai", "offline"), help="script and storyboard")
    parser.add_argument("--voice-backend", choices=("auto", "openai", "piper"), help="the narration")
    parser.add_argument(
        "--art-backend", choices=("auto", "openai", "procedural", "stock"), help="the scenes' images"
    )
    parser.add_argument(
        "--strict-backends",
        action="store_true",
        default=None,
        help="a voice or image service failing mid-task fails the render instead of falling back",
    )


class Bar:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = ("", -1)

    def __call__(self, phase: str, fraction: float, message: str) -> None:
        overall = overall_percent(phase, fraction, LOCAL_PHASES) / 100
        filled = int(overall * 30)
        label = LABELS.get(phase, phase)
        line = f"[{'#' * filled}{'-' * (30 - filled)}] {overall:4.0%} {label:<19} {message}"
        if self.tty:
            sys.stderr.write("\r" + line[:100].ljust(100))
        elif (phase, int(fraction * 10)) != self.last:
            sys.stderr.write(line + "\n")
        self.last = (phase, int(fraction * 10))
        sys.stderr.flush()

    def done(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


def _briefing_data(args: argparse.Namespace) -> tuple[dict[str, object], list[Path]]:
    """The briefing's fields, and its media files: the file's `media:` list (relative to it),
    then each --media."""
    data: dict[str, object] = {}
    media: list[Path] = []
    if args.briefing:
        text = args.briefing.read_text(encoding="utf-8")
        loaded = json.loads(text) if args.briefing.suffix == ".json" else yaml.safe_load(text)
        if not isinstance(loaded, dict):
            raise BriefingError({"briefing": "The briefing file must hold a mapping of fields"})
        listed = loaded.pop("media", None) or []
        if isinstance(listed, str):
            listed = [listed]
        if not isinstance(listed, list) or not all(isinstance(m, str) for m in listed):
            raise BriefingError({"media": "media: must be a list of file paths"})
        media += [args.briefing.parent / m for m in listed]
        data.update(loaded)
    for field in FIELD_LABELS:
        value = getattr(args, field)
        if value is not None:
            data[field] = value
    return data, [*media, *args.media]


def _media(briefing, config: PipelineConfig, files: list[Path]) -> list[MediaItem]:
    """The files checked into the briefing's working folder; a bad one is a warning, not a stop."""
    if not files:
        return []
    items, problems = ingest([(str(f), f) for f in files], WorkDir(work_dir_for(briefing, config)))
    for problem in problems:
        print(f"warning: {problem.note()} The video is made without it.", file=sys.stderr)
    return items


def run(args: argparse.Namespace, config: PipelineConfig) -> int:
    """Run the render command; the exit code says what happened (0 ok, 1 failed, 2 invalid)."""
    if args.height:
        config = config.model_copy(update={"height": args.height})
    try:
        config = config.model_copy(update=brand_options(args.brand, args.captions))
    except BrandError as exc:
        for field, message in exc.errors.items():
            print(f"error: brand kit {field}: {message}", file=sys.stderr)
        return EXIT_INVALID
    chosen = {k: getattr(args, k, None) for k in BACKEND_FLAGS}
    config = config.model_copy(update={k: v for k, v in chosen.items() if v is not None})
    if problems := backend_problems(config):
        print(f"error: {problems[0]}", file=sys.stderr)
        return EXIT_INVALID
    for line in describe_backends(config):
        print(line, file=sys.stderr)
    if args.batch:
        return _render_batch(args, config)
    args.output = args.output or Path("oma.mp4")
    if args.from_draft:
        return _render_draft_file(args, config)
    try:
        data, files = _briefing_data(args)
        briefing = parse_briefing(data)
    except BriefingError as exc:
        for message in exc.errors.values():
            print(f"error: {message}", file=sys.stderr)
        return EXIT_INVALID
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"error: could not read the briefing file: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if missing := [f for f in files if not f.is_file()]:  # a typo, not a file to refuse by content
        for f in missing:
            print(f"error: media file {f} does not exist", file=sys.stderr)
        return EXIT_INVALID
    media = _media(briefing, config, files)
    bar = Bar()
    try:
        draft = make_draft(briefing, config, progress=bar, media=media)
        names = {m.key: m.shown_as() for m in draft.shown}
        if not args.draft_only:  # the draft's own lines print them; a straight render says them here
            for i, plan in enumerate(draft.storyboard.scenes, 1):
                if plan.media in names:
                    print(f"Scene {i} shows {names[plan.media]}", file=sys.stderr)
            for note in draft.notes:  # what was left out to fit, or could not be applied
                print(f"Note: {note}", file=sys.stderr)
        if args.draft_only:
            bar.done()
            _write_draft(draft, args.output)
            return EXIT_OK
    except PipelineError as exc:
        bar.done()
        print(f"error: {exc.user_message}", file=sys.stderr)
        return EXIT_FAILED
    return _render(draft, config, args.output, bar)


def _render(draft: Draft, config: PipelineConfig, output: Path, bar: Bar) -> int:
    try:
        result = render(draft, config, progress=bar, out=output)
    except PipelineError as exc:
        bar.done()
        print(f"error: {exc.user_message}", file=sys.stderr)
        return EXIT_FAILED
    bar.done()
    print(
        f"Wrote {result.path} ({result.duration:.0f} s, {result.width}x{result.height}, "
        f"{result.size_bytes / 1e6:.1f} MB, ${result.cost_usd:.4f}) in "
        f"{sum(result.timings.values()):.1f} s"
    )
    if result.captions:
        print("Captions: " + ", ".join(str(p) for p in result.captions))
    for note in result.notes:
        print(f"Note: {note}")
    for credit in result.credits:
        print(f"Credit: {credit.line()} ({credit.page_url or 'https://www.pexels.com'})")
    return EXIT_OK


def _write_draft(draft: Draft, output: Path) -> None:
    """The draft as JSON that --from-draft renders (its words may be edited first), and its sheet."""
    output.parent.mkdir(parents=True, exist_ok=True)
    base = output.with_suffix("")
    script = base.with_name(base.name + ".draft.json")
    sheet = base.with_name(base.name + ".contact-sheet.png")
    sheet.write_bytes(draft.contact_sheet.read_bytes())
    saved = draft.model_copy(update={"contact_sheet": sheet.resolve(), "work_dir": draft.work_dir.resolve()})
    script.write_text(saved.model_dump_json(indent=2), encoding="utf-8")
    names = {m.key: m.shown_as() for m in draft.shown}
    for i, (scene, plan) in enumerate(zip(draft.script.scenes, draft.storyboard.scenes, strict=True), 1):
        shown = plan.headline or f"({plan.kind}: {', '.join(plan.items)})"
        print(f"{i:>2}. [{plan.duration:5.1f} s] {shown}\n    {scene.narration}")
        if plan.media in names:
            print(f"    shows: {names[plan.media]}")
    for note in draft.notes:
        print(f"Note: {note}")
    print(f"Wrote {script} and {sheet}")


def load_draft(path: Path, config: PipelineConfig) -> Draft:
    """A draft file (from --draft-only, maybe edited by hand), checked as an exact edit would be.

    Raises DraftFileError with one message per problem.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DraftFileError([f"could not read the draft file: {exc}"]) from exc
    if not isinstance(data, dict) or not isinstance(data.get("briefing"), dict):
        raise DraftFileError(["the draft file must hold a draft (as --draft-only writes it)"])
    try:
        briefing = parse_briefing(data["briefing"])
    except BriefingError as exc:
        raise DraftFileError(list(exc.errors.values())) from exc
    # A draft from elsewhere renders in this machine's work folder.
    data.setdefault("work_dir", str(work_dir_for(briefing, config)))
    data.setdefault("contact_sheet", str(path.with_suffix(".png")))
    try:
        draft = Draft.model_validate(data)
    except ValidationError as exc:
        raise DraftFileError([_where(e) for e in exc.errors()[:5]]) from exc
    scenes, plans = draft.script.scenes, draft.storyboard.scenes
    if len(scenes) != len(plans):
        raise DraftFileError(
            [f"the script has {len(scenes)} scenes and the storyboard {len(plans)}; each scene needs both"]
        )
    problems = check_scenes(
        [p.headline for p in plans], [s.narration for s in scenes], briefing.duration, set()
    )
    # Scene kinds allow a list's heading and a closing's call to action a little more room.
    problems |= {
        i: f"Scene {i}'s headline has {len(p.headline.split())} words; at most {FILE_HEADLINE_WORDS} fit."
        for i, p in enumerate(plans, 1)
        if len(p.headline.split()) > FILE_HEADLINE_WORDS and i not in problems
    }
    if problems:
        raise DraftFileError(list(problems.values()))
    return draft


class DraftFileError(ValueError):
    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("; ".join(messages))


def _where(err: dict) -> str:
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {str(err['msg']).removeprefix('Value error, ')}"


def _render_draft_file(args: argparse.Namespace, config: PipelineConfig) -> int:
    if args.briefing or args.draft_only or any(getattr(args, f) is not None for f in FIELD_LABELS):
        print("error: --from-draft renders the draft file alone; give no briefing with it", file=sys.stderr)
        return EXIT_INVALID
    try:
        draft = load_draft(args.from_draft, config)
    except DraftFileError as exc:
        for message in exc.messages:
            print(f"error: {message}", file=sys.stderr)
        return EXIT_INVALID
    return _render(draft, config, args.output, Bar())


def _render_batch(args: argparse.Namespace, config: PipelineConfig) -> int:
    """Each briefing of a batch file into the -o folder as <n>-<slug>.mp4 with its captions, one
    line per row; a bad row is reported and skipped. Exit 2 if any row was invalid, else 1 if
    any render failed."""
    others = args.briefing or args.from_draft or args.draft_only or args.media
    if others or any(getattr(args, f) is not None for f in FIELD_LABELS):
        print("error: --batch takes every briefing from its file; give no other briefing", file=sys.stderr)
        return EXIT_INVALID
    folder = args.output or Path("out")
    kind = args.batch.suffix.lower()
    if folder.suffix.lower() == ".mp4" or kind not in (".csv", ".json"):
        why = "-o names a folder" if folder.suffix.lower() == ".mp4" else "the file must be .csv or .json"
        print(f"error: with --batch, {why}", file=sys.stderr)
        return EXIT_INVALID
    try:  # the parser POST /api/v1/batches uses too
        items = read_items(args.batch.read_bytes(), kind == ".csv")
    except OSError as exc:
        print(f"error: could not read {args.batch}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INVALID
    except BatchError as exc:
        print(f"error: {args.batch}: {exc.message}", file=sys.stderr)
        return EXIT_INVALID
    folder.mkdir(parents=True, exist_ok=True)
    counts = {"rendered": 0, "failed": 0, "invalid": 0}
    for n, item in enumerate(items, 1):
        label = item.where if kind == ".csv" else f"item {item.where}"
        checked = check_item(item, Briefing)
        if isinstance(checked, dict):
            counts["invalid"] += 1
            fields = "; ".join(f"{k.removeprefix(item.where + '.')}: {v}" for k, v in checked.items())
            print(f"{label}: invalid: {fields}", flush=True)
            continue
        out = folder / f"{n:0{len(str(len(items)))}d}-{_slug(checked.title)}.mp4"
        bar = Bar()
        try:
            result = render(make_draft(checked, config, progress=bar), config, progress=bar, out=out)
        except (PipelineError, OSError) as exc:
            bar.done()
            counts["failed"] += 1
            why = exc.user_message if isinstance(exc, PipelineError) else f"{type(exc).__name__}: {exc}"
            print(f"{label}: failed: {why}", flush=True)
            continue
        bar.done()
        counts["rendered"] += 1
        captions = ", ".join(p.name for p in result.captions) or "none"
        print(
            f"{label}: {result.path} ({result.duration:.0f} s, {result.width}x{result.height}, "
            f"{result.size_bytes / 1e6:.1f} MB; captions {captions})",
            flush=True,
        )
    print(", ".join(f"{v} {k}" for k, v in counts.items()), file=sys.stderr)
    return EXIT_INVALID if counts["invalid"] else EXIT_FAILED if counts["failed"] else EXIT_OK


def _slug(title: str) -> str:
    """A file name's worth of the title: lower-case ASCII words joined by dashes."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:40].rstrip("-") or "video"


def main(argv: list[str] | None = None) -> int:
    """`python -m pipeline render ...` with the offline defaults (no environment is read)."""
    parser = argparse.ArgumentParser(prog="python -m pipeline")
    sub = parser.add_subparsers(dest="command", required=True)
    add_arguments(sub.add_parser("render", help="render a briefing to an MP4"))
    args = parser.parse_args(argv)
    return run(args, PipelineConfig())
