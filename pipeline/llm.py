"""The OpenAI-compatible backend: one client, structured outputs, typed failures, usage."""

from __future__ import annotations

import json
from typing import TypeVar

import openai
from pydantic import BaseModel, ValidationError

from pipeline.config import PipelineConfig
from pipeline.errors import AgentError
from pipeline.models import Usage

T = TypeVar("T", bound=BaseModel)


def make_client(config: PipelineConfig) -> openai.OpenAI:
    """The official client; its own retries back off on 429/5xx/timeouts and honour Retry-After."""
    assert config.openai_api_key is not None
    return openai.OpenAI(
        api_key=config.openai_api_key.get_secret_value(),
        base_url=config.openai_base_url,
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
        if exc.status_code >= 500:
            return AgentError(agent, f"OpenAI had a server error ({exc.status_code}).", retryable=True)
        return AgentError(agent, f"OpenAI refused the request ({exc.status_code}).", retryable=False)
    return AgentError(agent, "The OpenAI call failed.", retryable=True)


class ChatModel:
    """Structured completions parsed into pydantic models, with one repair retry."""

    def __init__(self, config: PipelineConfig, client: openai.OpenAI | None = None) -> None:
        self.config = config
        self.client = client or make_client(config)

    def structured(self, agent: str, system: str, user: str, schema: type[T]) -> tuple[T, Usage]:
        """Ask for JSON matching `schema`; a malformed answer gets one repair round."""
        messages: list[dict[str, str]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        usage = Usage(agent=agent)
        problem = ""
        for attempt in range(2):
            content = self._complete(agent, messages, schema, usage)
            try:
                return schema.model_validate_json(_strip_fences(content)), usage
            except ValidationError as exc:
                problem = _describe(exc)
            if attempt == 0:
                messages += [
                    {"role": "assistant", "content": content[:4000]},
                    {
                        "role": "user",
                        "content": f"That reply was not valid: {problem}. Reply again with only a "
                        "JSON object matching the schema.",
                    },
                ]
        raise AgentError(agent, f"The model's answer was malformed twice ({problem}).", retryable=True)

    def _complete(self, agent: str, messages: list, schema: type[BaseModel], usage: Usage) -> str:
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
            return ""
        return resp.choices[0].message.content


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
