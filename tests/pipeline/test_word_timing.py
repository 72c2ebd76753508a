"""Word timings for the captions: spread by what the voice says, not by how words are spelled."""

from pipeline.agents.narrator import PAUSE_PHONEMES, PiperVoiceEngine, _word_timings, voice_scene
from pipeline.cache import WorkDir


def test_piper_weighs_words_by_their_phonemes_and_pauses() -> None:
    engine = PiperVoiceEngine()
    sentence = "Revenue grew 12% this quarter, the best result in two years."
    weights = dict(zip(sentence.split(), engine.word_weights(sentence), strict=True))
    # "12%" is read "twelve percent": longer than "Revenue", though three characters.
    assert weights["12%"] > weights["Revenue"] > weights["grew"]
    # A comma is a breath; "quarter," weighs more than "quarter" would.
    assert weights["quarter,"] - engine.word_weights("quarter now")[0] >= PAUSE_PHONEMES - 1e-9


def test_timings_follow_the_weights_and_fill_the_sentence() -> None:
    words = _word_timings("one twelve percent", 1.0, 2.0, [2, 4, 6])
    assert [w.word for w in words] == ["one", "twelve", "percent"]
    assert words[0].start == 1.0 and abs(words[-1].end - 3.0) < 0.01
    lengths = [w.end - w.start for w in words]
    assert lengths == sorted(lengths)


def test_the_narrators_captions_use_the_voices_weights(tmp_path) -> None:
    voice = voice_scene(PiperVoiceEngine(), "It costs $4,200,000 a year.", 1.0, WorkDir(tmp_path))
    spans = {w.word: w.end - w.start for w in voice.words}
    # By letters "$4,200,000" would get about as long as "costs" and "year." together.
    assert spans["$4,200,000"] > 2 * (spans["costs"] + spans["a"])
