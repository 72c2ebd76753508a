"""Brand kits: loading and field errors, and the text the voice receives."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from pipeline.agents.narrator import PiperVoiceEngine, narrate
from pipeline.agents.pronouncer import pronounced
from pipeline.brand import FONTS_DIR, BrandError, inspect_font, load_brand, parse_brand
from pipeline.cache import WorkDir
from pipeline.cli import main
from pipeline.models import ScenePlan, Script, ScriptScene, Storyboard
from pipeline.progress import CancelToken
from tests.brand_support import make_otf

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "brand" / "brand.yaml"


def test_the_example_kit_loads_with_paths_relative_to_its_file() -> None:
    brand = load_brand(EXAMPLE)
    assert brand.logo == EXAMPLE.parent / "logo.png" and brand.usable_logo() == brand.logo
    assert brand.colors.primary == "#2f6bff" and brand.font_file.name == "Manrope-Bold.ttf"
    assert brand.pronounce["SQL"] == "sequel"


def test_only_a_name_and_one_colour_are_required() -> None:
    brand = parse_brand({"name": "Acme", "colors": {"accent": "f80"}})
    primary, _s, accent, background = brand.colors.filled()
    assert accent == primary == (255, 136, 0) and background != primary
    assert brand.captions.position == "bottom" and brand.logo is None


def _png(size: tuple[int, int], mode: str = "RGBA") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, (10, 20, 30, 0) if mode == "RGBA" else (10, 20, 30)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"colors": {"primary": "blue-ish"}}, "colors.primary", "not a colour"),
        ({"colors": {}}, "colors", "at least one colour"),
        ({"captions": {"position": "left"}}, "captions.position", "bottom"),
        ({"captions": {"highlight": "#12"}}, "captions.highlight", "not a colour"),
        ({"font": "nope.ttf"}, "font", "not a TrueType or OpenType font"),
        ({"font": "broken.ttf"}, "font", "did not load"),
        ({"font": "gone.otf"}, "font", "cannot be read"),
        ({"font": "comic-sans"}, "font", "is not a bundled font (dejavu-sans, lato"),
        ({"logo": "missing.png"}, "logo", "cannot be read"),
        ({"logo": "notes.txt"}, "logo", "PNG, JPEG or WebP"),
        ({"logo": "huge.png"}, "logo", "4096"),
        ({"logo": "heavy.png"}, "logo", "5 MB"),
        ({"colour": "#fff"}, "colour", "not a brand kit field"),
    ],
)
def test_bad_kits_name_the_field(tmp_path: Path, change: dict, field: str, words: str) -> None:
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "huge.png").write_bytes(_png((4100, 10)))
    (tmp_path / "heavy.png").write_bytes(_png((8, 8)) + b"\0" * (5 * 1024 * 1024))
    (tmp_path / "nope.ttf").write_bytes(b"not a font")
    (tmp_path / "broken.ttf").write_bytes(b"\x00\x01\x00\x00" + b"\x07" * 400)  # a TrueType start only
    with pytest.raises(BrandError) as err:
        parse_brand({"name": "Acme", "colors": {"primary": "#123456"}, **change}, tmp_path)
    assert field in err.value.errors and words in err.value.errors[field], err.value.errors


def test_fonts_are_taken_by_content_truetype_and_opentype_alike(tmp_path: Path) -> None:
    otf = make_otf(tmp_path / "brand.ttf").read_bytes()  # the name does not matter, the bytes do
    assert (inspect_font(otf).format, inspect_font(otf).family) == ("otf", "Boxy Test")
    ttf = (FONTS_DIR / "Lato-Bold.ttf").read_bytes()
    assert (inspect_font(ttf).format, inspect_font(ttf).family) == ("ttf", "Lato")
    with pytest.raises(ValueError, match="at most 1 MB"):
        inspect_font(otf + b"\0" * 2**20, limit=2**20)
    with pytest.raises(ValueError, match="not a TrueType or OpenType font"):
        inspect_font(b"ttcf" + ttf[4:])  # a collection
    # The family names the font in the captions' ASS style line, where a comma starts a field.
    for bad in ("Evil,90,&H0000FF&", "Brace{\\b1}"):
        with pytest.raises(ValueError, match="family name"):
            inspect_font(make_otf(tmp_path / "bad.otf", family=bad).read_bytes())


def test_cli_exits_2_naming_the_bad_field(tmp_path: Path, capsys) -> None:
    kit = tmp_path / "kit.yaml"
    kit.write_text("name: Acme\ncolors: {primary: '#zzzzzz'}\n")
    assert main(["render", "--brand", str(kit), "--title", "Meet Acme", "--description", "Acme is new."]) == 2
    assert "brand kit colors.primary" in capsys.readouterr().err


class Heard(PiperVoiceEngine):
    """The real offline voice, remembering each sentence it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[str] = []

    def say(self, sentence: str, speed: float):
        self.heard.append(sentence)
        return super().say(sentence, speed)


def test_the_voice_says_the_pronunciation_and_the_captions_keep_the_word(tmp_path: Path) -> None:
    script = Script(
        scenes=[ScriptScene(narration="Nimbus speaks SQL, and nimbus's team loves it.", key_point="x")]
    )
    board = Storyboard(scenes=[ScenePlan(headline="Nimbus", visual_prompt="cloud", kind="title")])
    voice = Heard()
    engine = pronounced(voice, {"Nimbus": "NIM-bus", "SQL": "sequel"})
    voices, _ = narrate(script, board, engine, WorkDir(tmp_path), 15, 30, CancelToken())
    assert voice.heard == ["NIM-bus speaks sequel, and NIM-bus's team loves it."]
    written = [w.word for w in voices[0].words]
    assert written[:3] == ["Nimbus", "speaks", "SQL,"] and "sequel" not in " ".join(written)
    # Without a list the engine is itself, and its cache is what it was.
    assert pronounced(voice, {}) is voice
