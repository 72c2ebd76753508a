"""Stock footage against a loopback Pexels: each scene's pick comes from its own words, falls back
to procedural art with a note, is downloaded once, and shows in its scene's frames."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from PIL import Image
from pydantic import SecretStr

from pipeline import PipelineConfig, SceneEdit, edit_draft, make_draft, parse_briefing
from pipeline.cache import WorkDir
from pipeline.config import backend_problems
from pipeline.edits import check_edits
from pipeline.media import ingest
from pipeline.run import work_dir_for
from tests.fakes.pexels import KEY, picture
from tests.media import frame, probe
from tests.pipeline.media_support import find_picture
from tests.pipeline.support import oma_render

BRIEFING = {
    "title": "Meet Nimbus",
    "description": "Nimbus keeps every laptop in the office in sync. Every phone gets each update at once, "
    "wherever you are. Try it free for thirty days.",
    "duration": 30,
    "style": "modern",
    "tone": "friendly",
}
FOUND, ABSENT = 0.6, 0.35


def _config(tmp: Path, url: str, **kw) -> PipelineConfig:
    return PipelineConfig(
        work_dir=tmp / "work",
        height=240,
        art_backend="stock",
        pexels_api_key=SecretStr(KEY),
        pexels_base_url=url,
        stock_dir=tmp / "stock",
        **kw,
    )


def _draft(tmp: Path, url: str, briefing: dict = BRIEFING, work: str = "work"):
    config = _config(tmp, url).model_copy(update={"work_dir": tmp / work})
    return make_draft(parse_briefing(briefing), config)


def _picks(draft) -> list[int | None]:
    """The Pexels id each scene shows (None: procedural art)."""
    by_key = {m.key: m.credit.id for m in draft.stock if m.credit}
    return [by_key.get(p.media or "") for p in draft.storyboard.scenes]


def test_each_scene_is_searched_by_its_own_words_and_gets_the_result_sharing_them(
    tmp_path: Path, pexels
) -> None:
    fake, url = pexels
    draft = _draft(tmp_path, url)
    headlines = [p.headline for p in draft.storyboard.scenes]
    assert len(headlines) == 4, headlines
    # One search a scene, from its own subject words: never the product's name or the title.
    # The closing says no subject ("thirty days" is no picture): the style's phrase, whose videos
    # (cached from the title's search) are all used, so it asks for photos.
    searched = ["technology abstract", "laptop office", "phone update", "technology abstract"]
    assert fake.searched() == searched
    assert all(p["orientation"] == "landscape" for _, p in fake.queries)
    # The fake answers city, phone, laptop in that order for every query: the laptop scene gets
    # the laptop video and the phone scene the phone one, by their tags; the others what is left
    # (the closing, with every video taken, the photo).
    assert _picks(draft) == [101, 102, 103, 301]
    # The smallest rendition covering the 426x240 frame; the key never went to the file host.
    assert "video-102-426x240.mp4" in fake.downloads and "video-102-640x360.mp4" not in fake.downloads
    assert fake.keys_seen == []
    credit = draft.stock[1].credit
    assert credit.line() == "Video by Maker 102 on Pexels"
    assert credit.page_url == "https://www.pexels.com/video/woman-using-a-laptop-in-an-office-102/"
    assert credit.author_url == "https://www.pexels.com/@maker-102" and credit.query == "laptop office"
    assert not [n for n in draft.notes if "Pexels" in n]

    # Downloaded once: a new task (another working folder) searches and downloads nothing.
    searched, downloaded = len(fake.queries), len(fake.downloads)
    again = _draft(tmp_path, url, work="work2")
    assert _picks(again) == _picks(draft)
    assert (len(fake.queries), len(fake.downloads)) == (searched, downloaded)


def test_empty_results_fall_back_with_a_note_and_a_photo_stands_in_for_no_video(
    tmp_path: Path, pexels
) -> None:
    fake, url = pexels
    briefing = {
        **BRIEFING,
        "description": "Our quantum ledger settles trades in seconds. Fresh coffee waits in every kitchen. "
        "Try it free for thirty days.",
    }
    draft = _draft(tmp_path, url, briefing)
    scenes = {p.headline: i for i, p in enumerate(draft.storyboard.scenes)}
    quantum = next(i for h, i in scenes.items() if "quantum" in h.lower())
    coffee = next(i for h, i in scenes.items() if "coffee" in h.lower())
    assert _picks(draft)[quantum] is None and _picks(draft)[coffee] == 301
    query = next(q for q in fake.searched() if "quantum" in q)
    assert (
        f"Pexels has nothing for “{query}” (scene {quantum + 1}), so it uses procedural art." in draft.notes
    )
    # Nothing as a video, then nothing as a photo, for that one query.
    assert [path for path, p in fake.queries if p["query"] == query] == ["/videos/search", "/v1/search"]
    item = next(m for m in draft.stock if m.credit and m.credit.id == 301)
    assert item.kind == "image" and item.credit.line() == "Photo by Ann Photo on Pexels"


def test_a_429_leaves_every_scene_to_procedural_art_and_says_when_it_resets(tmp_path: Path, pexels) -> None:
    fake, url = pexels
    fake.limited = True
    draft = _draft(tmp_path, url)
    assert _picks(draft) == [None] * 4 and draft.stock == []
    assert len(fake.queries) == 1  # no use asking again within the draft
    (note,) = [n for n in draft.notes if "Pexels" in n]
    assert note.startswith("Pexels' rate limit is used up (HTTP 429; it resets in about 30 min)")
    assert "scenes 1, 2, 3 and 4 use procedural art" in note


def test_a_server_error_is_retried_then_falls_back(tmp_path: Path, pexels) -> None:
    fake, url = pexels
    fake.down = True
    draft = _draft(tmp_path, url)
    assert _picks(draft) == [None] * 4
    assert len(fake.queries) == 3  # the first try and two retries, then no more for this draft
    assert next(n for n in draft.notes if "Pexels" in n).startswith(
        "Pexels answered HTTP 503, so scenes 1, 2, 3 and 4 use procedural art"
    )


def test_stock_without_a_key_is_refused_at_start(tmp_path: Path) -> None:
    config = PipelineConfig(art_backend="stock")
    assert backend_problems(config) == [
        "OMA_ART_BACKEND=stock needs PEXELS_API_KEY (a free key from https://www.pexels.com/api/)."
    ]


def _spans(draft_file: Path) -> list[tuple[float, float]]:
    draft = json.loads(draft_file.read_text())
    out, t = [], 0.0
    for plan in draft["storyboard"]["scenes"]:
        out.append((t, t + plan["duration"]))
        t += plan["duration"]
    return out


@pytest.mark.slow
@pytest.mark.parametrize("aspect", ["16:9", "9:16", "1:1"])
def test_oma_render_shows_each_scenes_stock_pick_in_its_scene(
    tmp_path: Path, pexels, monkeypatch, capsys, aspect: str
) -> None:
    fake, url = pexels
    (tmp_path / "brief.yaml").write_text(yaml.safe_dump({**BRIEFING, "aspect": aspect}))
    env = {"PEXELS_API_KEY": KEY, "OMA_PEXELS_URL": url, "OMA_STOCK_DIR": str(tmp_path / "stock")}
    args = ["brief.yaml", "--art-backend", "stock", "--height", "240", "-o", "out.mp4"]
    assert oma_render(monkeypatch, tmp_path, env, *args, "--draft-only") == 0
    listed = capsys.readouterr().out
    portrait = aspect == "9:16"
    # Portrait videos for 9:16; Pexels has no square ones here, so 1:1 takes landscape ones.
    laptop, phone = (202, 203) if portrait else (102, 103)
    assert f"shows: Video by Maker {laptop} on Pexels (https://www.pexels.com/video/woman-using" in listed
    spans = _spans(tmp_path / "out.draft.json")
    downloaded = len(fake.downloads)

    assert oma_render(monkeypatch, tmp_path, env, *args) == 0
    out = capsys.readouterr().out
    assert len(fake.downloads) == downloaded  # the draft's downloads were cached: none again
    assert f"Credit: Video by Maker {laptop} on Pexels (https://www.pexels.com/video/" in out
    video = tmp_path / "out.mp4"
    info = probe(video)
    assert (info.width, info.height) == {"16:9": (426, 240), "9:16": (240, 426), "1:1": (240, 240)}[aspect]
    # The laptop video (and nothing else) is in the laptop scene, filling the frame; the phone
    # video in its own.
    scale = max(info.width / picture(laptop).width, info.height / picture(laptop).height)
    # Matched beside the headline and above the captions (in 1:1, inside the centre it keeps).
    parts = {"16:9": (0.6, 0.25, 0.95, 0.7), "9:16": (0.1, 0.5, 0.9, 0.75), "1:1": (0.3, 0.5, 0.7, 0.8)}
    part = parts[aspect]
    scores = {}
    for stock_id in (laptop, phone):
        scores[stock_id] = [
            max(
                find_picture(frame(video, (a + b) / 2), picture(stock_id), scale * z, part)
                for z in (1.0, 1.08)
            )
            for a, b in spans
        ]
    assert scores[laptop][1] >= FOUND and scores[phone][2] >= FOUND, scores
    assert scores[laptop][2] < ABSENT and scores[phone][1] < ABSENT, scores
    shutil.rmtree(tmp_path / "work", ignore_errors=True)


def test_edits_ask_for_the_next_result_a_search_phrase_or_move_a_file(tmp_path: Path, pexels) -> None:
    fake, url = pexels
    config = _config(tmp_path, url)
    Image.new("RGB", (320, 180), (200, 40, 40)).save(tmp_path / "shot.png")
    briefing = parse_briefing(BRIEFING)
    media, _ = ingest([("shot.png", tmp_path / "shot.png")], WorkDir(work_dir_for(briefing, config)))
    first = make_draft(briefing, config, media=media)
    own = media[0].key
    assert [p.media == own for p in first.storyboard.scenes] == [False, True, False, False]
    assert _picks(first) == [101, None, 103, 102] and first.stock_search

    # Next result for scene 3, a phrase for scene 4: the words stay, and so do the durations.
    second = edit_draft(
        first, [SceneEdit(number=3, stock_next=True), SceneEdit(number=4, stock_query="coffee cup")], config
    )
    assert _picks(second)[2] not in (None, 103) and _picks(second)[3] == 301
    assert "coffee cup" in fake.searched()
    assert [p.duration for p in second.storyboard.scenes] == [p.duration for p in first.storyboard.scenes]
    assert second.notes[0] == "Edited scene 3 (next stock result) and scene 4 (stock search “coffee cup”)."

    # The file moves to scene 3; scene 2 gets stock footage in its place.
    third = edit_draft(second, [SceneEdit(number=3, media=own)], config)
    assert [p.media == own for p in third.storyboard.scenes] == [False, False, True, False]
    assert _picks(third)[1] is not None and third.media == media
    # Taken off its scene and given to none, it leaves the video (and is not handed back by casting).
    fourth = edit_draft(third, [SceneEdit(number=3, media="")], config)
    assert fourth.media == [] and all(p.media != own for p in fourth.storyboard.scenes)
    assert None not in _picks(fourth)

    # One file for two scenes, or a file the draft does not have, is refused on those scenes.
    twice = [SceneEdit(number=2, media=own), SceneEdit(number=3, media=own), SceneEdit(number=4, media="x")]
    problems = check_edits(first.script, first.storyboard, twice, 30, {own: "shot.png"})
    assert problems == {
        3: "shot.png is chosen for scenes 2 and 3; a file shows in one scene.",
        4: "Scene 4: that file is not in this draft.",
    }


def test_the_key_never_follows_a_redirect_off_the_api(tmp_path: Path) -> None:
    """urllib carries request headers across redirects: an API answer sending us elsewhere must
    not hand that host the key (the search fails as an HTTP error instead)."""
    from aiohttp import web

    from pipeline.stock import Pexels, StockError
    from tests.fakes.server import ThreadedServer

    seen: list[str | None] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.json_response({"videos": []})

    elsewhere = web.Application()
    elsewhere.router.add_get("/{tail:.*}", record)
    with ThreadedServer(elsewhere) as other:

        async def bounce(request: web.Request) -> web.Response:
            raise web.HTTPFound(other.url + "/videos/search")

        api = web.Application()
        api.router.add_get("/{tail:.*}", bounce)
        with ThreadedServer(api) as server:
            library = Pexels("SECRET-KEY", tmp_path / "stock", server.url, retries=0)
            with pytest.raises(StockError, match="HTTP 302"):
                library.search("video", "laptop", "landscape")
    assert seen == []
