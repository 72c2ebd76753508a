"""Caption timing benchmark: when is each word highlighted, against when it is heard?

Run: python bench/captions.py          (needs the bench extra: pip install -e '.[bench]')
     python bench/captions.py --keep   (keeps the renders and prints the folder)

Renders several offline briefings, then force-aligns the narration heard in each MP4 with
pocketsphinx (its own acoustic model and dictionary, shipped inside the wheel: an
independent recogniser, not the narrator's own timings) against the words the captions
show. Each word's highlight start is read back from the `.vtt` the renderer wrote (the
burned-in karaoke uses the same times), and compared with the aligned start of that word.
Prints per briefing and overall the median and p90 absolute error and the median signed
error (positive: the highlight comes late). Target: median <= 100 ms.

Words the dictionary lacks (names, numbers) are aligned with a rough spelling so the rest
stays in step, but are left out of the figures; the count compared is printed.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline import Briefing, PipelineConfig, make_draft, render
from pipeline.render.ffmpeg import ffmpeg_exe

BRIEFINGS = [
    Briefing(
        title="Meet Nimbus",
        description=(
            "Nimbus keeps every file your team touches in sync, across laptops, phones and the "
            "office server. It works offline, resolves conflicts for you, and encrypts everything "
            "end to end. Setup takes two minutes and needs no IT ticket. Try it free for thirty days."
        ),
        duration=30,
        style="modern",
        tone="friendly",
    ),
    Briefing(
        title="Winter safety on site",
        description=(
            "Ice forms on the loading ramps before sunrise. Use the grit bins at every entrance. "
            "Report any slippery surface to the shift lead at once. Wear the studded overshoes "
            "issued in November."
        ),
        duration=20,
        style="corporate",
        tone="urgent",
        aspect="9:16",
    ),
    Briefing(
        title="Quarter in review",
        description=(
            "Revenue grew twelve percent this quarter, the best result in two years. "
            "The support team answered every ticket within a day. "
            "Three new offices opened in Lisbon, Austin and Seoul. "
            '"We grew because we listened," says our founder. Thank you all for a great quarter.'
        ),
        duration=45,
        style="cinematic",
        tone="inspiring",
        aspect="1:1",
    ),
    Briefing(
        title="Lunch and learn",
        description=(
            "Join us on Friday for a lunch and learn about our new design system. "
            "Bring your questions and your appetite. Pizza is on us, and the session is recorded "
            "for anyone who cannot make it."
        ),
        duration=25,
        style="playful",
        tone="humorous",
    ),
]

RATE = 16000
MARGIN = 0.6  # seconds of audio around a stretch of captions (scenes are further apart)
ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
# A rough letter-to-phone spelling for words the dictionary lacks: only so that the words
# around them stay aligned; such words are not scored.
LETTERS = dict(
    a="AE", b="B", c="K", d="D", e="EH", f="F", g="G", h="HH", i="IH", j="JH", k="K", l="L", m="M",
    n="N", o="AA", p="P", q="K", r="R", s="S", t="T", u="AH", v="V", w="W", x="K S", y="Y", z="Z",
)  # fmt: skip


def number_words(n: int) -> list[str]:
    """English words for 0 <= n < 1,000,000."""
    if n < 20:
        return [ONES[n]]
    if n < 100:
        return [TENS[n // 10]] + (number_words(n % 10) if n % 10 else [])
    if n < 1000:
        return [ONES[n // 100], "hundred"] + (number_words(n % 100) if n % 100 else [])
    return [*number_words(n // 1000), "thousand"] + (number_words(n % 1000) if n % 1000 else [])


def spoken(word: str) -> list[str]:
    """Dictionary words for one caption word (lower case, no punctuation, digits spelled)."""
    out = []
    for part in re.split(r"[-–—/]", word.lower()):
        part = part.replace("%", " percent").replace("$", "")
        for token in part.split():
            token = re.sub(r"[^a-z0-9'.]", "", token).strip(".'")
            if re.fullmatch(r"\d+", token) and int(token) < 1_000_000:
                out += number_words(int(token))
            elif token:
                out.append(token)
    return out


@dataclass
class Timed:
    word: str
    start: float


def vtt_cues(path: Path) -> list[tuple[float, float, list[Timed]]]:
    """(start, end, words) per cue of the renderer's WebVTT; each word with the time its
    highlight starts."""

    def seconds(stamp: str) -> float:
        h, m, s = stamp.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    out = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if "-->" not in line:
            continue
        a, b = (seconds(x.strip()) for x in line.split("-->"))
        start, words = a, []
        # The first word starts with the cue; each later one carries its own <hh:mm:ss.mmm>.
        for k, chunk in enumerate(re.split(r"<(\d\d:\d\d:\d\d\.\d\d\d)>", lines[i + 1])):
            if k % 2:
                start = seconds(chunk)
                continue
            words += [Timed(w.replace("&lt;", "<").replace("&amp;", "&"), start) for w in chunk.split()]
        out.append((a, b, words))
    return out


def spans(cues: list[tuple[float, float, list[Timed]]]) -> list[tuple[float, float, list[Timed]]]:
    """Cues joined into stretches of speech: a scene's cues follow one another without a gap,
    and scenes are seconds apart, so each stretch is aligned on its own (a whole minute at once
    can lose the aligner)."""
    out: list[tuple[float, float, list[Timed]]] = []
    for a, b, words in cues:
        if out and a - out[-1][1] < 0.3:
            out[-1] = (out[-1][0], b, out[-1][2] + words)
        else:
            out.append((a, b, words))
    return out


def audio_of(video: Path) -> bytes:
    """The video's sound as 16 kHz mono 16-bit PCM (what pocketsphinx's model expects)."""
    cmd = [ffmpeg_exe(), "-v", "error", "-i", str(video), "-vn", "-ac", "1", "-ar", str(RATE)]
    return subprocess.run([*cmd, "-f", "s16le", "-"], check=True, capture_output=True).stdout


def align(pcm: bytes, captions: list[Timed]) -> list[float | None]:
    """Aligned start (seconds) of each caption word's first spoken word; None when unscored."""
    from pocketsphinx import Decoder

    decoder = Decoder(samprate=RATE, loglevel="FATAL")
    text: list[str] = []
    owner: list[tuple[int, bool]] = []  # (caption word, scored) per aligned word
    for i, c in enumerate(captions):
        words = spoken(c.word)
        known = bool(words) and not re.search(r"\d", c.word)
        for k, w in enumerate(words):
            if decoder.lookup_word(w) is None:
                decoder.add_word(w, " ".join(LETTERS.get(ch, "") for ch in w if ch in LETTERS).strip(), True)
                known = False
            text.append(w)
            owner.append((i, known and k == 0))
    decoder.set_align_text(" ".join(text))
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    segs = [s for s in decoder.seg() if s.word not in ("<s>", "</s>", "<sil>") and not s.word.startswith("[")]
    out: list[float | None] = [None] * len(captions)
    if len(segs) != len(text):
        raise RuntimeError(f"the aligner matched {len(segs)} of {len(text)} words")
    for seg, (i, scored) in zip(segs, owner, strict=True):
        if scored and out[i] is None:
            out[i] = seg.start_frame / 100  # pocketsphinx frames are 10 ms
    return out


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(briefing: Briefing, root: Path, height: int) -> list[float]:
    config = PipelineConfig(work_dir=root / "work", height=height)
    draft = make_draft(briefing, config)
    out = root / f"{re.sub(r'[^a-z]+', '-', briefing.title.lower())}.mp4"
    result = render(draft, config, out=out)
    vtt = next(p for p in result.captions if p.suffix == ".vtt")
    pcm = audio_of(result.path)
    errors, total = [], 0
    for a, b, captions in spans(vtt_cues(vtt)):
        # The stretch's audio with a margin wider than any plausible error, within the pause
        # around it.
        a, b = max(0.0, a - MARGIN), b + MARGIN
        heard = align(pcm[int(a * RATE) * 2 : int(b * RATE) * 2], captions)
        errors += [c.start - (a + h) for c, h in zip(captions, heard, strict=True) if h is not None]
        total += len(captions)
    ms = [abs(e) * 1000 for e in errors]
    print(
        f"{briefing.title[:24]:<24} {briefing.aspect:>4} {len(errors):>3}/{total:<3} words | "
        f"median {statistics.median(ms):5.0f} ms, p90 {quantile(ms, 0.9):5.0f} ms | "
        f"signed median {statistics.median(errors) * 1000:+5.0f} ms"
    )
    sys.stdout.flush()
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--height", type=int, default=360, help="render height (timing ignores it)")
    parser.add_argument("--keep", action="store_true", help="keep the renders")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="oma-captions-"))
    try:
        print("target: the highlighted word within 100 ms (median) of when it is heard")
        errors: list[float] = []
        for briefing in BRIEFINGS:
            errors += measure(briefing, root, args.height)
        ms = [abs(e) * 1000 for e in errors]
        print(
            f"{'all':<29} {len(errors):>3} words | median {statistics.median(ms):5.0f} ms, "
            f"p90 {quantile(ms, 0.9):5.0f} ms | signed median {statistics.median(errors) * 1000:+5.0f} ms"
        )
    finally:
        if args.keep:
            print(f"renders kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
