"""The OpenAI-compatible backend: one client, structured outputs, typed failures, usage."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

import openai
from pydantic import BaseModel, ValidationError

from pipeline.config import MISSING_STATUSES, Capability, PipelineConfig, missing_capability
from pipeline.errors import AgentError
from pipeline.models import Usage

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")
# What the official client retries itself (besides 5xx): timeouts, conflicts, rate limits.


class Client(openai.OpenAI):
    """The official client, except that a server without the endpoint is never retried.

    The SDK retries every 5xx, 501 (Not Implemented) included; 404 and 405 it does not. A
    missing endpoint must fail at once with the sentence naming the setting (translate_error).
    """

    def _should_retry(self, response) -> bool:  # the SDK's own hook for the retry decision
        return response.status_code not in MISSING_STATUSES and super()._should_retry(response)


def make_client(config: PipelineConfig, capability: Capability = "text") -> openai.OpenAI:
    """The official client for one capability's server (see PipelineConfig.endpoint); its own
    retries back off on 429/5xx/timeouts and honour Retry-After, but never retry a 404, 405 or
    501 (see Client). The URL and key are always passed, so the client never falls back to
    OPENAI_* variables of its own."""
    endpoint = config.endpoint(capability)
    return Client(
        api_key=endpoint.key,
        base_url=endpoint.url,
        timeout=config.openai_timeout,
        max_retries=config.openai_max_retries,
    )


def translate_error(agent: str, exc: openai.OpenAIError) -> AgentError:
    """Plain words for an OpenAI failure; status and type only, never the request or key."""
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return AgentError(agent, "The OpenAI key was rejected; check OPENAI_API_KEY.", retryable=False)
    if isinstance(exc, openai.RateLimitError):
        return AgentError(agent, "OpenAI is rate limiting us; try again in a minute.", retryable=True)
    if isinstance(exc, openai.APITimeoutError):
        return AgentError(agent, "OpenAI did not answer in time.", retryable=True)
    if isinstance(exc, openai.APIConnectionError):
        return AgentError(agent, "OpenAI could not be reached.", retryable=True)
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code in MISSING_STATUSES and agent in CAPABILITY_OF:
            return AgentError(agent, _missing(CAPABILITY_OF[agent], exc), retryable=False)
        if exc.status_code >= 500:
            return AgentError(agent, f"OpenAI had a server error ({exc.status_code}).", retryable=True)
        return AgentError(agent, f"OpenAI refused the request ({exc.status_code}).", retryable=False)
    return AgentError(agent, "The OpenAI call failed.", retryable=True)


# The capability an agent's calls need, for naming the setting when a server lacks it.
CAPABILITY_OF: dict[str, Capability] = {
    "scriptwriter": "text",
    "storyboarder": "text",
    "narrator": "voice",
    "art_director": "art",
}


def _missing(capability: Capability, exc: openai.APIStatusError) -> str:
    """The plain sentence for a 404/405/501: the server and the model come from the request."""
    try:
        model = json.loads(exc.request.content or b"{}").get("model")
    except (ValueError, AttributeError):
        model = None
    return missing_capability(capability, exc.status_code, str(exc.request.url), model)


class UnusableAnswer(AgentError):
    """The model's answer was malformed or meant nothing usable, even after its repair round.

    Carries what the calls cost and the last problem, so the agent can fall back to its
    built-in counterpart and say why.
    """

    def __init__(self, agent: str, message: str, *, problem: str, usage: Usage) -> None:
        super().__init__(agent, message, retryable=True)
        self.problem = problem
        self.usage = usage


Check = Callable[[T], list[str]]


class ChatModel:
    """Structured completions parsed into pydantic models, checked, with one repair round."""

    def __init__(self, config: PipelineConfig, client: openai.OpenAI | None = None) -> None:
        self.config = config
        self.client = client or make_client(config)

    def structured(
        self,
        agent: str,
        system: str,
        user: str,
        schema: type[T],
        *,
        check: Check | None = None,
        max_tokens: int | None = None,
    ) -> tuple[T, Usage]:
        """Ask for JSON matching `schema` that `check` finds no problem with.

        A malformed, cut-off or unusable answer gets one repair round that says what was wrong;
        a second failure raises UnusableAnswer. `max_tokens` caps each answer, so a runaway
        one is cut early and costs little. Usage counts every call, repairs included.
        """
        messages: list[dict[str, str]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        usage = Usage(agent=agent)
        problem, malformed = "", True
        for attempt in range(2):
            content, cut = self._complete(agent, messages, schema, usage, max_tokens)
            try:
                value = schema.model_validate_json(_strip_fences(content))
            except ValidationError as exc:
                malformed = True
                problem = f"it was cut off at {max_tokens} tokens" if cut else _describe(exc)
            else:
                problems = check(value) if check else []
                if not problems:
                    return value, usage
                malformed, problem = False, "; ".join(problems[:3])[:300]
            if attempt == 0:
                what = "not valid JSON for the schema" if malformed else "not usable"
                messages += [
                    {"role": "assistant", "content": content[:4000]},
                    {
                        "role": "user",
                        "content": f"That reply was {what}: {problem}. Reply again with only a "
                        "JSON object matching the schema.",
                    },
                ]
        kind = "malformed" if malformed else "unusable"
        raise UnusableAnswer(
            agent, f"The model's answer was {kind} twice ({problem}).", problem=problem, usage=usage
        )

    def _complete(
        self, agent: str, messages: list, schema: type[BaseModel], usage: Usage, max_tokens: int | None
    ) -> tuple[str, bool]:
        """The answer's text and whether it was cut at the token cap."""
        extra = {"max_tokens": max_tokens} if max_tokens else {}
        try:
            resp = self.client.chat.completions.create(
                model=self.config.text_model,
                messages=messages,  # type: ignore[arg-type]
                response_format={
                    "type": "json_schema",
                    "json_schema": {
                        "name": schema.__name__,
                        "schema": schema.model_json_schema(),
                    },
                },  # type: ignore[arg-type]
                **extra,  # type: ignore[arg-type]
            )
        except openai.OpenAIError as exc:
            raise translate_error(agent, exc) from exc
        if resp.usage:
            prices = self.config.prices
            usage.prompt_tokens += resp.usage.prompt_tokens
            usage.completion_tokens += resp.usage.completion_tokens
            usage.cost_usd += (
                resp.usage.prompt_tokens * prices.input_per_mtok
                + resp.usage.completion_tokens * prices.output_per_mtok
            ) / 1e6
        if not resp.choices or resp.choices[0].message.content is None:
            return "", False
        choice = resp.choices[0]
        return choice.message.content or "", choice.finish_reason == "length"


def _strip_fences(text: str) -> str:
    # Some compatible servers wrap JSON in markdown fences despite response_format.
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "the reply"
    return f"{where}: {first['msg']}"[:200]


def as_prompt_json(model: BaseModel) -> str:
    return json.dumps(model.model_dump(mode="json"), ensure_ascii=False)
