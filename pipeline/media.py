"""The team's own pictures and clips: checked by content, copied into the working folder by hash.

A file is judged by its bytes, never its name: the magic bytes say what it is, the size is
checked before anything is decoded, a picture's declared pixels before Pillow decodes it
(decompression bombs are refused), and a clip's length and frame size from ffmpeg's reading
of its header before a frame is decoded. What passes is stored as `media/<sha256>.<ext>`;
the name is kept only as a label. A file that fails gives a `MediaProblem` naming it and why.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image, ImageOps
from pydantic import BaseModel, Field

from pipeline.cache import WorkDir
from pipeline.render.ffmpeg import ffmpeg_exe

IMAGE_MAX_BYTES = 20_000_000
IMAGE_MAX_SIDE = 8000
CLIP_MAX_BYTES = 200_000_000
CLIP_MAX_SECONDS = 60.0
CLIP_MAX_SIDE = 4096
MAX_FILES = 10
BOMB_PIXELS_PER_BYTE = 20000  # deflate packs at most ~1032:1, i.e. ~8,000 one-bit pixels a byte
POSTER_SIDE = 1280  # the stills kept of a clip (contrast, contact sheet) are at most this wide
LIMITS = (
    "pictures (PNG, JPEG, WebP, GIF) up to 20 MB and 8000 px; clips (MP4, MOV, WebM) up to 200 MB and 60 s"
)

MediaKind = Literal["image", "clip"]
# What the bytes say, and what a name's extension claims (for "not what it says").
FORMATS = {"png": "image", "jpeg": "image", "webp": "image", "gif": "image", "mp4": "clip", "webm": "clip"}
CLAIMS = {
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".webp": "webp",
    ".gif": "gif",
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".mov": "mp4",
    ".webm": "webm",
}
LABELS = {"png": "PNG", "jpeg": "JPEG", "webp": "WebP", "gif": "GIF", "mp4": "MP4/MOV", "webm": "WebM"}


class Credit(BaseModel):
    """Where a stock picture or clip comes from, and the credit its library asks for."""

    provider: str = "Pexels"
    kind: Literal["video", "photo"]
    id: int
    page_url: str = Field(description="its page on the library's site")
    author: str
    author_url: str
    thumbnail: str = Field(default="", description="a small preview image's URL, for the draft")
    query: str = Field(default="", description="the search it was found with")

    def line(self) -> str:
        """ "Video by Jane Doe on Pexels", as Pexels asks to be credited."""
        return f"{'Video' if self.kind == 'video' else 'Photo'} by {self.author} on {self.provider}"


class MediaItem(BaseModel):
    """One accepted file, by content: `key` is its hash, `name` only a label for people."""

    key: str = Field(description="sha256 of the file's bytes (first 20 hex digits)")
    name: str = Field(description="the file's name as given, for the draft and the notes; never a path")
    kind: MediaKind
    file: str = Field(description="its file under the working folder's media/ (named by key)")
    width: int
    height: int
    duration: float = 0.0
    posters: list[str] = Field(default_factory=list, description="clip: stills at 10%, 50%, 90%")
    credit: Credit | None = Field(default=None, description="stock footage: where it is from (None: own)")

    def path(self, work_root: Path) -> Path:
        return work_root / "media" / self.file

    def shown_as(self) -> str:
        """How the draft names it: the file's name, or its stock credit with its page."""
        if self.credit is None:
            return self.name
        return f"{self.credit.line()} ({self.credit.page_url or 'https://www.pexels.com'})"

    def poster_paths(self, work_root: Path) -> list[Path]:
        return [work_root / "media" / p for p in self.posters]


@dataclass(frozen=True)
class MediaProblem:
    """A file that was left out, and why, in words for the person who gave it."""

    name: str
    reason: str

    def note(self) -> str:
        return f"{label(self.name)} was not used: {self.reason}."


class MediaError(ValueError):
    """Raised inside the checks; `ingest` turns it into a MediaProblem."""


def label(name: str) -> str:
    """A file name fit to show: its last part, printable, at most 80 characters."""
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch if ch.isprintable() else "?" for ch in base).strip() or "a file"
    return base[:77] + "..." if len(base) > 80 else base


def sniff(head: bytes) -> str | None:
    """The format the first bytes show, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[4:8] == b"ftyp" or head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    return None


def _what(head: bytes) -> str:
    if not head:
        return "it is empty"
    if head[:5] in (b"%PDF-",):
        return "its content is a PDF"
    if head[:2] == b"PK":
        return "its content is a ZIP archive"
    try:
        head.decode("utf-8")
        return "its content is text"
    except UnicodeDecodeError:
        return "its content is not a format OMA reads"


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def check_image(data: bytes, fmt: str) -> tuple[Image.Image, int, int]:
    """The picture (GIF: its first frame) as RGB, after the header's pixel count is checked."""
    import io

    if len(data) > IMAGE_MAX_BYTES:
        raise MediaError(f"it is {_mb(len(data))}; pictures may be at most {_mb(IMAGE_MAX_BYTES)}")
    with warnings.catch_warnings():
        # Pillow warns past MAX_IMAGE_PIXELS and refuses past twice that: both are a bomb here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data), formats=[fmt.upper()])
            w, h = img.size  # read from the header; nothing is decoded yet
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise MediaError(
                f"it is a decompression bomb (it declares more than {Image.MAX_IMAGE_PIXELS:,} pixels "
                f"in {_mb(len(data))})"
            ) from exc
        except Exception as exc:  # Pillow raises many kinds for a broken header
            raise MediaError(f"it could not be read as a {LABELS[fmt]} picture (corrupt header)") from exc
    if max(w, h) > IMAGE_MAX_SIDE:
        raise MediaError(f"it is {w}x{h} pixels; pictures may be at most {IMAGE_MAX_SIDE} px on a side")
    if fmt != "webp" and w * h > BOMB_PIXELS_PER_BYTE * len(data):
        # More pixels than deflate or JPEG can pack into its bytes, even for a flat screenshot
        # (lossless WebP can code a flat picture in almost nothing, so it is left to the limits).
        raise MediaError(f"it is a decompression bomb ({w}x{h} pixels from {_mb(len(data))})")
    try:
        img.verify()  # checksums and structure, before decoding
        img = Image.open(io.BytesIO(data), formats=[fmt.upper()])
        img.seek(0)
        img.load()
        img = ImageOps.exif_transpose(img)
        rgb = img.convert("RGB")
    except Exception as exc:
        raise MediaError(f"the {LABELS[fmt]} picture is corrupt or cut short") from exc
    return rgb, rgb.width, rgb.height


_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?Video: (\w+).*?(\d{2,5})x(\d{2,5})")


def probe_clip(path: Path) -> tuple[float, int, int]:
    """(seconds, width, height) from ffmpeg's reading of the container header (no decoding)."""
    info = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", path.name],
        capture_output=True,
        text=True,
        cwd=path.parent,
        timeout=30,
    ).stderr
    d, v = _DURATION.search(info), _VIDEO.search(info)
    if not v:
        raise MediaError("it holds no video that ffmpeg can read (corrupt or cut short)")
    if not d:
        raise MediaError("its length cannot be read (corrupt or cut short)")
    seconds = int(d.group(1)) * 3600 + int(d.group(2)) * 60 + float(d.group(3))
    return seconds, int(v.group(2)), int(v.group(3))


def _quiet() -> list[str]:
    return [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error"]


def _decodes(path: Path, seconds: float) -> None:
    """Decode up to 2 s of the clip; an error there means it is corrupt."""
    proc = subprocess.run(
        [
            *_quiet(),
            "-xerror",
            "-t",
            f"{min(seconds, 2):.2f}",
            "-i",
            path.name,
            "-map",
            "0:v:0",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        cwd=path.parent,
        timeout=60,
    )
    if proc.returncode != 0:
        raise MediaError("its video is corrupt (ffmpeg could not decode it)")


def _posters(path: Path, key: str, seconds: float) -> list[str]:
    names = []
    scale = f"scale='min({POSTER_SIDE},iw)':-2"
    for k, f in enumerate((0.1, 0.5, 0.9)):
        name = f"{key}-{k}.png"
        out = path.parent / name
        if not out.exists():
            subprocess.run(
                [
                    *_quiet(),
                    "-y",
                    "-ss",
                    f"{seconds * f:.3f}",
                    "-i",
                    path.name,
                    "-frames:v",
                    "1",
                    "-vf",
                    scale,
                    name,
                ],
                capture_output=True,
                cwd=path.parent,
                timeout=60,
                check=True,
            )
        if out.exists():
            names.append(name)
    if not names:
        raise MediaError("no frame of it could be decoded")
    return names


def ingest_bytes(name: str, data: bytes, work: WorkDir) -> MediaItem:
    """Check one file's bytes and store it under its hash; raises MediaError saying why not."""
    fmt = sniff(data[:16])
    if fmt is None:
        raise MediaError(f"{_what(data[:64])}, not a picture or clip ({LIMITS})")
    claimed = CLAIMS.get(Path(label(name)).suffix.lower())
    if claimed and claimed != fmt:
        raise MediaError(f"it is named as {LABELS[claimed]} but its content is {LABELS[fmt]}")
    key = hashlib.sha256(data).hexdigest()[:20]
    folder = work.root / "media"
    folder.mkdir(exist_ok=True)
    if FORMATS[fmt] == "image":
        img, w, h = check_image(data, fmt)
        file = f"{key}.png"
        out = folder / file
        if not out.exists():
            with work.writing(out) as tmp:
                img.save(tmp, format="PNG", compress_level=1)
        return MediaItem(key=key, name=label(name), kind="image", file=file, width=w, height=h)
    if len(data) > CLIP_MAX_BYTES:
        raise MediaError(f"it is {_mb(len(data))}; clips may be at most {_mb(CLIP_MAX_BYTES)}")
    file = f"{key}.{'webm' if fmt == 'webm' else 'mp4'}"
    out = folder / file
    if not out.exists():
        with work.writing(out) as tmp:
            tmp.write_bytes(data)
    try:
        seconds, w, h = probe_clip(out)
        if seconds > CLIP_MAX_SECONDS:
            raise MediaError(f"it runs {seconds:.0f} s; clips may be at most {CLIP_MAX_SECONDS:.0f} s")
        if seconds < 0.2:
            raise MediaError("it is shorter than a fifth of a second")
        if max(w, h) > CLIP_MAX_SIDE:
            raise MediaError(f"it is {w}x{h}; clips may be at most {CLIP_MAX_SIDE} px on a side")
        _decodes(out, seconds)
        posters = _posters(out, key, seconds)
    except (MediaError, subprocess.SubprocessError) as exc:
        out.unlink(missing_ok=True)
        if isinstance(exc, MediaError):
            raise
        raise MediaError("its video is corrupt (ffmpeg could not read it)") from exc
    return MediaItem(
        key=key, name=label(name), kind="clip", file=file, width=w, height=h, duration=round(seconds, 3)
    ).model_copy(update={"posters": posters})


def ingest_file(path: Path, work: WorkDir, name: str | None = None) -> MediaItem:
    """A local file (shown as `name`), its size checked before it is read."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise MediaError("it is not a file")
    except OSError as exc:
        raise MediaError(f"it cannot be read ({exc.strerror or 'no such file'})") from exc
    if size > CLIP_MAX_BYTES:
        raise MediaError(
            f"it is {_mb(size)}; at most {_mb(IMAGE_MAX_BYTES)} for pictures, {_mb(CLIP_MAX_BYTES)} for clips"
        )
    with path.open("rb") as fh:
        head = fh.read(16)
        if sniff(head) in ("png", "jpeg", "webp", "gif") and size > IMAGE_MAX_BYTES:
            raise MediaError(f"it is {_mb(size)}; pictures may be at most {_mb(IMAGE_MAX_BYTES)}")
        data = head + fh.read()
    return ingest_bytes(name or path.name, data, work)


def ingest(
    files: list[tuple[str, Path | bytes]], work: WorkDir
) -> tuple[list[MediaItem], list[MediaProblem]]:
    """Check every (name, path or bytes); the good ones are stored (each content once), the bad
    ones come back as problems. The video is made without them."""
    items: list[MediaItem] = []
    problems: list[MediaProblem] = []
    for k, (name, source) in enumerate(files):
        if k >= MAX_FILES:
            problems.append(MediaProblem(name, f"at most {MAX_FILES} files are used per video"))
            continue
        try:
            item = (
                ingest_file(source, work, name)
                if isinstance(source, Path)
                else ingest_bytes(name, source, work)
            )
        except MediaError as exc:
            problems.append(MediaProblem(name, str(exc)))
            continue
        if all(i.key != item.key for i in items):
            items.append(item.model_copy(update={"name": label(name)}))
    return items, problems
