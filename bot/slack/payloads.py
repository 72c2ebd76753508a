"""What every Slack payload of a kind carries, checked before any listener reads it.

Slack's payloads are large and mostly ignored here; these models name only the fields the
listeners use, with their JSON types, so a listener never meets a missing key or a string
where it indexes a dict. Anything else in a payload is allowed and left alone.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Id(_Loose):
    id: str


class _Team(_Loose):
    id: str | None = None


class _Event(_Loose):
    type: str
    user: str | None = None
    channel: str | None = None
    text: str | None = None
    thread_ts: str | None = None
    subtype: str | None = None
    bot_id: str | None = None


class _Typed(_Loose):
    type: str


class Envelope(_Loose):
    """What Bolt itself reads from any payload to route it and find its workspace."""

    type: str | None = None
    team_id: str | None = None
    team: _Team | str | None = None
    enterprise_id: str | None = None
    enterprise: _Team | str | None = None
    is_enterprise_install: bool | str | None = None
    authorizations: list[dict[str, Any]] | None = None
    user: _Id | str | None = None
    channel: _Id | str | None = None
    api_app_id: str | None = None
    event: _Event | None = None  # Bolt reads event.type of any payload that has an event
    view: _Typed | None = None  # and view.type of any payload that has a view


class SlashCommand(_Loose):
    command: str
    user_id: str
    channel_id: str
    trigger_id: str
    text: str = ""


class _Option(_Loose):
    value: str


class _Element(_Loose):
    value: str | None = None
    selected_option: _Option | None = None
    selected_options: list[_Option] | None = None


class _State(_Loose):
    values: dict[str, dict[str, _Element]]


class _View(_Loose):
    id: str
    type: str
    callback_id: str
    private_metadata: str = ""
    state: _State


class ViewSubmission(_Loose):
    user: _Id
    view: _View
    trigger_id: str = ""


class _Action(_Loose):
    action_id: str
    value: str


class _Message(_Loose):
    blocks: list[dict[str, Any]] | None = None


class BlockActions(_Loose):
    user: _Id
    actions: list[_Action] = Field(min_length=1)
    trigger_id: str
    channel: _Id | None = None
    message: _Message | None = None


class EventCallback(_Loose):
    event: _Event


BY_TYPE: dict[str, type[BaseModel]] = {
    "view_submission": ViewSubmission,
    "block_actions": BlockActions,
    "event_callback": EventCallback,
}


def payload_problem(body: Any) -> str | None:
    """None when `body` has what its kind requires, else a short reason (for a 400)."""
    if not isinstance(body, dict):
        return "the payload is not a JSON object"
    kind = SlashCommand if "command" in body else BY_TYPE.get(str(body.get("type")))
    for model in (Envelope, kind):
        if model is None:
            continue  # kinds OMA has no listener for: Bolt answers 404
        try:
            model.model_validate(body)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "payload"
            return f"{model.__name__}: {where}: {err['msg']}"
    return None
