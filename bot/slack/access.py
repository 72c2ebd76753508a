"""Who may use OMA where, and who may review a task (user ids or user-group ids)."""

from __future__ import annotations

import time

from loguru import logger
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings
from bot.slack import ui
from bot.slack.calls import error_code
from bot.tasks import Task

GROUP_TTL = 60.0  # seconds a user group's members are trusted before they are read again


def refusal(settings: Settings, user: str, channel: str) -> str | None:
    """Why `user` may not make videos in `channel`, or None when they may."""
    if settings.allowed_users and user not in settings.allowed_users:
        return "You are not on the list of people who can make videos with OMA; ask an admin to add you."
    if settings.allowed_channels and channel not in settings.allowed_channels:
        return "OMA isn't enabled in this channel; ask an admin, or use it in an enabled channel."
    return None


def may_act(settings: Settings, task: Task, user: str) -> bool:
    """The requester or an admin (cancel, retry)."""
    return user == task.user or user in settings.admins


class Reviewers:
    """The requester, admins, and approvers named by user id or user-group id (S...)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._groups: dict[str, tuple[float, set[str]]] = {}

    async def may_review(self, task: Task, user: str, client: AsyncWebClient) -> bool:
        allowed = self.settings.approvers
        if user == task.user or user in allowed or user in self.settings.admins:
            return True
        for group in (a for a in allowed if a.startswith("S")):
            fetched, members = self._groups.get(group, (0.0, set()))
            if time.monotonic() - fetched > GROUP_TTL:
                try:
                    members = set((await client.usergroups_users_list(usergroup=group)).get("users") or [])
                except SlackApiError as exc:
                    logger.warning("cannot read user group {}: {}", group, error_code(exc))
                    continue
                self._groups[group] = (time.monotonic(), members)
            if user in members:
                return True
        return False

    def who(self, task: Task) -> str:
        others = " or ".join(ui.mention(u) for u in self.settings.approvers)
        who = f"Only {ui.mention(task.user)} (who asked for it){' or ' + others if others else ''}"
        return f"{who} can review this video."
