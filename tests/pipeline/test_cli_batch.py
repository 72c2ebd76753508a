"""`oma render --batch`: a CSV or JSON list of briefings, parsed as POST /api/v1/batches parses
them, each rendered into the output folder; bad rows are reported and skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.media import probe


@pytest.mark.slow
def test_a_csv_batch_renders_each_good_row_and_reports_the_bad_one(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the offline defaults work under ./.oma
    sheet = tmp_path / "briefings.csv"
    sheet.write_text(
        "title,description,duration,aspect\n"
        'Release 1.4,"Sync is faster, and folders open offline.",15,1:1\n'
        "x,A fine description here.,999,\n"
        "Café news,Our café opens at eight from Monday on.,,9:16\n",
        encoding="utf-8",
    )
    code = main(
        ["render", "--batch", str(sheet), "-o", "out", "--height", "240", "--text-backend", "offline"]
    )
    lines = capsys.readouterr().out.splitlines()
    assert code == 2  # a row was invalid
    assert lines[0].startswith("row 2: out/1-release-1-4.mp4 (15 s, 240x240")
    assert lines[1] == (
        "row 3: invalid: title: Title must be at least 3 characters (it has 1); "
        "duration: Duration must be between 15 and 180 seconds"
    )
    assert lines[2].startswith("row 4: out/3-cafe-news.mp4 (30 s, 240x426")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "1-release-1-4.mp4",
        "1-release-1-4.srt",
        "1-release-1-4.vtt",
        "3-cafe-news.mp4",
        "3-cafe-news.srt",
        "3-cafe-news.vtt",
    ]
    facts = probe(tmp_path / "out" / "1-release-1-4.mp4")
    assert (facts.width, facts.height, facts.audio_codec) == (
        240,
        240,
        "aac",
    ) and 14.5 <= facts.duration <= 15.5
    assert (tmp_path / "out" / "3-cafe-news.vtt").read_text().startswith("WEBVTT")


def test_a_json_batch_is_read_by_the_api_s_rules_and_a_broken_file_exits_2(tmp_path: Path, capsys):
    listed = tmp_path / "b.json"
    listed.write_text(
        json.dumps({"videos": [{"title": "Fine", "description": "Too short?", "tone": "smug"}]})
    )
    assert main(["render", "--batch", str(listed), "-o", str(tmp_path / "out")]) == 2
    out = capsys.readouterr().out
    assert out.startswith("item 0: invalid: tone: ") and "not render" not in out
    assert not list((tmp_path / "out").iterdir())

    listed.write_text('{"title": "not a list"}')
    assert main(["render", "--batch", str(listed)]) == 2
    assert "must be a non-empty list of briefings" in capsys.readouterr().err
    assert main(["render", "--batch", str(listed), "-o", "video.mp4"]) == 2
    assert "-o names a folder" in capsys.readouterr().err


def test_a_csv_row_with_more_cells_than_columns_is_refused_not_guessed() -> None:
    from pipeline import Briefing
    from pipeline.batch import check_item, read_items

    raw = (
        b"title,description\n"
        b"Release 1.4,Sync is faster and folders open offline.\n"
        b"Release 1.5,Sync is faster, and folders open offline.\n"  # the comma needed quotes
    )
    good, bad = (check_item(item, Briefing) for item in read_items(raw, csv_format=True))
    assert isinstance(good, Briefing)
    assert bad == {"row 3.body": "has 3 cells for 2 columns: put a cell with a comma in double quotes"}
