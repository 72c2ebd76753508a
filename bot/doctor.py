"""`oma doctor`: one tiny real call per configured backend, Redis, Slack and ffmpeg, as a table.

Also what each agent will use, as start-up log lines and for /health (never a key).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openai
from loguru import logger

from bot.preflight import hide_password, redis_answers, slack_workspace
from bot.settings import Settings, SettingsError
from bot.storage import Bucket, StorageError
from pipeline import PipelineConfig, PipelineError
from pipeline.config import Capability, backend_summary
from pipeline.config import describe_backends as describe_config
from pipeline.llm import make_client, translate_error

CAPABILITIES: tuple[Capability, ...] = ("text", "voice", "art")


def describe_backends(settings: Settings) -> list[str]:
    """One line per capability: which agents, which backend and model."""
    return describe_config(settings.pipeline_config())


def log_backends(settings: Settings) -> None:
    for line in describe_backends(settings):
        logger.info(line)


def backends_summary(settings: Settings) -> dict[str, dict[str, str | None]]:
    """For /health: backend, model and URL (credentials removed) per capability."""
    return backend_summary(settings.pipeline_config())


@dataclass(frozen=True)
class Check:
    name: str
    uses: str
    ok: bool | None  # None: not configured, so not checked
    result: str


def _timed(name: str, uses: str, work: Callable[[], str]) -> Check:
    started = time.monotonic()
    try:
        detail = work()
    except PipelineError as exc:
        return Check(name, uses, False, exc.user_message)
    except openai.OpenAIError as exc:
        return Check(name, uses, False, translate_error(_AGENT[name], exc).user_message)
    except Exception as exc:  # a check must end in a row of the table, never a traceback
        return Check(name, uses, False, f"{type(exc).__name__}: {exc}"[:200])
    return Check(name, uses, True, f"{detail} in {time.monotonic() - started:.1f} s")


_AGENT = {"text": "scriptwriter", "voice": "narrator", "art": "art_director"}


def check_text(config: PipelineConfig) -> str:
    client = make_client(config, "text").with_options(max_retries=0)
    resp = client.chat.completions.create(
        model=config.text_model,
        messages=[{"role": "user", "content": "Reply with the word OK."}],
        max_tokens=5,
    )
    if not resp.choices:
        raise PipelineError("scriptwriter", "The model server answered with no choices.", retryable=True)
    return f"answered {(resp.choices[0].message.content or '').strip()[:20]!r}"


def check_voice(config: PipelineConfig) -> str:
    from pipeline.agents.narrator import OpenAIVoiceEngine, PiperVoiceEngine, VoiceEngine

    engine: VoiceEngine
    if config.choice("voice").remote:
        engine = OpenAIVoiceEngine(make_client(config, "voice").with_options(max_retries=0), config)
    else:
        engine = PiperVoiceEngine(config.piper_model)
    samples, rate = engine.say("OK.", 1.0)
    if not len(samples):
        raise PipelineError("narrator", "The voice returned no audio.", retryable=True)
    return f"spoke {len(samples) / rate:.1f} s of audio"


def check_art(config: PipelineConfig) -> str:
    from pipeline.agents.art_director import ArtEngine, OpenAIImages, ProceduralArt
    from pipeline.briefing import Style
    from pipeline.models import ScenePlan

    if config.choice("art").backend == "stock":
        from pipeline.run import stock_library
        from pipeline.stock import StockError

        try:
            found = stock_library(config).ping()
        except StockError as exc:
            raise PipelineError("art_director", exc.why, retryable=True) from exc
        return f"searched Pexels: {found} videos for 'nature'"
    engine: ArtEngine
    if config.choice("art").remote:
        engine = OpenAIImages(make_client(config, "art").with_options(max_retries=0), config)
    else:
        engine = ProceduralArt()
    plan = ScenePlan(headline="", visual_prompt="a plain blue square")
    img = engine.draw(plan, Style.MINIMAL, (256, 256))
    return f"drew a {img.width}x{img.height} image"


def check_ffmpeg() -> Check:
    import imageio_ffmpeg

    try:
        exe = imageio_ffmpeg.get_ffmpeg_exe()
        out = subprocess.run(
            [exe, "-hide_banner", "-filters"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        return Check("ffmpeg", "imageio-ffmpeg", False, f"ffmpeg does not run ({type(exc).__name__})")
    name = Path(exe).name
    if " ass " not in out:
        return Check("ffmpeg", name, False, "this ffmpeg has no libass, so captions cannot be burned in")
    return Check("ffmpeg", name, True, "runs, with libass for the captions")


async def check_services(settings: Settings) -> list[Check]:
    checks = []
    if settings.redis_url:
        uses = hide_password(settings.redis_url)
        try:
            await redis_answers(settings.redis_url)
            checks.append(Check("redis", uses, True, "answered PING"))
        except SettingsError as exc:
            checks.append(Check("redis", uses, False, str(exc)))
    else:
        checks.append(Check("redis", "REDIS_URL not set", None, "not checked (oma dev starts its own)"))
    if settings.slack_bot_token:
        try:
            team = await slack_workspace(settings)
            checks.append(Check("slack", settings.slack_api_url, True, f"auth.test: workspace {team}"))
        except SettingsError as exc:
            checks.append(Check("slack", settings.slack_api_url, False, str(exc)))
    else:
        checks.append(Check("slack", "SLACK_BOT_TOKEN not set", None, "not checked"))
    if settings.s3_bucket:
        where = f"bucket {settings.s3_bucket} at {settings.s3_endpoint or 'AWS S3'}"
        try:
            await Bucket(settings).probe()
            checks.append(Check("storage", where, True, "wrote, read and deleted a test object"))
        except StorageError as exc:
            checks.append(Check("storage", where, False, str(exc)))
    else:
        checks.append(Check("storage", f"output folder {settings.output_dir}", None, "local, not checked"))
    return checks


def run_checks(settings: Settings) -> list[Check]:
    config = settings.pipeline_config()
    checks = []
    for capability, work in zip(CAPABILITIES, (check_text, check_voice, check_art), strict=True):
        choice = config.choice(capability)
        if capability == "text" and not choice.remote:
            checks.append(Check("text", f"{choice.model} (offline)", True, "built in, nothing to call"))
            continue
        where = f"at {choice.endpoint.where}" if choice.endpoint else "(offline)"
        where = "" if choice.backend == "stock" else where  # its model names Pexels' URL
        uses = f"{choice.model} {where}"
        checks.append(_timed(capability, uses, lambda work=work: work(config)))
    checks += asyncio.run(check_services(settings))
    checks.append(check_ffmpeg())
    return checks


def table(checks: list[Check]) -> str:
    rows = [("check", "uses", "result")]
    word = {True: "ok", False: "FAILED", None: "skipped"}
    rows += [(c.name, c.uses, f"{word[c.ok]}: {c.result}") for c in checks]
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}" for r in rows)


def main(settings: Settings) -> int:
    """Print the table; 1 when something configured does not work."""
    checks = run_checks(settings)
    print(table(checks))
    failed = [c.name for c in checks if c.ok is False]
    if failed:
        print(f"\n{len(failed)} check(s) failed: {', '.join(failed)}.", file=sys.stderr)
        return 1
    return 0
