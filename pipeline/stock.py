"""Stock footage from Pexels: each scene without its own file gets a video (or a photo) found
from that scene's own words.

The search words are the scene's subject words (its visual prompt, else its headline), without
names (words written capitalised inside a sentence, such as the product's) and without filler,
so no scene is searched by the video's title. Of the results (in the video's orientation),
those whose tags, alt text or page slug share the scene's words come first. A pick is
downloaded once into a cache every task shares, named by its Pexels id and size (the smallest
rendition that covers the frame), then checked and stored like a team's own file
(pipeline.media), so it renders through the same path: filling or framed, clips trimmed,
looped and muted.

A 429 (rate limit), a 5xx after retries, a refused key or an empty result leaves the scene to
procedural art, and the draft says so in a note.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlencode, urlsplit

from pipeline.briefing import Aspect, Briefing, Style
from pipeline.cache import WorkDir, content_key
from pipeline.config import PEXELS_API_URL
from pipeline.media import (
    CLIP_MAX_BYTES,
    CLIP_MAX_SECONDS,
    CLIP_MAX_SIDE,
    IMAGE_MAX_BYTES,
    Credit,
    MediaError,
    MediaItem,
    ingest_file,
)
from pipeline.models import ScenePlan, Script, Storyboard
from pipeline.render.media import FILL_RATIO
from pipeline.text import ADVERBS, FUNCTION_WORDS, NUMBER_WORDS, sentences, wordset

PER_PAGE = 15
SEARCH_TTL = 24 * 3600  # a search's answer is reused for a day: Pexels allows 200 requests an hour
SEARCH_MAX_BYTES = 2_000_000
QUERY_WORDS = 3
Kind = Literal["video", "photo"]
ORIENTATION = {Aspect.LANDSCAPE: "landscape", Aspect.PORTRAIT: "portrait", Aspect.SQUARE: "square"}
# When a scene's words hold no subject at all ("Thanks for watching!").
STYLE_QUERY = {
    Style.CORPORATE: "office teamwork",
    Style.MODERN: "technology abstract",
    Style.CINEMATIC: "city skyline night",
    Style.MINIMAL: "minimal abstract background",
    Style.PLAYFUL: "colorful confetti",
}
# Words that say nothing a stock library can show: filler, the offline planner's own prompt
# words, styles, and verbs and adjectives common in briefings.
FILLER = (
    FUNCTION_WORDS
    | NUMBER_WORDS
    | ADVERBS
    | wordset(
        """abstract composition evoking image picture scene visual style illustration shows showing
    corporate modern cinematic minimal playful palette background no text letters logos
    meet try get gets got make makes made take takes keep keeps use uses set sets give gives let
    lets see sees look looks need needs want wants work works come comes go goes find finds
    help helps start starts run runs ready quick quickly new free best better good great easy
    simple fast faster today now here there thanks watching thank you yours ours what's how why
    everything everyone something anything nothing every all one two three first last next more
    it's don't can't won't isn't once twice always never often ever wherever whenever
    second seconds minute minutes hour hours day days week weeks month months year years
    percent times trial"""
    )
)


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]", text)


def stem(word: str) -> str:
    """A word's plain form for matching: lowercase, plural and possessive dropped."""
    w = word.lower().removesuffix("'s")
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def names_in(*texts: str) -> set[str]:
    """Lowercase words written capitalised inside a sentence: names (the product's, people's)."""
    names: set[str] = set()
    for text in texts:
        for sentence in sentences(text) or [text]:
            names |= {w.lower() for w in _words(sentence)[1:] if w[0].isupper() and w != "I"}
    return names


def subject_words(text: str, names: set[str]) -> list[str]:
    """The words of `text` a picture could show, in order, once each (lowercase)."""
    out: list[str] = []
    for w in _words(text):
        low = w.lower()
        if len(low) < 3 or low in FILLER or low in names or low.endswith(("ly", "ing")) or low in out:
            continue
        out.append(low)
    return out


def scene_query(plan: ScenePlan, narration: str, names: set[str], style: Style) -> tuple[str, list[str]]:
    """(the search phrase, the words results are matched on) for one scene: the reviewer's
    phrase if given, else the scene's own subject words."""
    if plan.stock_query.strip():
        phrase = " ".join(plan.stock_query.split())[:100]
        return phrase, [stem(w) for w in _words(phrase)]
    for source in (plan.visual_prompt, plan.headline, narration):
        words = subject_words(source, names)
        if words:
            return " ".join(words[:QUERY_WORDS]), [stem(w) for w in words]
    phrase = STYLE_QUERY[style]
    return phrase, [stem(w) for w in phrase.split()]


@dataclass(frozen=True)
class Candidate:
    """One search result as it would be used: the file to fetch and the credit it carries."""

    credit: Credit
    words: frozenset[str]  # tags, alt text and slug words, stemmed
    link: str
    width: int
    height: int
    landscape: bool | None  # the result's own orientation (None: square)

    @property
    def file_name(self) -> str:
        ext = "mp4" if self.credit.kind == "video" else "jpg"
        return f"pexels-{self.credit.kind}-{self.credit.id}-{self.width}x{self.height}.{ext}"


def _slug_words(url: str) -> set[str]:
    """Words of a Pexels page's slug: /video/woman-typing-on-a-laptop-3194196/."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    return {stem(w) for w in (parts[-1].split("-") if parts else []) if w.isalpha() and len(w) > 2}


def _covers(w: int, h: int, frame: tuple[int, int]) -> bool:
    return w >= frame[0] * 0.98 and h >= frame[1] * 0.98  # 2%: a 1280x718 file covers 1280x720


def _smallest_covering(options: list[tuple[int, int, str]], frame: tuple[int, int]) -> tuple[int, int, str]:
    """The smallest rendition that covers the frame when scaled to fill it; else the largest."""
    covering = [o for o in options if _covers(o[0], o[1], frame)]
    if covering:
        return min(covering, key=lambda o: o[0] * o[1])
    return max(options, key=lambda o: o[0] * o[1])


def _credit(kind: Kind, item: dict, author: str, author_url: str, thumb: str, query: str) -> Credit:
    return Credit(
        kind=kind,
        id=int(item["id"]),
        page_url=_safe_url(item.get("url")),
        author=" ".join(str(author or "a Pexels contributor").split())[:80],
        author_url=_safe_url(author_url),
        thumbnail=_safe_url(thumb),
        query=query,
    )


def _safe_url(value: object) -> str:
    """An http(s) URL with nothing that could break a link in mrkdwn or a shell; else ""."""
    url = str(value or "")
    if not re.fullmatch(r"https?://[^\s<>|\"'`]{1,500}", url):
        return ""
    return url


def video_candidate(item: dict, frame: tuple[int, int], query: str) -> Candidate | None:
    """A search result's video at the smallest MP4 rendition covering `frame` (None: unusable)."""
    try:
        if float(item.get("duration") or 0) > CLIP_MAX_SECONDS:
            return None
        files = [
            (int(f["width"]), int(f["height"]), str(f["link"]))
            for f in item.get("video_files") or []
            if f.get("file_type") == "video/mp4"
            and f.get("width")
            and f.get("height")
            and _safe_url(f.get("link"))
            and max(int(f["width"]), int(f["height"])) <= CLIP_MAX_SIDE
        ]
        if not files:
            return None
        w, h, link = _smallest_covering(files, frame)
        user = item.get("user") or {}
        credit = _credit("video", item, user.get("name"), user.get("url"), item.get("image"), query)
        tags = {stem(w) for t in item.get("tags") or [] for w in _words(str(t))}
        shape = None if item["width"] == item["height"] else item["width"] > item["height"]
    except (KeyError, TypeError, ValueError):
        return None
    return Candidate(credit, frozenset(tags | _slug_words(credit.page_url)), link, w, h, shape)


def photo_candidate(item: dict, frame: tuple[int, int], query: str) -> Candidate | None:
    """A search result's photo at the smallest of its `src` sizes covering `frame`."""
    try:
        ow, oh, src = int(item["width"]), int(item["height"]), item.get("src") or {}
        fit = min(940 / ow, 650 / oh, 1.0)  # "large" fits W 940 x H 650; "large2x" is twice that
        sizes = {
            "large": (round(ow * fit), round(oh * fit)),
            "large2x": (round(ow * min(2 * fit, 1.0)), round(oh * min(2 * fit, 1.0))),
            "original": (ow, oh),
        }
        # A photo of the other orientation would sit small and framed: Pexels' own crops fill.
        a, v = ow / oh, frame[0] / frame[1]
        crop = "portrait" if v < 0.9 else "landscape" if v > 1.1 else ""
        if crop and max(a / v, v / a) > FILL_RATIO and _safe_url(src.get(crop)):
            sizes = {crop: (800, 1200) if crop == "portrait" else (1200, 627)}
        options = [(w, h, str(src[k])) for k, (w, h) in sizes.items() if _safe_url(src.get(k))]
        if not options:
            return None
        w, h, link = _smallest_covering(options, frame)
        credit = _credit(
            "photo",
            item,
            item.get("photographer"),
            item.get("photographer_url"),
            src.get("tiny") or src.get("small"),
            query,
        )
        words = {stem(w) for w in _words(str(item.get("alt") or ""))}
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    return Candidate(
        credit, frozenset(words | _slug_words(credit.page_url)), link, w, h, None if ow == oh else ow > oh
    )


def rank(candidates: list[Candidate], terms: list[str], aspect: Aspect) -> list[Candidate]:
    """Results sharing more of the scene's words first, then those of the video's orientation,
    then Pexels' own order."""
    want = {Aspect.LANDSCAPE: True, Aspect.PORTRAIT: False, Aspect.SQUARE: None}[aspect]
    wanted = set(terms)

    def key(k: int) -> tuple[int, int, int]:
        c = candidates[k]
        return (-len(wanted & c.words), 0 if c.landscape == want else 1, k)

    return [candidates[k] for k in sorted(range(len(candidates)), key=key)]


class StockError(Exception):
    """Pexels could not answer; `stop` when asking again in this draft would not help."""

    def __init__(self, why: str, *, stop: bool) -> None:
        super().__init__(why)
        self.why, self.stop = why, stop


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx then fails as an HTTP error


class _WebRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme not in ("http", "https"):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_API = urllib.request.build_opener(_NoRedirect)
_FILES = urllib.request.build_opener(_WebRedirect)


class Pexels:
    """Pexels' search and file downloads, with a cache folder that every task shares."""

    def __init__(
        self,
        key: str,
        cache: Path,
        base_url: str = PEXELS_API_URL,
        timeout: float = 20.0,
        retries: int = 2,
        pause: float = 0.5,
    ) -> None:
        self.key, self.base = key, base_url.rstrip("/")
        self.cache = cache
        self.timeout, self.retries, self.pause = timeout, retries, pause
        self.downloads = 0

    def _get(self, url: str, limit: int, api: bool) -> bytes:
        # The key goes to the API only, never to the hosts the files are served from: the API's
        # requests follow no redirect (urllib would carry the key along to wherever it points).
        headers = {"User-Agent": "OMA video bot"} | ({"Authorization": self.key} if api else {})
        opener = _API if api else _FILES
        for attempt in range(self.retries + 1):
            try:
                with opener.open(urllib.request.Request(url, headers=headers), timeout=self.timeout) as resp:
                    body = resp.read(limit + 1)
                if len(body) > limit:
                    raise StockError(f"a Pexels file is over {limit // 1_000_000} MB", stop=False)
                return body
            except urllib.error.HTTPError as exc:
                if exc.code == 429:
                    raise StockError(_rate_limited(exc.headers), stop=True) from exc
                if exc.code in (401, 403):
                    raise StockError(
                        f"Pexels refused the key (HTTP {exc.code}): check PEXELS_API_KEY", stop=True
                    ) from exc
                if exc.code < 500 or attempt == self.retries:
                    stop = exc.code >= 500
                    raise StockError(f"Pexels answered HTTP {exc.code}", stop=stop) from exc
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                if attempt == self.retries:
                    why = getattr(exc, "reason", exc)
                    raise StockError(f"Pexels could not be reached ({why})", stop=True) from exc
            time.sleep(self.pause * 2**attempt)
        raise AssertionError("unreachable")

    def search(self, kind: Kind, query: str, orientation: str) -> list[dict]:
        """The first page of results (videos or photos), from the cache for a day."""
        params = {"query": query, "orientation": orientation, "per_page": PER_PAGE}
        cached = self.cache / "search" / f"{content_key(kind, params, self.base)}.json"
        if cached.exists() and time.time() - cached.stat().st_mtime < SEARCH_TTL:
            try:
                return json.loads(cached.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                pass
        path = "/videos/search" if kind == "video" else "/v1/search"
        body = self._get(f"{self.base}{path}?{urlencode(params)}", SEARCH_MAX_BYTES, api=True)
        try:
            found = json.loads(body).get("videos" if kind == "video" else "photos") or []
        except (ValueError, AttributeError) as exc:
            raise StockError(
                "Pexels answered with something that is not a search result", stop=False
            ) from exc
        found = [r for r in found if isinstance(r, dict)]
        cached.parent.mkdir(parents=True, exist_ok=True)
        WorkDir(cached.parent).build(cached, lambda tmp: tmp.write_text(json.dumps(found), encoding="utf-8"))
        cached.touch()
        return found

    def ping(self) -> int:
        """One real, uncached search (for `oma doctor`): how many videos Pexels has for "nature"."""
        body = self._get(f"{self.base}/videos/search?query=nature&per_page=1", SEARCH_MAX_BYTES, api=True)
        try:
            return int(json.loads(body).get("total_results") or 0)
        except (ValueError, AttributeError) as exc:
            raise StockError("Pexels answered with something that is not a search result", stop=True) from exc

    def fetch(self, pick: Candidate) -> Path:
        """The pick's file in the shared cache, downloaded the first time only."""
        folder = self.cache / "files"
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / pick.file_name
        if final.exists():
            final.touch()  # in use: the cache sweep keeps files by when they were last used
            return final
        limit = CLIP_MAX_BYTES if pick.credit.kind == "video" else IMAGE_MAX_BYTES
        body = self._get(pick.link, limit, api=False)
        self.downloads += 1
        return WorkDir(folder).build(final, lambda tmp: tmp.write_bytes(body))


def _rate_limited(headers) -> str:
    """Words for a 429, with when it resets if Pexels said (X-Ratelimit-Reset: a UNIX time)."""
    reset = (headers or {}).get("X-Ratelimit-Reset")
    try:
        left = max(0, int(reset) - int(time.time()))
        when = f"; it resets in about {max(1, round(left / 60))} min"
    except (TypeError, ValueError):
        when = ""
    return f"Pexels' rate limit is used up (HTTP 429{when})"


@dataclass
class StockPicks:
    board: Storyboard
    items: list[MediaItem]
    notes: list[str]


def _numbers(scenes: list[int]) -> str:
    words = [str(n) for n in scenes]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def pick_stock(
    pexels: Pexels,
    briefing: Briefing,
    script: Script,
    board: Storyboard,
    frame: tuple[int, int],
    work: WorkDir,
) -> StockPicks:
    """Each scene without its own file gets the best Pexels match for its own words (its
    `stock_skip`-th, for "next result"); scenes left without one keep procedural art, and a
    note says why."""
    names = names_in(briefing.description, *(s.narration for s in script.scenes))
    orientation = ORIENTATION[briefing.aspect]
    plans, items, notes = list(board.scenes), [], []
    taken: set[tuple[str, int]] = set()
    stopped, skipped = "", []
    for i, (plan, scene) in enumerate(zip(board.scenes, script.scenes, strict=True)):
        if plan.media:
            continue  # the team's own file
        if stopped:
            skipped.append(i + 1)
            continue
        query, terms = scene_query(plan, scene.narration, names, briefing.style)
        try:
            pick = _choose(pexels, query, terms, orientation, frame, briefing.aspect, plan.stock_skip, taken)
            if pick is None:
                notes.append(f"Pexels has nothing for “{query}” (scene {i + 1}), so it uses procedural art.")
                continue
            path = pexels.fetch(pick)
            name = f"pexels-{pick.credit.kind}-{pick.credit.id}{path.suffix}"
            item = ingest_file(path, work, name).model_copy(update={"credit": pick.credit})
        except StockError as exc:
            if exc.stop:
                stopped = exc.why
                skipped.append(i + 1)
            else:
                notes.append(f"{exc.why} for scene {i + 1}, so it uses procedural art.")
            continue
        except MediaError as exc:
            notes.append(f"The Pexels {pick.credit.kind} for scene {i + 1} was not used ({exc}).")
            continue
        taken.add((pick.credit.kind, pick.credit.id))
        plans[i] = plan.model_copy(update={"media": item.key})
        if all(m.key != item.key for m in items):
            items.append(item)
    if stopped:
        s = "s" if len(skipped) > 1 else ""
        notes.append(
            f"{stopped}, so scene{s} {_numbers(skipped)} use{'' if s else 's'} procedural art; "
            "a later revision asks again."
        )
    return StockPicks(Storyboard(scenes=plans), items, notes)


def _choose(
    pexels: Pexels,
    query: str,
    terms: list[str],
    orientation: str,
    frame: tuple[int, int],
    aspect: Aspect,
    skip: int,
    taken: set[tuple[str, int]],
) -> Candidate | None:
    """The pick for one scene: videos first, photos when no video fits. Square videos are few,
    so a square frame also looks at landscape ones (their centre fills it, see render.media)."""
    searches: list[tuple[Kind, str]] = [("video", orientation)]
    if orientation == "square":
        searches.append(("video", "landscape"))
    searches.append(("photo", orientation))
    for kind, shape in searches:
        parse = video_candidate if kind == "video" else photo_candidate
        found = [parse(r, frame, query) for r in pexels.search(kind, query, shape)]
        usable = [c for c in found if c is not None and (kind, c.credit.id) not in taken]
        if usable:
            ranked = rank(usable, terms, aspect)
            return ranked[skip % len(ranked)]
    return None
