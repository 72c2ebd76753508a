"""Own media: files judged by content, size, pixels and length before decoding; casting to scenes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from pipeline.agents.casting import assign_media
from pipeline.cache import WorkDir
from pipeline.media import MediaItem, ingest
from pipeline.models import ScenePlan, Storyboard
from tests.pipeline.media_support import bomb_png, clip, pattern


@pytest.fixture
def work(tmp_path: Path) -> WorkDir:
    return WorkDir(tmp_path / "work")


def _one(path: Path, work: WorkDir, name: str | None = None):
    items, problems = ingest([(name or path.name, path)], work)
    return items, problems


def test_a_good_picture_and_clip_are_stored_under_their_hash(tmp_path: Path, work: WorkDir) -> None:
    pattern(tmp_path / "shot.png", (320, 180))
    clip(tmp_path / "demo.mp4", 1.5)
    items, problems = ingest([("shot.png", tmp_path / "shot.png"), ("demo.mp4", tmp_path / "demo.mp4")], work)
    assert problems == []
    pic, mov = items
    assert (pic.kind, pic.width, pic.height, pic.name) == ("image", 320, 180, "shot.png")
    assert (mov.kind, mov.width, mov.height) == ("clip", 320, 180)
    assert abs(mov.duration - 1.5) <= 0.05, mov.duration  # the clip as made, to a frame or so
    assert pic.path(work.root).name == f"{pic.key}.png" and pic.path(work.root).exists()
    assert len(mov.poster_paths(work.root)) == 3 and all(p.exists() for p in mov.poster_paths(work.root))


def test_a_file_name_never_reaches_a_path(tmp_path: Path, work: WorkDir) -> None:
    pattern(tmp_path / "shot.png", (64, 64))
    evil = "../../../etc/$(rm -rf ~);`x`.png"
    items, problems = ingest([(evil, (tmp_path / "shot.png").read_bytes())], work)
    assert problems == []
    assert items[0].name == "$(rm -rf ~);`x`.png"  # only the last part, and only as a label
    stored = sorted(p.relative_to(work.root).as_posix() for p in work.root.rglob("*") if p.is_file())
    assert stored == [f"media/{items[0].key}.png"]


@pytest.mark.parametrize(
    ("make", "name", "reason"),
    [
        (lambda p: p.write_text("just some words, not a picture"), "shot.png", "its content is text"),
        (
            lambda p: Image.new("RGB", (40, 40)).save(p, format="JPEG"),
            "shot.png",
            "named as PNG but its content is JPEG",
        ),
        (lambda p: Image.new("RGB", (9000, 20)).save(p, format="PNG"), "wide.png", "at most 8000 px"),
        (lambda p: bomb_png(p), "bomb.png", "decompression bomb"),
        (lambda p: bomb_png(p, 7000), "flat.png", "decompression bomb"),
        (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 21_000_000), "big.png", "at most 20.0 MB"),
    ],
)
def test_bad_pictures_are_refused_with_the_reason(tmp_path: Path, work: WorkDir, make, name, reason) -> None:
    path = tmp_path / "input"
    make(path)
    items, problems = _one(path, work, name)
    assert items == []
    assert len(problems) == 1 and reason in problems[0].reason, problems
    assert problems[0].note().startswith(f"{name} was not used: ")


def test_a_cut_short_picture_is_corrupt(tmp_path: Path, work: WorkDir) -> None:
    pattern(tmp_path / "shot.png", (200, 200))
    data = (tmp_path / "shot.png").read_bytes()
    items, problems = ingest([("shot.png", data[: len(data) // 2])], work)
    assert items == [] and "corrupt" in problems[0].reason


def test_clips_too_long_or_corrupt_are_refused(tmp_path: Path, work: WorkDir) -> None:
    long = clip(tmp_path / "long.mp4", 61, size="32x18")
    good = clip(tmp_path / "ok.mp4", 1, size="32x18").read_bytes()
    broken = good[:40] + bytes(len(good) - 40)  # a real header, then nothing a decoder can use
    items, problems = ingest([("long.mp4", long), ("broken.mp4", broken)], work)
    assert items == []
    assert "runs 61 s; clips may be at most 60 s" in problems[0].reason
    assert "corrupt" in problems[1].reason
    assert not list((work.root / "media").glob("*.mp4"))  # nothing refused is kept


def _board(*kinds: str) -> Storyboard:
    return Storyboard(scenes=[ScenePlan(headline=k, visual_prompt="x", kind=k) for k in kinds])  # type: ignore[arg-type]


def _item(key: str) -> MediaItem:
    return MediaItem(key=key, name=f"{key}.png", kind="image", file=f"{key}.png", width=10, height=10)


def test_casting_spreads_files_over_body_scenes_in_order() -> None:
    board = _board("title", "statement", "quote", "list", "stat", "closing")
    cast, notes = assign_media(board, [_item("a"), _item("b")])
    assert [p.media for p in cast.scenes] == [None, "a", None, None, "b", None]
    cast, notes = assign_media(board, [_item(k) for k in "abcdef"])
    assert [p.media for p in cast.scenes] == [None, "a", "b", "c", "d", None]
    assert notes == [
        "e.png was not used: the video has no scene left for it (more files than scenes).",
        "f.png was not used: the video has no scene left for it (more files than scenes).",
    ]


def test_casting_uses_title_and_closing_only_when_nothing_else_exists() -> None:
    cast, _ = assign_media(_board("title", "closing"), [_item("a")])
    assert [p.media for p in cast.scenes] == ["a", None]


def test_casting_keeps_a_valid_choice_and_clears_unknown_or_misplaced_ones() -> None:
    board = _board("title", "statement", "list", "closing")
    board.scenes[0] = board.scenes[0].model_copy(update={"media": "a"})  # title: not allowed here
    board.scenes[2] = board.scenes[2].model_copy(update={"media": "b"})
    board.scenes[3] = board.scenes[3].model_copy(update={"media": "zzz"})  # not a file we have
    cast, notes = assign_media(board, [_item("a"), _item("b")])
    assert [p.media for p in cast.scenes] == [None, "a", "b", None] and notes == []


def test_old_drafts_load_without_media() -> None:
    plan = ScenePlan.model_validate({"headline": "Hi", "visual_prompt": "x"})
    assert plan.media is None
