"""Random accepted briefings, rendered offline: each one is a valid, watchable video."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, reject, settings
from hypothesis import strategies as st

from pipeline import BriefingError, PipelineConfig, make_draft, parse_briefing, render
from pipeline.agents.narrator import TIMING_FILE
from pipeline.briefing import Aspect, Style, Tone
from tests.media import audio_rms, frame, probe

# Any Unicode the briefing accepts: emoji, right-to-left scripts, combining marks, CJK, and
# (in descriptions) line breaks. Control characters are field errors, tested elsewhere.
TEXT = st.characters(exclude_categories=("Cs", "Cc"))
LINES = st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n\t")


# derandomize: the same examples on every run, so CI on a clean clone sees what was run here.
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    title=st.text(TEXT, min_size=3, max_size=200),
    description=st.text(LINES, min_size=10, max_size=1500),
    duration=st.sampled_from(["15", "23", " 31s "]),
    style=st.sampled_from([s.value for s in Style]),
    tone=st.sampled_from([t.value for t in Tone]),
    aspect=st.sampled_from([a.value for a in Aspect]),
)
@example(
    title="../../etc/passwd 🚀 שלום",
    description="مرحبا بالعالم. " * 300,
    duration="30",
    style="cinematic",
    tone="urgent",
    aspect="9:16",
)
def test_accepted_random_briefing_renders_a_valid_video(
    title: str, description: str, duration: str, style: str, tone: str, aspect: str
) -> None:
    fields = {"title": title, "description": description, "duration": duration}
    try:
        briefing = parse_briefing({**fields, "style": style, "tone": tone, "aspect": aspect})
    except BriefingError:
        reject()  # field errors are the other test's subject
    with tempfile.TemporaryDirectory() as tmp:
        cfg = PipelineConfig(work_dir=Path(tmp) / "work", height=240)
        out = Path(tmp) / "out.mp4"
        draft = make_draft(briefing, cfg)
        result = render(draft, cfg, out=out)
        # The middle of every scene, as rendered (not a crossfade, which may fade through black).
        durations = json.loads((draft.work_dir / TIMING_FILE).read_text())["durations"]
        middles = [sum(durations[:i]) + d / 2 for i, d in enumerate(durations)]

        info = probe(out)
        assert abs(info.duration - briefing.duration) <= 0.1
        assert (info.width, info.height) == briefing.aspect.size(240) == (result.width, result.height)
        assert (info.video_codec, info.pix_fmt, info.audio_codec) == ("h264", "yuv420p", "aac")
        end = briefing.duration
        assert audio_rms(out, 1.0, end - 1.0) > 0.02, "no narration"
        for t in (0.5, *middles, end - 0.5):
            assert frame(out, t).std() > 8, f"blank frame at {t:.1f}s"
