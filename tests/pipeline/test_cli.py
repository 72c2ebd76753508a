import json
import subprocess
import sys
from pathlib import Path

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


def test_draft_only_from_a_yaml_file(tmp_path: Path, capsys) -> None:
    out = tmp_path / "v.mp4"
    example = Path(__file__).parents[2] / "examples" / "launch.yaml"
    assert main(["render", str(example), "--draft-only", "-o", str(out), "--height", "240"]) == 0
    draft = json.loads((tmp_path / "v.draft.json").read_text())
    assert draft["briefing"]["title"] == "Meet Nimbus" and draft["script"]["scenes"]
    assert (tmp_path / "v.contact-sheet.png").read_bytes()[:4] == b"\x89PNG"
    assert not out.exists()


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
