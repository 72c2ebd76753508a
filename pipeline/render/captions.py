"""Burned-in captions as ASS subtitles for libass: pages of words, the spoken word highlighted."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.models import WordTiming
from pipeline.text import FUNCTION_WORDS, NUMBER_WORDS, abbreviated, reads_right_to_left, speakable, wordset

HIGHLIGHT = "&H0000D6FF&"  # ASS colours are &HBBGGRR: a warm yellow
PLAIN = "&H00FFFFFF&"
RLM = "\u200f"  # RIGHT-TO-LEFT MARK


@dataclass(frozen=True)
class CaptionLook:
    """How captions are drawn: font family (from the fonts folder), size, place, highlight."""

    family: str = "DejaVu Sans"
    scale: float = 1.0
    position: str = "bottom"  # bottom, middle or top
    highlight: str = HIGHLIGHT

    @staticmethod
    def ass_colour(hex_colour: str) -> str:
        """'#RRGGBB' as ASS writes it: &H00BBGGRR&."""
        r, g, b = hex_colour[1:3], hex_colour[3:5], hex_colour[5:7]
        return f"&H00{b}{g}{r}&".upper()


# ASS alignments (numpad layout): bottom centre, and top centre for captions at the top.
ALIGNMENT = {"bottom": 2, "middle": 2, "top": 8}
ROW = 1.3  # a caption line's height as a multiple of its font size
# "Middle" captions sit a little below the centre, as short-video apps place them, which
# leaves the scene's text the larger part of the frame above them.
MIDDLE = 0.64


@dataclass(frozen=True)
class Caption:
    """One on-screen state: a page of words with word `current` highlighted, from start to end."""

    start: float
    end: float
    words: tuple[str, ...]
    current: int


def _clean(word: str) -> str:
    # Braces open ASS override blocks and backslashes start tags; neither may reach libass.
    return speakable(word).replace("{", "(").replace("}", ")").replace("\\", "/")


PAUSE = 0.15  # a silence longer than this between two words always starts a new page
# Where a page may end: after a clause's punctuation (best), before a word that opens a clause,
# anywhere else at a cost, and hardly ever after a word that leans on the next ("the", "of").
_CLAUSE_OPENERS = wordset("and but or so which who that because while when where though")


def _chars(page: list[WordTiming]) -> int:
    return sum(len(w.word) + 1 for w in page) - 1


def _break_cost(word: str, following: str) -> float:
    if abbreviated(word) or following[:1] in "%‰":
        return 800.0  # "z." / "B. per E-Mail", "10 à 15" / "% selon"
    if word.isdigit() or word.lower() in NUMBER_WORDS:
        return 400.0  # a number leans on what it counts: "in ten" / "seconds"
    if word[-1:] in ",;:–—":
        return 0.0
    if following.lower().strip("\"'“‘(") in _CLAUSE_OPENERS:
        return 10.0
    if word.lower().strip("\"'”’)") in FUNCTION_WORDS:
        return 400.0
    return 60.0


def _balanced(run: list[WordTiming], limit: int) -> list[list[WordTiming]]:
    """Split one run of words into the fewest pages of at most `limit` characters, ending pages
    where a clause ends and keeping them even, so no page is a stranded "office server."."""
    n = len(run)
    best = [0.0] + [float("inf")] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        chars = -1
        for i in range(j - 1, -1, -1):
            chars += len(run[i].word) + 1
            if chars > limit and i < j - 1:
                break
            slack = 20 * max(0, limit - chars) / limit
            cost = best[i] + 1000 + slack * slack
            if j < n:
                cost += _break_cost(run[j - 1].word, run[j].word)
            if cost < best[j]:
                best[j], back[j] = cost, i
    out, j = [], n
    while j > 0:
        out.append(run[back[j] : j])
        j = back[j]
    return out[::-1]


def pages(words: list[WordTiming], max_chars: int) -> list[list[WordTiming]]:
    """Group words into pages of at most two lines: a pause or a long sentence's end closes a
    page, and a run too long for one page is split evenly at its clause boundaries."""
    runs: list[list[WordTiming]] = []
    cur: list[WordTiming] = []
    for w in words:
        if cur and w.start - cur[-1].end > PAUSE and not abbreviated(cur[-1].word):
            runs.append(cur)
            cur = []
        cur.append(w)
        if w.word[-1:] in ".!?" and _chars(cur) > max_chars and not abbreviated(w.word):
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    out: list[list[WordTiming]] = []
    for run in runs:
        for page in _balanced(run, max_chars * 2):
            prev = out[-1] if out else None
            joins = prev is not None and page[0].start - prev[-1].end <= PAUSE
            if joins and _chars(prev) <= max_chars and _chars(prev) + 1 + _chars(page) <= max_chars * 2:
                out[-1] = prev + page  # a short sentence shares the page of the one before
            else:
                out.append(page)
    return out


def captions(words: list[WordTiming], max_chars: int) -> list[Caption]:
    """Caption states for a whole timeline; each page stays up until its last word ends."""
    states: list[Caption] = []
    book = pages(words, max_chars)
    for k, page in enumerate(book):
        texts = tuple(_clean(w.word) for w in page)
        for i, w in enumerate(page):
            end = page[i + 1].start if i + 1 < len(page) else w.end + 0.25
            if i + 1 == len(page) and k + 1 < len(book):
                # A page leaves when the next one comes: libass would stack two pages.
                end = min(end, book[k + 1][0].start)
            states.append(Caption(w.start, end, texts, i))
    return states


def _ts(t: float) -> str:
    cs = max(0, round(t * 100))
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


CHAR_WIDTH = 0.66  # a bold caption character's average width, in font sizes (DejaVu Sans Bold)


def layout(width: int, height: int, scale: float = 1.0) -> tuple[int, int, int]:
    """(font size, bottom margin, characters per line) for the frame."""
    # A square frame takes the landscape size, a little smaller; only portrait sizes by width.
    square = 0.93 if width == height else 1.0
    size = round((height * 0.06 if width >= height else width * 0.066) * square * scale)
    margin = round(height * (0.07 if width >= height else 0.16))
    chars = max(10, int(width * 0.86 / (size * CHAR_WIDTH)))
    return size, margin, chars


def top_margin(width: int, height: int) -> int:
    """Space above captions placed at the top (clear of a phone's status bar in portrait)."""
    return round(height * (0.07 if width >= height else 0.1))


def band(width: int, height: int, look: CaptionLook = CaptionLook()) -> tuple[int, int]:
    """(top, bottom) rows a two-line caption page may cover, wherever the look puts it."""
    size, margin, _ = layout(width, height, look.scale)
    tall = round(2 * size * ROW)
    if look.position == "top":
        top = top_margin(width, height)
        return top, top + tall
    if look.position == "middle":
        bottom = round(height * MIDDLE) + tall // 2
        return bottom - tall, bottom
    return height - margin - tall, height - margin


def to_ass(
    states: list[Caption], width: int, height: int, offset: float = 0.0, look: CaptionLook = CaptionLook()
) -> str:
    """An ASS document for `states`, times shifted by -offset (a piece starting at `offset`)."""
    size, margin, chars = layout(width, height, look.scale)
    if look.position == "top":
        margin = top_margin(width, height)
    elif look.position == "middle":
        margin = height - band(width, height, look)[1]
    side = round(width * 0.06)
    outline = max(2, round(size * 0.09))
    head = (
        "[Script Info]\nScriptType: v4.00+\n"
        f"PlayResX: {width}\nPlayResY: {height}\nWrapStyle: 0\nScaledBorderAndShadow: yes\n\n"
        "[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, "
        "OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, "
        "Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Caption,{look.family},{size},&H00FFFFFF,&H00FFFFFF,&H00101010,&H99000000,-1,0,0,0,"
        f"100,100,0,0,1,{outline},{max(1, outline // 2)},{ALIGNMENT.get(look.position, 2)},"
        f"{side},{side},{margin},1\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )
    lines = []
    for c in states:
        start, end = c.start - offset, c.end - offset
        if end <= 0:
            continue
        text = (
            _rtl_text(c, look.highlight, chars)
            if reads_right_to_left("".join(c.words))
            else _ltr_text(c, look.highlight)
        )
        fit = _fit_word(c, size, chars)
        lines.append(f"Dialogue: 0,{_ts(max(0.0, start))},{_ts(end)},Caption,,0,0,0,,{fit}{text}")
    return head + "\n".join(lines) + "\n"


def _fit_word(c: Caption, size: int, chars: int) -> str:
    """A smaller font for a page holding a word longer than a line (an address, a URL), which
    libass cannot wrap: it ran to the frame's edges."""
    longest = max((len(w) for w in c.words), default=0)
    return f"{{\\fs{size * chars // longest}}}" if longest > chars else ""


def _lit(word: str, colour: str) -> str:
    return f"{{\\c{colour}}}{word}{{\\c{PLAIN}}}"


def _ltr_text(c: Caption, colour: str) -> str:
    return " ".join(_lit(w, colour) if i == c.current else w for i, w in enumerate(c.words))


def _rtl_text(c: Caption, colour: str, chars: int) -> str:
    """A right-to-left page, laid out by hand. libass orders the words within one colour run
    but places the runs themselves left to right, so the highlight would put an RTL line's
    words in reading order from the left: here each line's runs are given in visual order
    (the last first), the lines broken explicitly (wrapping would split them wrongly)."""
    rows: list[list[int]] = [[]]
    for i, w in enumerate(c.words):
        if rows[-1] and sum(len(c.words[j]) + 1 for j in rows[-1]) + len(w) > chars:
            rows.append([])
        rows[-1].append(i)
    out = []
    for row in rows:
        before = " ".join(c.words[j] for j in row if j < c.current)
        after = " ".join(c.words[j] for j in row if j > c.current)
        # libass shapes each colour run on its own with a left-to-right base: a right-to-left mark
        # ending a run keeps its closing punctuation on its left, where the sentence ends, instead
        # of beside the next run.
        lit = _lit(c.words[c.current] + RLM, colour) if c.current in row else ""
        runs = [after + RLM if after else "", lit, before + RLM if before else ""]
        out.append(" ".join(r for r in runs if r))
    return "{\\q2}" + "\\N".join(out)


def _clock(t: float, sep: str) -> str:
    ms = max(0, round(t * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def cues(words: list[WordTiming], max_chars: int) -> list[tuple[float, float, str]]:
    """(start, end, text) per caption page, as burned in: a page stays until its last word ends."""
    out = []
    for page in pages(words, max_chars):
        text = " ".join(speakable(w.word) for w in page)
        out.append((page[0].start, page[-1].end + 0.25, text))
    # A page never overlaps the next one (players stack overlapping cues).
    return [(a, min(b, out[i + 1][0]) if i + 1 < len(out) else b, t) for i, (a, b, t) in enumerate(out)]


def to_srt(words: list[WordTiming], max_chars: int) -> str:
    """SubRip captions for a timeline of words."""
    blocks = [
        f"{i}\n{_clock(a, ',')} --> {_clock(b, ',')}\n{text}\n"
        for i, (a, b, text) in enumerate(cues(words, max_chars), 1)
    ]
    return "\n".join(blocks)


def to_vtt(words: list[WordTiming], max_chars: int) -> str:
    """WebVTT captions; each cue carries its words' start times, so players can highlight them."""
    out = ["WEBVTT", ""]
    page_list = pages(words, max_chars)
    for (a, b, _text), page in zip(cues(words, max_chars), page_list, strict=True):
        # Escape what WebVTT treats as markup.
        parts = [speakable(w.word).replace("&", "&amp;").replace("<", "&lt;") for w in page]
        timed = parts[0] + "".join(
            f" <{_clock(w.start, '.')}>{p}" for w, p in zip(page[1:], parts[1:], strict=True)
        )
        out += [f"{_clock(a, '.')} --> {_clock(b, '.')}", timed, ""]
    return "\n".join(out)
