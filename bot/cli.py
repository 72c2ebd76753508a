"""The `oma` command: render (the pipeline, configured from the environment), web, worker, dev."""

from __future__ import annotations

import argparse
import sys

from bot.settings import SettingsError, load_settings
from pipeline import cli as pipeline_cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="oma", description="OMA: briefings in Slack become videos.")
    sub = parser.add_subparsers(dest="command", required=True)
    pipeline_cli.add_arguments(sub.add_parser("render", help="render a briefing to an MP4"))
    sub.add_parser("web", help="the Slack-facing web app (HTTP or Socket Mode)")
    sub.add_parser("worker", help="the arq worker that renders videos")
    sub.add_parser("dev", help="web + worker + an embedded Redis, in one process")
    from bot.api import cli as api_cli

    api_cli.add_arguments(sub.add_parser("api-key", help="create, list or revoke HTTP API keys"))
    sub.add_parser("doctor", help="check each configured backend, Redis, Slack and ffmpeg with a real call")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "render":
            return pipeline_cli.run(args, settings.pipeline_config())
        if args.command == "api-key":
            return api_cli.run(args, settings)
        if args.command == "doctor":
            from bot import doctor

            return doctor.main(settings)
        from bot import runner

        return runner.run(args.command, settings)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
