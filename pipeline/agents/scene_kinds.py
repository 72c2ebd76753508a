"""Scene kinds: which kind each scene is, and that kind's fields, read from the script's text.

`assign_kinds` is pure and deterministic. The first scene is the title and the last the
closing; in between, a quotation makes a quote, a number with its unit a stat and an
enumeration a list, else the scene stays a statement. A kind the model chose is kept
when its fields hold up (or can be read from the narration), and is a statement otherwise.
"""

from __future__ import annotations

import re

from pipeline.agents.fixed_lines import FIXED_LINES
from pipeline.briefing import Briefing
from pipeline.models import ScenePlan, Script, ScriptScene, Storyboard
from pipeline.text import (
    FUNCTION_WORDS,
    MONTHS,
    OTHER_DANGLING,
    OTHER_SMALL_WORDS,
    THOUSANDS,
    headline_from,
    sentences,
    shown_link,
    speakable,
)


def _wordlist(text: str) -> list[str]:
    return text.split()


TITLE_WORDS, SUBTITLE_WORDS, LABEL_WORDS, ITEM_WORDS = 8, 10, 6, 6
QUOTE_WORDS, CTA_WORDS, HEADING_WORDS, MAX_ITEMS = 20, 10, 10, 4
FIGURE_CHARS, LINK_CHARS = 12, 60

_WORD_NUMBERS = {
    w: i
    for i, w in enumerate(
        _wordlist(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
            "fifteen sixteen seventeen eighteen nineteen twenty"
        )
    )
} | {
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}
UNITS = _wordlist(
    "seconds minutes hours days weeks months years percent times people users customers teams "
    "countries languages offices sites stores employees members clients partners projects "
    "tickets hours steps points"
)
# "one day": a singular unit counts only after one ("three time zones" is no stat).
_SINGULAR = {u[:-1]: u for u in UNITS if u.endswith("s") and u != "times"}
_SCALE = {"thousand": "K", "million": "M", "billion": "B", "trillion": "T"}
# Not inside a token ("eu-west-1", "v2", the "47" of "14:47"); thousands in threes ("4,100"),
# else a decimal point or comma ("4.2", "1,9"); "15 %" as French writes it.
_FIGURE = re.compile(
    r"(?<![\w:/.,-])(?P<pre>[$€£¥])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?)"
    r"(?P<suf>\s?%|x\b|×|[kKmMbB]n?\b)?"
    r"(?:\s+(?P<scale>thousand|million|billion|trillion)\b)?(?:\s+(?P<unit>[^\W\d_]+))?"
)
# Numbers that name or date something rather than count it.
_NAMING = set(_wordlist("ext ext. room floor bureau no no. nr nr. version gate dock pier building suite #"))
_MONTHS = MONTHS | set(
    _wordlist("january february march april may june july august september october november december")
)
_WORD_FIGURE = re.compile(r"\b(?P<num>" + "|".join(_WORD_NUMBERS) + r")\s+(?P<unit>[A-Za-z]+)", re.I)
_QUOTE = re.compile(r"[“\"]([^”\"]{8,300})[”\"]")
_SAID_AFTER = re.compile(
    r"^\s*,?\s*(?:says|said|writes|wrote|explains|explained|—|–|-)\s+"
    r"(?P<who>[A-Z][\w.'’-]*(?:\s+(?:of\s+|from\s+)?[A-Z][\w.'’-]*){0,4})"
)
_SAID_BEFORE = re.compile(
    r"(?P<who>[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3})(?:,[^,.]{1,80},)?"  # "Maria Lopez, our COO,"
    r"\s+(?:says|said|put it(?: best| well)?|wrote|told us)\s*[:,.]?\s*$"
)
_URL = re.compile(
    r"https?://[^\s<>\"]+|www\.[^\s<>\"]+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b(?:[\w-]+\.)+(?:com|io|org|net|dev|app|co|ai)\b(?:/[^\s<>\"]*)?"
)
_BETWEEN = re.compile(r"\b(?:between|zwischen|entre)\b[^,.;]*$", re.IGNORECASE)
_CHANGE = {
    **dict.fromkeys(_wordlist("grew grows rose rises increased climbed jumped gained up"), "growth"),
    **dict.fromkeys(_wordlist("fell falls dropped drops decreased declined shrank down"), "decline"),
}
_RANGE_END = re.compile(r"\d[\d,.]*\s?%?\s+(?:to|bis|à|a)\s+[$€£¥]?$")
_FROM_TO = re.compile(
    r"\b(?:from|von|desde)\s+[$€£¥]?\d[\d,.]*\s?%?\s+(?:to|bis|a)\s+[$€£¥]?$", re.IGNORECASE
)
_DASHED = re.compile(r"\d\s*[-–]\s*[$€£¥]?$")
_TO_NEXT = re.compile(r"\s*(?:to|bis|à|a|-|–)\s*[$€£¥]?\d")
_CHANNEL = re.compile(r"(?<![\w&])#[a-z0-9][a-z0-9_-]{0,79}")
IMPERATIVES = set(
    _wordlist(
        "try join sign visit register contact reply start book download ask read share watch get learn write "
        "check go follow submit complete report wear use call email install update review bring come meet "
        "vote apply enrol enroll subscribe tell send open find explore discover see remember save claim "
        "grab order upgrade switch schedule keep make take let's"
    )
)
_LEAD_STRIP = {
    "it",
    "we",
    "you",
    "they",
    "this",
    "that",
    "our",
    "your",
    "the",
    "a",
    "an",
    "and",
    "or",
    "also",
}
_PREPOSITIONS = {"across", "on", "in", "for", "with", "from", "to", "including", "like", "at", "into"}
_DANGLING = set(
    _wordlist(
        "a an the and or of to for in on at by with from about around only just over under than more less up "
        "down within is are was were be been takes take took grew grow rose fell reached reach saves "
        "saved cut costs cost has have had by per"
    )
)


def _words(text: str, limit: int) -> str:
    words = text.split()
    return " ".join(words[:limit]).strip(" ,;:") if words else ""


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- stat --------------------------------------------------------------------------------------


def _unit_of(word: str | None, count: float = 2) -> str:
    w = (word or "").lower()
    if w in UNITS:
        return w
    return w if w in _SINGULAR and count == 1 else ""


_PRONOUNS = set(_wordlist("i we you they he she it wir sie er nous vous ils elles nosotros ellos"))
_NOT_COUNTED = _DANGLING | OTHER_SMALL_WORDS | FUNCTION_WORDS | _PRONOUNS


def _value(num: str) -> float:
    """The number written: 4100 for "4,100", 1.9 for "1,9" (a decimal comma)."""
    return float(num.replace(",", "") if THOUSANDS.fullmatch(num) else num.replace(",", "."))


def _counted(word: str, marked: bool) -> str:
    """What a bare number counts when it is no unit we know: "4,100 orders", "40 Stunden"; not a
    small word ("12 this quarter"), a verb ("3 failed") or anything after "12%" ("12% faster")."""
    w = word.lower()
    if marked or len(w) < 2 or w.endswith("ed") or w in _NOT_COUNTED:
        return ""
    return word


def find_figure(text: str) -> tuple[str, str, int, int] | None:
    """(figure, unit, start, end) of the first figure worth a stat in `text`, e.g. ("$4.2M", "", ...)."""
    for m in _FIGURE.finditer(text):
        pre, num, suf, scale, unit_word = (m.group(g) or "" for g in ("pre", "num", "suf", "scale", "unit"))
        after = m.end("scale") if scale else m.end("suf") if suf else m.end("num")
        head = text[: m.start()]
        ranged = _RANGE_END.search(head) and not _FROM_TO.search(head)
        if _BETWEEN.search(head) or _DASHED.search(head) or ranged or _TO_NEXT.match(text, after):
            continue  # "between 10 and 15", "9-17", "€95,000 to €120,000" are no stats; "from 41 to 56" is 56
        before = head.split()
        said_before = before[-1].lower() if before else ""
        if (
            re.match(r"\.?:\d", text[m.end("num") :])  # a time, "14:47"
            or unit_word.lower() in _MONTHS
            or said_before.strip(",") in _MONTHS
            or said_before in _NAMING
        ):
            continue
        year = re.fullmatch(r"(?:19|20)\d\d", num) is not None  # "In 2026 we moved": no count
        unit = _unit_of(unit_word, _value(num)) or _counted(unit_word, bool(pre or suf or scale or year))
        known = bool(unit)
        if unit == "percent":
            suf, unit = "%", ""
        elif unit == "times":
            suf, unit = "x", ""
        if not (pre or suf or unit or scale) and (year or _value(num) < 10):
            continue  # a year, or a bare small number ("2 of them") does not make a stat
        figure = f"{pre}{num}{suf.replace('×', 'x')}{_SCALE.get(scale, '')}"
        end = m.end() if known or not unit_word else m.end() - len(unit_word) - 1
        return figure[:FIGURE_CHARS], unit, m.start(), end
    for m in _WORD_FIGURE.finditer(text):
        value = _WORD_NUMBERS[m.group("num").lower()]
        unit = _unit_of(m.group("unit"), value)
        if unit:
            if unit == "percent":
                return f"{value}%", "", m.start(), m.end()
            if unit == "times":
                return f"{value}x", "", m.start(), m.end()
            return str(value), unit, m.start(), m.end()
    return None


def _label(sentence: str, start: int, end: int) -> str:
    """What the figure measures: the words around it in its clause, trimmed of dangling words."""
    # A clause starts after punctuation and a space: the comma in "€95,000" is not one.
    clause_start = max((p.end() for p in re.finditer(r"[,;:—](?=\s)", sentence[:start])), default=0)
    # A clause ends at punctuation before a space or the end ("$4.2M" holds a full stop).
    stop = re.compile(r"[,;:—.!?](?=\s|$)").search(sentence, end)
    clause_end = stop.start() if stop else len(sentence)
    before = re.split(r"\band\b", sentence[clause_start:start])[-1].split()
    after = re.split(r"\band\b", sentence[end:clause_end])[0].split()
    # Another figure is not part of this one's label ("grew 18% ... to $4.2M").
    after = after[: next((i for i, w in enumerate(after) if re.search(r"\d", w)), len(after))]
    # "Revenue grew 12%": the 12% is the growth, not the revenue.
    change = _CHANGE.get(before[-1].lower().strip(",.")) if before else None
    if change is None and len(before) > 1 and before[-1].lower() == "by":
        change = _CHANGE.get(before[-2].lower().strip(",."))
    change = change if re.search(r"(?:[%x×]|percent|times)$", sentence[start:end].strip()) else None
    while before and before[-1].lower().strip(",.") in _DANGLING | OTHER_DANGLING:
        before.pop()
    if change and before:
        before.append(change)
    while after and after[0].lower() in _DANGLING - {"per", "in", "of"}:
        after.pop(0)
    while after and after[-1].lower() in _DANGLING | OTHER_DANGLING:
        after.pop()
    if len(before) + len(after) <= LABEL_WORDS:
        words = [*before, *after]
    else:  # one side: the words before, unless they are a lone article ("El 92% de los equipos")
        words = before if len(before) > 1 or not after else after[:LABEL_WORDS]
        while len(words) > 1 and words[-1].lower() in _DANGLING | OTHER_SMALL_WORDS:
            words = words[:-1]  # "de los equipos beta dijo que": no label ends on "que"
    return _cap(_words(" ".join(words).strip(" ,.;:"), LABEL_WORDS))


def stat_fields(narration: str) -> dict | None:
    for sentence in sentences(narration):
        found = find_figure(sentence)
        if found:
            figure, unit, start, end = found
            return {"figure": figure, "unit": unit, "label": _label(sentence, start, end)}
    return None


# -- list --------------------------------------------------------------------------------------


def _item(chunk: str) -> str:
    words = chunk.strip(" .!?;:").split()
    while len(words) > 1 and words[0].lower() in _LEAD_STRIP | _PREPOSITIONS:
        words.pop(0)
    return _cap(" ".join(words))


def _lead_of(chunks: list[str]) -> tuple[str, list[str]]:
    """("lead", items) when the first chunk says what the others are: "Book a 1:1 with your
    manager, your buddy and HR" leads with "Book a 1:1", and "your manager" is the first item."""
    words = chunks[0].split()
    if len(words) > ITEM_WORDS:
        return chunks[0], chunks[1:]
    cut = max((k for k, w in enumerate(words[:-1]) if k >= 2 and w.lower() in _PREPOSITIONS), default=0)
    longer = len(words) - max(len(c.split()) for c in chunks[1:])
    if cut and longer >= 3:
        return " ".join(words[:cut]), [" ".join(words[cut + 1 :]), *chunks[1:]]
    return "", chunks


def list_fields(narration: str) -> dict | None:
    """Items of the first enumeration: "A, B and C" (three or more), or "Lead: A, B, C"."""
    for sentence in sentences(narration):
        lead = ""
        body = sentence
        if re.search(r":\s", sentence):  # "Bring: A, B, C"; not the colon of "1:1" or "10:30"
            lead, body = re.split(r":\s", sentence, maxsplit=1)
        if not lead and not re.search(r"\s(?:and|or)\s+\S+[^,]*$", body):
            continue  # "A, B and C": no "Maria Lopez, our COO, put it best"
        chunks = [c for c in re.split(r",\s*|\s+(?:and|or)\s+", body.strip(" .!?")) if c.strip()]
        chunks = [re.sub(r"^(?:and|or)\s+", "", c.strip()) for c in chunks]
        if len(chunks) >= 3 and not lead:
            lead, chunks = _lead_of(chunks)
        if not (2 <= len(chunks) <= MAX_ITEMS and (lead or len(chunks) >= 3)):
            continue
        items = [_item(c) for c in chunks]
        if all(0 < len(i.split()) <= ITEM_WORDS for i in items):
            heading = lead.strip() if len(lead.split()) <= HEADING_WORDS else ""
            return {"items": items, "headline": _cap(heading)}
    return None


# -- quote -------------------------------------------------------------------------------------


def quote_fields(narration: str, context: str = "") -> dict | None:
    """The first quotation in `narration` and who said it (named after it, or before it here or
    at the end of `context`, the text before `narration`)."""
    m = _QUOTE.search(narration)
    if not m or len(m.group(1).split()) < 3:
        return None
    quote = m.group(1).strip(" ,")
    after = _SAID_AFTER.search(narration[m.end() :])
    before = _SAID_BEFORE.search(f"{context} {narration[: m.start()]}".rstrip())
    who = (after or before).group("who") if (after or before) else ""
    who = re.sub(r"^As\s+", "", who).rstrip(".,;:")
    words = quote.split()
    if len(words) > QUOTE_WORDS:
        quote = " ".join(words[:QUOTE_WORDS]).rstrip(",;:") + "…"
    return {"quote": quote, "attribution": _words(who, 6)}


# -- title and closing --------------------------------------------------------------------------


def find_link(briefing: Briefing) -> str:
    text = f"{briefing.title} {briefing.description}"
    m = _URL.search(text) or _CHANNEL.search(text)
    return m.group(0).rstrip(".,;:!?)")[:LINK_CHARS] if m else ""


def _imperative(sentence: str) -> bool:
    first = re.sub(r"^please\s+", "", sentence, flags=re.I).split()
    return bool(first) and first[0].lower().strip(",") in IMPERATIVES


def _action(sentence: str) -> str:
    """The call to action in `sentence`: all of it when it is one ("Try it today."), or its last
    clause ("The beta ends on Friday, so upgrade now." -> "Upgrade now."); else ""."""
    if _imperative(sentence):
        return sentence
    m = re.search(r"[,;:—–]\s*(?:so|then|and now)\s+(?P<clause>\w[^,;:—–]*)$", sentence)
    return _cap(m.group("clause")) if m and _imperative(m.group("clause")) else ""


def _card_words(sentence: str) -> str:
    # The link has its own line on the card: "Join us in #launch" reads "Join us". A list of
    # them ("Join #general, #random and your team channel") stays: cut, it would read
    # "Join,, and your team channel".
    where = r"(?:\s+(?:at|in|on|to|via|from|en|a|à|an|sur|auf|bei|unter|em|no|na|op|per|por|para|chez))?\s*"
    links = f"(?:{_URL.pattern}|{_CHANNEL.pattern})"
    listed = re.search(rf"{links}(?:\s*(?:,|,?\s*and|,?\s*or)\s*{links})+", sentence)
    text = (sentence if listed else re.sub(where + links, "", sentence)).strip(" .!")
    return _words(text, CTA_WORDS) if len(text.split()) <= CTA_WORDS else headline_from(text, CTA_WORDS)


def call_to_action(briefing: Briefing, last: ScriptScene | None, shown: tuple[str, ...] = ()) -> str:
    """What the closing card says: the last call to action the closing scene says, else the
    briefing's last one, else the closing scene's own last sentence, else the title; never words
    an earlier card (`shown`) showed already."""
    said = [s for s in sentences(last.narration if last else "") if s not in FIXED_LINES]
    candidates = [a for a in map(_action, said) if a][::-1]
    candidates += [a for a in map(_action, sentences(briefing.description)) if a][::-1]
    candidates += said[::-1]
    seen = {_plain(t) for t in shown}
    for sentence in candidates:
        text = _card_words(sentence)
        if text and _plain(text) not in seen:
            return text
    return headline_from(briefing.title, TITLE_WORDS)


# -- assignment --------------------------------------------------------------------------------


def _clean(plan: ScenePlan) -> ScenePlan:
    """Every text field spoken-clean and within its limit (the model may overrun them)."""
    return plan.model_copy(
        update={
            "headline": _words(
                speakable(plan.headline), CTA_WORDS if plan.kind == "closing" else HEADING_WORDS
            ),
            "subtitle": _words(speakable(plan.subtitle), SUBTITLE_WORDS),
            "figure": speakable(plan.figure)[:FIGURE_CHARS],
            "unit": _words(speakable(plan.unit), 2),
            "label": _words(speakable(plan.label), LABEL_WORDS),
            "items": [_words(speakable(i), ITEM_WORDS) for i in plan.items if speakable(i)][:MAX_ITEMS],
            "quote": _words(speakable(plan.quote).strip('“”"'), QUOTE_WORDS),
            "attribution": _words(speakable(plan.attribution), 6),
            "link": speakable(plan.link)[:LINK_CHARS],
        }
    )


def _middle(plan: ScenePlan, scene: ScriptScene, before: str = "") -> ScenePlan:
    """A middle scene's kind: the model's when its fields hold up, else read from the narration
    (`before`: the previous scene's, where a quotation's speaker may be named)."""
    text = scene.narration
    if plan.kind == "stat" and plan.figure and any(ch.isdigit() for ch in plan.figure):
        return plan.model_copy(update={"label": plan.label or plan.headline})
    if plan.kind == "list" and 2 <= len([i for i in plan.items if i.strip()]) <= MAX_ITEMS:
        return plan
    if plan.kind == "quote" and len(plan.quote.split()) >= 3:
        return plan
    reads = {"quote": quote_fields(text, before), "stat": stat_fields(text), "list": list_fields(text)}
    order = [plan.kind] if plan.kind in reads else []
    for kind in [*order, "quote", "stat", "list"]:
        if reads[kind]:
            return plan.model_copy(update={"kind": kind, **reads[kind]})
    return plan.model_copy(update={"kind": "statement"})


def _plain(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _opening_line(briefing: Briefing, later: list[ScriptScene | None]) -> str:
    """The description's first sentence as the title card's subtitle, unless a later scene says it:
    the next screen would then show the same words again."""
    first = sentences(briefing.description)
    if not first:
        return ""
    said = " ".join(_plain(s.narration) for s in later if s is not None)
    return "" if _plain(first[0]) in said else headline_from(first[0], SUBTITLE_WORDS)


def assign_kinds(briefing: Briefing, script: Script, board: Storyboard) -> Storyboard:
    """Each scene's kind and fields: title first, closing last, stat/list/quote where the text has one."""
    n = len(board.scenes)
    scenes = list(script.scenes) + [None] * max(0, n - len(script.scenes))
    out = []
    title = headline_from(briefing.title, TITLE_WORDS)
    for i, (plan, scene) in enumerate(zip(board.scenes, scenes[:n], strict=True)):
        if i == 0:
            subtitle = plan.subtitle if plan.kind == "title" and plan.subtitle else ""
            if not subtitle:
                subtitle = _opening_line(briefing, scenes[1:n])
            if subtitle.lower() == title.lower():
                subtitle = ""
            plan = plan.model_copy(update={"kind": "title", "headline": title, "subtitle": subtitle})
        elif i == n - 1:
            cta = call_to_action(briefing, scene, tuple(p.headline for p in out))
            link = plan.link if plan.kind == "closing" and plan.link else find_link(briefing)
            link = "" if link and shown_link(link).lower() in cta.lower() else link  # the card says it
            plan = plan.model_copy(update={"kind": "closing", "headline": cta, "link": link})
        elif scene is not None:
            previous = scenes[i - 1]
            plan = _middle(plan, scene, previous.narration if previous is not None else "")
        else:
            plan = plan.model_copy(update={"kind": "statement"})
        out.append(_clean(plan))
    return Storyboard(scenes=out)
