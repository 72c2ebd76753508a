import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.media import probe


def test_invalid_briefing_exits_2_with_field_errors(capsys) -> None:
    code = main(["render", "--title", "x", "--description", "too short", "--duration", "500"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Title must be at least 3 characters" in err
    assert "Duration must be between 15 and 180 seconds" in err


def test_unreadable_briefing_file_exits_2(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "b.yaml"
    bad.write_text("- just\n- a list\n")
    assert main(["render", str(bad)]) == 2
    assert "mapping" in capsys.readouterr().err


def test_a_media_path_that_does_not_exist_exits_2_before_any_work(tmp_path: Path, capsys) -> None:
    out = tmp_path / "v.mp4"
    args = ["render", "--title", "Meet Nimbus", "--description", "Nimbus keeps files in sync."]
    assert main([*args, "--media", str(tmp_path / "nope.png"), "-o", str(out)]) == 2
    assert f"error: media file {tmp_path / 'nope.png'} does not exist" in capsys.readouterr().err
    assert not out.exists()


def test_draft_only_from_a_yaml_file(tmp_path: Path, capsys) -> None:
    out = tmp_path / "v.mp4"
    example = Path(__file__).parents[2] / "examples" / "launch.yaml"
    assert main(["render", str(example), "--draft-only", "-o", str(out), "--height", "240"]) == 0
    draft = json.loads((tmp_path / "v.draft.json").read_text())
    assert draft["briefing"]["title"] == "Meet Nimbus" and draft["script"]["scenes"]
    assert (tmp_path / "v.contact-sheet.png").read_bytes()[:4] == b"\x89PNG"
    assert not out.exists()


@pytest.mark.slow
def test_draft_only_into_a_new_folder_then_from_draft_renders_the_edited_file(tmp_path: Path, capsys) -> None:
    example = Path(__file__).parents[2] / "examples" / "safety-reminder.json"
    out = tmp_path / "new" / "folder" / "x.mp4"
    assert main(["render", str(example), "--draft-only", "-o", str(out), "--height", "240"]) == 0
    written = out.parent / "x.draft.json"
    draft = json.loads(written.read_text())
    draft["script"]["scenes"][1]["narration"] = "Ice forms on the ramps before sunrise. Grit every entrance."
    draft["storyboard"]["scenes"][1]["headline"] = "Ice before sunrise"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(draft))
    capsys.readouterr()

    video = tmp_path / "edited.mp4"
    assert main(["render", "--from-draft", str(edited), "-o", str(video), "--height", "240"]) == 0
    assert f"Wrote {video}" in capsys.readouterr().out
    info = probe(video)
    assert (info.width, info.height) == (240, 426) and abs(info.duration - 20) <= 0.1
    # The words said are the edited ones: the captions file beside the video has them.
    assert "Grit every entrance." in video.with_suffix(".srt").read_text()


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda d: d["script"]["scenes"].pop(), "the script has 2 scenes and the storyboard 3"),
        (lambda d: d["script"]["scenes"][1].update(narration=" "), "Scene 2 needs some narration"),
        (
            lambda d: d["storyboard"]["scenes"][0].update(headline="word " * 30),
            "Scene 1's headline has 30 words",
        ),
        (lambda d: d["briefing"].update(duration=500), "Duration must be between 15 and 180 seconds"),
        (lambda d: d["script"]["scenes"][0].update(narration=12), "script.scenes.0.narration"),
    ],
)
def test_from_draft_refuses_a_broken_file_with_exit_2(tmp_path: Path, capsys, change, error: str) -> None:
    example = Path(__file__).parents[2] / "examples" / "safety-reminder.json"
    assert (
        main(["render", str(example), "--draft-only", "-o", str(tmp_path / "x.mp4"), "--height", "240"]) == 0
    )
    draft = json.loads((tmp_path / "x.draft.json").read_text())
    change(draft)
    (tmp_path / "bad.json").write_text(json.dumps(draft))
    capsys.readouterr()
    assert main(["render", "--from-draft", str(tmp_path / "bad.json"), "-o", str(tmp_path / "o.mp4")]) == 2
    assert error in capsys.readouterr().err
    assert not (tmp_path / "o.mp4").exists()


def test_oma_render_writes_a_video(tmp_path: Path) -> None:
    out = tmp_path / "v.mp4"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "render",
            "--title",
            "Hello team",
            "--description",
            "A short video made from flags on the command line.",
            "--duration",
            "15",
            "--aspect",
            "1:1",
            "--height",
            "240",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "OMA_WORK_DIR": str(tmp_path / "w")},
    )
    assert proc.returncode == 0, proc.stderr
    info = probe(out)
    assert (info.width, info.height) == (240, 240) and abs(info.duration - 15) <= 0.1
    assert "Encoding video" in proc.stderr  # the progress bar names the phases
