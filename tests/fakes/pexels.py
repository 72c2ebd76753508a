"""A local Pexels API in its documented shapes: /videos/search, /v1/search and the files they link.

Every search that finds something answers the same few results, in the same order, whose tags
(videos) and alt text (photos) differ, so which one a scene gets shows the picker's ranking,
not the fake's. A query with one of `empty_words` finds nothing; one with a `photo_words` word
finds no video but a photo. `limited` answers 429 with Pexels' X-Ratelimit-* headers.
The files are real: small MP4s (ffmpeg) and JPEGs (Pillow), made on first request from
seeded block patterns that `picture()` gives back for template matching.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from aiohttp import web
from PIL import Image, ImageOps

from pipeline.render.ffmpeg import ffmpeg_exe

KEY = "pexels-test-key-0123456789"


@dataclass(frozen=True)
class Stock:
    id: int
    slug: str
    tags: tuple[str, ...]
    portrait: bool = False


# The same three subjects in each orientation, in this order: city (about none of the test's
# scenes), phone, laptop.
VIDEOS = {
    "landscape": [
        Stock(101, "city-traffic-at-night", ("city", "night", "traffic")),
        Stock(103, "hand-holding-a-phone", ("phone", "hand", "screen")),
        Stock(102, "woman-using-a-laptop-in-an-office", ("laptop", "office", "woman")),
    ],
    "portrait": [
        Stock(201, "city-traffic-at-night", ("city", "night", "traffic"), True),
        Stock(203, "hand-holding-a-phone", ("phone", "hand", "screen"), True),
        Stock(202, "woman-using-a-laptop-in-an-office", ("laptop", "office", "woman"), True),
    ],
}
PHOTO = Stock(301, "coffee-cup-on-a-wooden-table", ("coffee", "cup", "table"))
# Renditions of a landscape video (a portrait one has them turned): the picker should take the
# smallest that covers the frame.
RENDITIONS = [(256, 144, "sd"), (426, 240, "sd"), (640, 360, "hd")]
BASE = (640, 360)


def picture(stock_id: int, size: tuple[int, int] | None = None) -> Image.Image:
    """The pattern a stock item shows (at its largest rendition's size, or `size`)."""
    rng = np.random.default_rng(stock_id)
    portrait = stock_id // 100 == 2
    w, h = (BASE[1], BASE[0]) if portrait else BASE
    if stock_id == PHOTO.id:
        w, h = 1200, 800
    cell = 40 if stock_id == PHOTO.id else 20
    blocks = rng.integers(0, 256, (h // cell + 1, w // cell + 1, 3), dtype=np.uint8)
    img = Image.fromarray(np.kron(blocks, np.ones((cell, cell, 1), dtype=np.uint8))[:h, :w])
    return img if size is None else img.resize(size, Image.Resampling.BILINEAR)


@dataclass
class FakePexels:
    folder: Path
    key: str = KEY
    limited: bool = False
    down: bool = False  # every search answers 503
    empty_words: set[str] = field(default_factory=lambda: {"quantum"})
    photo_words: set[str] = field(default_factory=lambda: {"coffee"})
    queries: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (path, params)
    downloads: list[str] = field(default_factory=list)
    keys_seen: list[str] = field(default_factory=list)  # Authorization on file requests (must be none)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/videos/search", self.videos)
        app.router.add_get("/v1/search", self.photos)
        app.router.add_get("/files/{name}", self.file)
        return app

    def searched(self) -> list[str]:
        return [p["query"] for _, p in self.queries]

    # The API

    def _check(self, request: web.Request) -> web.Response | None:
        self.queries.append((request.path, dict(request.query)))
        reset = str(int(time.time()) + 1800)
        if request.headers.get("Authorization") != self.key:
            return web.json_response({"error": "Unauthorized"}, status=401)
        if self.limited:
            return web.json_response(
                {"error": "Too Many Requests"},
                status=429,
                headers={
                    "X-Ratelimit-Limit": "200",
                    "X-Ratelimit-Remaining": "0",
                    "X-Ratelimit-Reset": reset,
                },
            )
        if self.down:
            return web.Response(status=503, text="Service Unavailable")
        return None

    @staticmethod
    def _limits() -> dict[str, str]:
        reset = str(int(time.time()) + 1800)
        return {"X-Ratelimit-Limit": "20000", "X-Ratelimit-Remaining": "19999", "X-Ratelimit-Reset": reset}

    def _words(self, request: web.Request) -> set[str]:
        return set(re.findall(r"[a-z]+", request.query.get("query", "").lower()))

    async def videos(self, request: web.Request) -> web.Response:
        if (refused := self._check(request)) is not None:
            return refused
        words = self._words(request)
        orientation = request.query.get("orientation", "landscape")
        found = [] if words & (self.empty_words | self.photo_words) else VIDEOS.get(orientation, [])
        base = f"http://{request.host}"
        body = {
            "page": 1,
            "per_page": int(request.query.get("per_page", 15)),
            "total_results": len(found),
            "url": f"https://www.pexels.com/search/videos/{request.query.get('query', '')}/",
            "videos": [self._video(s, base) for s in found],
        }
        return web.json_response(body, headers=self._limits())

    def _video(self, s: Stock, base: str) -> dict:
        files = [
            {
                "id": s.id * 10 + k,
                "quality": quality,
                "file_type": "video/mp4",
                "width": h if s.portrait else w,
                "height": w if s.portrait else h,
                "fps": 30,
                "link": f"{base}/files/video-{s.id}-{h if s.portrait else w}x{w if s.portrait else h}.mp4",
            }
            for k, (w, h, quality) in enumerate(reversed(RENDITIONS))  # largest first, as Pexels lists
        ]
        files.append({"id": s.id * 10 + 9, "quality": "hls", "file_type": "video/mp4", "width": None,
                      "height": None, "fps": None, "link": f"{base}/files/video-{s.id}.m3u8"})  # fmt: skip
        w, h = (1080, 1920) if s.portrait else (1920, 1080)
        return {
            "id": s.id,
            "width": w,
            "height": h,
            "url": f"https://www.pexels.com/video/{s.slug}-{s.id}/",
            "image": f"{base}/files/poster-{s.id}.jpg",
            "duration": 2,
            "full_res": None,
            "tags": list(s.tags),
            "avg_color": None,
            "user": {
                "id": 900 + s.id,
                "name": f"Maker {s.id}",
                "url": f"https://www.pexels.com/@maker-{s.id}",
            },
            "video_files": files,
            "video_pictures": [{"id": s.id * 10, "picture": f"{base}/files/poster-{s.id}.jpg", "nr": 0}],
        }

    async def photos(self, request: web.Request) -> web.Response:
        if (refused := self._check(request)) is not None:
            return refused
        found = [] if self._words(request) & self.empty_words else [PHOTO]
        base = f"http://{request.host}"
        photos = []
        for s in found:
            src = {
                name: f"{base}/files/photo-{s.id}-{name}.jpg"
                for name in (
                    "original",
                    "large2x",
                    "large",
                    "medium",
                    "small",
                    "portrait",
                    "landscape",
                    "tiny",
                )
            }
            photos.append(
                {
                    "id": s.id,
                    "width": 1200,
                    "height": 800,
                    "url": f"https://www.pexels.com/photo/{s.slug}-{s.id}/",
                    "photographer": "Ann Photo",
                    "photographer_url": "https://www.pexels.com/@ann-photo",
                    "photographer_id": 77,
                    "avg_color": "#978E82",
                    "src": src,
                    "liked": False,
                    "alt": "Coffee cup on a wooden table",
                }
            )
        body = {"total_results": len(photos), "page": 1, "per_page": 15, "photos": photos}
        return web.json_response(body, headers=self._limits())

    # The files (Pexels serves them from other hosts, with no key)

    async def file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if "Authorization" in request.headers:
            self.keys_seen.append(name)
        self.downloads.append(name)
        path = self.folder / name
        async with self._lock:  # one file made at a time, in a thread: the loop stays free
            if not path.exists():
                made = await asyncio.to_thread(self._make, name, path)
                if not made:
                    return web.Response(status=404)
        return web.FileResponse(path)

    def _make(self, name: str, path: Path) -> bool:
        self.folder.mkdir(parents=True, exist_ok=True)
        if m := re.fullmatch(r"video-(\d+)-(\d+)x(\d+)\.mp4", name):
            stock_id, w, h = (int(g) for g in m.groups())
            still = self.folder / f"still-{stock_id}-{w}x{h}.png"
            picture(stock_id, (w, h)).save(still)
            subprocess.run(
                [
                    *(ffmpeg_exe(), "-v", "error", "-y", "-loop", "1", "-i", str(still), "-t", "2"),
                    *(
                        "-r",
                        "30",
                        "-c:v",
                        "libx264",
                        "-preset",
                        "ultrafast",
                        "-pix_fmt",
                        "yuv420p",
                        str(path),
                    ),
                ],
                check=True,
            )
            return True
        if m := re.fullmatch(r"poster-(\d+)\.jpg", name):
            picture(int(m.group(1)), (160, 90)).save(path, format="JPEG")
            return True
        if m := re.fullmatch(r"photo-(\d+)-(\w+)\.jpg", name):
            sizes = {"original": (1200, 800), "large2x": (1200, 800), "large": (940, 627), "tiny": (280, 200)}
            crops = {"portrait": (800, 1200), "landscape": (1200, 627)}  # cropped, as Pexels does
            whole = picture(int(m.group(1)))
            made = (
                ImageOps.fit(whole, crops[m.group(2)])
                if m.group(2) in crops
                else whole.resize(sizes.get(m.group(2), (525, 350)))
            )
            made.save(path, format="JPEG", quality=92)
            return True
        return False
