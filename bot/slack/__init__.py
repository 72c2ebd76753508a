"""The Slack adapter: thin listeners that parse, check, call the task service and answer."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp

from bot.settings import Settings
from bot.slack.access import Reviewers
from bot.stats import Stats
from bot.wiring import Core

# Slack wants an answer within 3 s: Redis work before the ack gives up after this (the client's
# own retries would wait out a restart of about 15 s) and says the database is away.
ACK_REDIS_SECONDS = 2.0
REDIS_DOWN = (
    ":warning: OMA can't reach its database right now, so nothing was created. Please try again in a minute."
)


@dataclass
class Deps:
    settings: Settings
    core: Core
    stats: Stats
    reviewers: Reviewers


def register(app: AsyncApp, deps: Deps) -> None:
    """Wire every route; this table is the whole Slack surface."""
    from bot.slack import actions, brand, commands, events, ui, views

    app.command("/video")(commands.on_video(deps))
    app.view(ui.MODAL_ID)(views.on_briefing(deps))
    app.view(ui.FEEDBACK_MODAL)(views.on_feedback(deps))
    app.view(ui.EDIT_MODAL)(views.on_edit(deps))
    app.action(ui.RETRY_ACTION)(actions.on_retry(deps))
    app.action(ui.APPROVE_ACTION)(actions.on_review_button(deps, actions.approve))
    app.action(ui.CHANGES_ACTION)(actions.on_review_button(deps, actions.request_changes))
    app.action(ui.CANCEL_ACTION)(actions.on_review_button(deps, actions.cancel_draft))
    app.action(ui.EDIT_ACTION)(actions.on_review_button(deps, actions.edit_scenes))
    app.action(ui.REVISE_ACTION)(actions.on_revise_video(deps))
    app.event("message")(events.on_thread_reply(deps))
    app.event("app_mention")(events.ignore)
    brand.register(app, deps)  # /video brand's modal (bot/slack/brand.py)
    app.error(on_error)


async def on_error(error: Exception, body: dict, client) -> None:
    """A listener failed after its ack (Redis away past its retries, Slack refusing a call): log
    it whole and tell the person who asked, so a click is never met with silence."""
    from loguru import logger

    from bot.slack.calls import SLACK_FAILURES

    logger.opt(exception=error).error("a Slack listener failed")
    user = (body.get("user") or {}).get("id") if isinstance(body.get("user"), dict) else body.get("user_id")
    channel = (body.get("channel") or {}).get("id") if isinstance(body.get("channel"), dict) else None
    if not user:
        return
    text = (
        ":warning: Something went wrong on OMA's side with that; nothing was changed. Try again in a minute."
    )
    try:
        if channel or body.get("channel_id"):
            await client.chat_postEphemeral(channel=channel or body["channel_id"], user=user, text=text)
        else:  # a modal submission: no channel to answer in
            await client.chat_postMessage(channel=user, text=text)
    except SLACK_FAILURES:
        logger.warning("could not tell {} about the failure either", user)
