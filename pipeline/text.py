"""Text helpers shared by the writers, the narrator and the editor."""

from __future__ import annotations

import re
import unicodedata

# The space after a sentence's punctuation, or after a closing quote or bracket that follows it.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’»)\]]))\s+")
_BULLET = re.compile(r"^\s*(?:[-*•·]+|\d+[.)])\s+")
_PARAGRAPH = re.compile(r"\n\s*\n")
_URL_SCHEME = re.compile(r"\b(?:https?://)(?:www\.)?", re.IGNORECASE)
MAX_SENTENCE_WORDS = 24
HEADLINE_MAX_WORDS = 8


def wordset(words: str) -> frozenset[str]:
    """A set of words written as one string (easier to read and edit than a list of quoted words)."""
    return frozenset(words.split())


# Words a headline (or a cut sentence) must not end on: it would read as cut off.
FUNCTION_WORDS = wordset(
    """a an the in on at to of for with from by about into onto over under after before between
    through during without within across against among around toward towards upon via per than as
    like and or but nor so yet because while although though if unless whether that which who whom
    whose where when my your our their his her its this these those each every some any no all both
    either neither such is are was were be been being am has have had do does did will would can
    could should may might must shall not very more most less just also too it's we're you're
    they're let's there's here's that's i'm we've you've"""
)
# Where a long sentence breaks best: before a conjunction (a new clause), then a preposition.
_CLAUSE_WORDS = wordset("and but or so because while although though which who whom where when")
_PREPOSITIONS = wordset(
    """in on at to of for with from by about into onto over under after before between through
    during without within across against among around toward towards upon via per than up down off
    out"""
)
# "e.g. Slack", "Dr. Lee": a full stop that never ends a sentence. Others ("3 p.m.", "U.S.",
# "etc.") end one unless a lowercase word or a number follows.
_NEVER_FINAL = wordset("e.g i.e dr mr mrs ms prof vs approx no fig st mt cf ext tel sra srta dra mme mlle")
_ABBREVIATIONS = wordset(
    """etc inc ltd co jr sr dept est jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed
    thu fri sat sun a.m p.m"""
)
# Words that open a subordinate clause: "If you are sick" is not a headline on its own.
_SUBORDINATORS = wordset("if when whenever because while although though unless since until as once whether")
# Words that often start a phrase of time or manner: a headline may end before them.
ADVERBS = wordset(
    "next last today tomorrow tonight now soon again instead already still even only then here there"
)
NUMBER_WORDS = wordset("one two three four five six seven eight nine ten eleven twelve twenty thirty hundred")
_PARTICLES = wordset("up down off out")
_QUOTES = '"“”‘’«»„'


def speakable(text: str) -> str:
    """Text a voice can say and a font can draw: no emoji, symbols or stray controls."""
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("So", "Cs", "Co", "Cn") or ch in "\u200d\ufe0f":
            continue
        kept.append(" " if cat.startswith("C") or cat == "Zl" else ch)
    return re.sub(r"\s+", " ", "".join(kept)).strip()


def for_speech(text: str) -> str:
    """A sentence as it is said: web addresses without "https://www." (which voices spell out)."""
    return _URL_SCHEME.sub("", text)


# A number with thousands grouped in threes ("4,100", "1,200.5"); any other comma in a number
# is a decimal comma ("1,9").
THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def shown_link(link: str) -> str:
    """A link as a card shows it: without "https://" and "www." (people type it without)."""
    return re.sub(r"^(?:https?://)?(?:www\.)?", "", link, flags=re.IGNORECASE)


def _bare(word: str) -> str:
    return word.lower().strip("\"'“”‘’()[],;:!?…")


# Words that begin a sentence and never a surname: after "Dock B." they end that sentence.
_SENTENCE_STARTS = FUNCTION_WORDS | wordset("i we you they he she it let's")


# Months after a day's number with a full stop, as German writes dates ("am 1. Januar").
MONTHS = wordset(
    """januar jänner februar märz april mai juni juli august september oktober november dezember
    janvier février mars avril juin juillet août septembre octobre novembre décembre"""
)


def abbreviated(word: str) -> bool:
    """Whether `word`'s full stop is an abbreviation's ("ext.", "Sra.", "z.", "e.g.")."""
    bare = _bare(word).rstrip(".")
    initials = re.fullmatch(r"[a-z]|(?:[a-z]\.)+[a-z]", bare)
    return word.endswith(".") and (bare in _NEVER_FINAL or bool(initials))


def _joins_next(piece: str, following: str) -> bool:
    """Whether the full stop ending `piece` is an abbreviation's, inside the sentence."""
    words = piece.split()
    last = words[-1] if words else ""
    word = _bare(last).rstrip(".")
    if word in _NEVER_FINAL:
        return True  # "Dr.", "e.g."
    if (
        re.fullmatch(r"\d{1,2}\.", last)
        and _bare(following.split()[0] if following.split() else "") in MONTHS
    ):
        return True  # "1. Januar"
    if len(words) >= 2 and all(re.fullmatch(r"[a-zA-Z]\.", w) for w in words[-2:]):
        return True  # "z. B.", "d. h.", "u. a."
    if re.fullmatch(r"[a-z]", word):  # an initial ("John F. Kennedy"), or a name's end ("Dock B.")
        return _bare(following.split()[0] if following.split() else "") not in _SENTENCE_STARTS
    dotted = word in _ABBREVIATIONS or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", word))
    return (dotted and following[:1].isdigit()) or following[:1].islower()


def _open_quote(text: str) -> bool:
    """Whether `text` opens a quotation it does not close."""
    return text.count('"') % 2 == 1 or text.count("“") > text.count("”") or text.count("«") > text.count("»")


def _raw_sentences(line: str) -> list[str]:
    out: list[str] = []
    for piece in _SENTENCE_END.split(line):
        piece = piece.strip()
        if not piece:
            continue
        # A quotation of several sentences stays one: a quote card shows it whole.
        if out and (_open_quote(out[-1]) or _joins_next(out[-1], piece)):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def _split_long(words: list[str]) -> list[list[str]]:
    """Cut a sentence of more than MAX_SENTENCE_WORDS words where a clause ends, nearest the middle."""
    if len(words) <= MAX_SENTENCE_WORDS:
        return [words]
    middle = len(words) / 2
    best, best_score = MAX_SENTENCE_WORDS, -1.0
    quoted = [_open_quote(" ".join(words[:k])) for k in range(len(words) + 1)]
    for k in range(4, len(words) - 3):
        word, following = words[k - 1], _bare(words[k])
        if quoted[k]:
            continue  # never inside a quotation
        if words[k][0] in '"“«':
            strength = 4.0  # just before one
        elif word[-1] in ",;:–—":
            strength = 3.0
        elif following in _CLAUSE_WORDS:
            strength = 2.0
        elif following in _PREPOSITIONS and _bare(word) not in FUNCTION_WORDS:
            strength = 1.0
        else:
            continue
        score = strength - abs(k - middle) / len(words) * 4
        if k <= MAX_SENTENCE_WORDS and score > best_score:
            best, best_score = k, score
    return _split_long(words[:best]) + _split_long(words[best:])


_CLOSERS = "\"'”’»)]"


def ends_sentence(text: str) -> bool:
    """Whether `text` ends in sentence punctuation, a closing quote or bracket after it allowed."""
    return text.rstrip(_CLOSERS)[-1:] in (".", "!", "?", "…")


def sentences(text: str) -> list[str]:
    """Split prose into sentences of at most MAX_SENTENCE_WORDS words, each ending in punctuation.

    A longer sentence is cut where a clause ends (a comma, before "and" or "which"), not mid-phrase.
    """
    out: list[str] = []
    for raw_line in text.splitlines():
        for raw in _raw_sentences(_BULLET.sub("", raw_line)):
            # An emoji taken out must not leave a space before the punctuation after it.
            line = re.sub(r"\s+([.!?,;:…])", r"\1", speakable(raw))
            if not re.search(r"\w", line):
                continue
            for chunk in _split_long(line.split()):
                sentence = " ".join(chunk).rstrip(",;:–— ")
                if not sentence:
                    continue
                if not ends_sentence(sentence):
                    sentence += "."
                out.append(sentence[0].upper() + sentence[1:])
    return out


def paragraphs(text: str) -> list[list[str]]:
    """The description's paragraphs (blank-line separated; else one a line), each as sentences."""
    blocks = [b for b in _PARAGRAPH.split(text) if b.strip()]
    if len(blocks) == 1:
        blocks = [line for line in text.splitlines() if line.strip()]
    return [s for s in (sentences(b) for b in blocks) if s]


def trim_words(text: str, limit: int) -> str:
    """At most `limit` words, ending with a full stop if cut."""
    words = text.split()
    if len(words) <= limit:
        return text
    return " ".join(words[:limit]).rstrip(",;:.") + "."


def is_dangling(headline: str) -> bool:
    """True when a headline ends on a word that leaves it unfinished ("in", "the", "and", ",")."""
    words = headline.split()
    last = _bare(words[-1]) if words else ""
    return not words or headline.rstrip()[-1] in ",;:–—-" or last in FUNCTION_WORDS | OTHER_DANGLING


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _clean_end(text: str) -> str:
    text = text.strip().rstrip(",;:…–— ").strip()
    last = text.split()[-1] if text.split() else ""
    # "3 p.m." keeps its dot; a sentence's full stop goes.
    if last.endswith(".") and not re.fullmatch(r"(?:[a-zA-Z]\.)+", last):
        text = text.rstrip(".").strip()
    return text


def _ends_well(word: str) -> bool:
    bare = _bare(word)
    # Not a function word, a bare number ("open two") or a particle ("work from home up").
    # Nor a word opening a clause it does not finish ("failing silently since").
    unfinished = FUNCTION_WORDS | OTHER_DANGLING | NUMBER_WORDS | _PARTICLES | (_SUBORDINATORS - {"once"})
    return bare not in unfinished and not bare.isdigit()


def _cut(words: list[str], limit: int) -> list[str]:
    """The longest start of `words` (at most `limit`) that ends where a phrase ends."""
    for breaks in (_CLAUSE_WORDS, _PREPOSITIONS, ADVERBS, FUNCTION_WORDS | OTHER_DANGLING):
        for k in range(min(limit, len(words) - 1), 2, -1):
            if _bare(words[k]) in breaks and _ends_well(words[k - 1]):
                return words[:k]
    k = min(limit, len(words))
    while k > 1 and not _ends_well(words[k - 1]):
        k -= 1
    return words[:k]


def _unquoted(text: str) -> str:
    """Quotation marks at word edges dropped (a headline cut from a quote would leave one open)."""
    return " ".join(w.strip(_QUOTES) for w in text.split() if w.strip(_QUOTES))


def headline_from(text: str, limit: int = HEADLINE_MAX_WORDS) -> str:
    """A headline taken from a sentence: the sentence itself, its first clause, a clause with a
    number, or its start cut where a phrase ends; never ending on "in", "the", "and" or a comma.
    One opened by Spanish "¡" or "¿" is closed by "!" or "?"."""
    line = _headline(text, limit)
    closing = {"¡": "!", "¿": "?"}.get(line[:1], "")
    return line + closing if closing and not line.endswith(closing) else line


def _headline(text: str, limit: int) -> str:
    text = _clean_end(_unquoted(speakable(for_speech(text))))
    words = text.split()
    if not words:
        return "…"
    if len(words) <= limit:
        return _capital(text)  # a whole sentence is complete whatever its last word
    parts = re.split(rf"[,;:()][{_QUOTES}]?\s+|\s+[—–-]\s+", text)
    clauses = [
        re.sub(r"^(?:and|but|or|so|then)\s+", "", c, flags=re.IGNORECASE) for c in map(_clean_end, parts)
    ]
    clauses = [c for c in clauses if c]
    # A clause that stands alone: two words or more, not "If you are sick", not cut mid-phrase.
    whole = [
        c
        for c in clauses
        if 2 <= len(c.split()) <= limit and not is_dangling(c) and _bare(c.split()[0]) not in _SUBORDINATORS
    ]
    first = clauses[0] if clauses else text
    if whole and whole[0] == first and len(first.split()) >= 3:
        return _capital(first)
    numbered = [c for c in whole if re.search(r"\d", c)]
    if numbered:
        return _capital(numbered[0])
    subordinate = _bare(first.split()[0]) in _SUBORDINATORS
    if whole and subordinate:
        return _capital(whole[0])
    if subordinate and len(clauses) > 1:  # "If you already clicked, disconnect ...": what to do
        return _capital(_clean_end(" ".join(_cut(clauses[1].split(), limit))))
    source = first.split() if len(first.split()) >= 3 else words
    return _capital(_clean_end(" ".join(_cut(source, limit))))


# Seconds the offline voice (en_US-joe-medium, speed 1) takes, measured on sentences like the
# briefings': about 0.06 s a letter and space; digits, symbols and dots inside words are read out
# ("twelve percent", "dot com") and take longer.
_SECONDS_PER_LETTER = 0.06
_SECONDS_PER_DIGIT = 0.28
_SECONDS_PER_SYMBOL = 0.3


def spoken_seconds(text: str) -> float:
    """About how long the offline voice takes to say `text` at speed 1 (no pauses)."""
    total = 0.0
    for word in for_speech(text).split():
        core = word.strip("\"'“”‘’()[],;:!?….")
        letters = sum(ch.isalpha() for ch in core)
        digits = sum(ch.isdigit() for ch in core)
        symbols = sum(not ch.isalnum() and ch not in "'’-" for ch in core)
        total += _SECONDS_PER_LETTER * (letters + 1) + _SECONDS_PER_DIGIT * digits
        total += _SECONDS_PER_SYMBOL * symbols
    return total


def reads_right_to_left(text: str) -> bool:
    """Whether `text`'s first strongly directional letter is Hebrew, Arabic or the like: the
    direction libraqm gives the line when Pillow draws it."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


# Small words of the other languages teams write in with Latin letters (none that English shares).
OTHER_SMALL_WORDS = wordset(
    """der die das und ist sind nicht mit für auf auch ein eine einen dem den des von zu im wir ihr
    sie es bei nach über unser unsere euch la el los las del y en que es un una por para con su sus
    está están ya cada todos nuestro nuestra le les des du et est une pour avec dans sur nous vous
    pas ce cette sont het een van ook zijn niet wij o os da do dos não em com uma il lo gli della
    di che è sono per"""
)
# The articles, prepositions and conjunctions among them: a headline cut after one is unfinished
# ("Ab dem 1. Januar gilt bei uns ein"); words that may end a phrase ("what to do") are not.
OTHER_DANGLING = (
    OTHER_SMALL_WORDS
    | wordset(
        "an bis zu aus vor um durch seit ab pro ohne gegen zwischen de desde hasta sin sobre entre hacia "
        "al à par sans sous vers chez au aux"
    )
) - wordset("do die es sie lo le ya il ist sind est sont está están pas")


def reads_english(text: str) -> bool:
    """Latin letters, and at least as many of English's small words as of German's, Spanish's,
    French's, Dutch's, Portuguese's or Italian's: the fixed lines are English."""
    letters = [ch for ch in text if ch.isalpha()]
    latin = sum(ch.isascii() or "LATIN" in unicodedata.name(ch, "") for ch in letters) >= 0.8 * len(letters)
    words = re.findall(r"[^\W\d_]+", text.lower())
    english = sum(w in FUNCTION_WORDS for w in words)
    return latin and english >= sum(w in OTHER_SMALL_WORDS for w in words)
