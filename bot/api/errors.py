"""The API's typed errors: every failure answers `{error, message, details, request_id}`.

Handlers raise ApiError; the `typed_errors` middleware turns it, and aiohttp's own refusals
(no such route, wrong method, a body over the limit), into that JSON with the right status.
"""

from __future__ import annotations

from aiohttp import web
from loguru import logger
from pydantic import ValidationError
from redis.exceptions import RedisError

from bot.api.schemas import ErrorOut
from bot.storage import StorageError
from pipeline.batch import field_details

PREFIX = "/api/v1"
REQUEST_ID = web.RequestKey("request_id", str)  # set by bot.web's request_context
EXTRA_HEADERS = web.RequestKey("api_headers", dict)  # headers every answer carries (RateLimit-*)

# aiohttp's own refusals, in the API's words.
AIOHTTP_CODES = {
    404: ("not_found", "There is no such route; see /api/v1/docs."),
    405: ("method_not_allowed", "This route does not take that method; see /api/v1/docs."),
    413: ("payload_too_large", "The request body is too large."),
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        details: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message
        self.details, self.headers = details, headers or {}


def invalid(exc: ValidationError, prefix: str = "") -> ApiError:
    """A 422 naming each field with the Briefing's plain message."""
    details = field_details(exc, prefix)
    return ApiError(422, "invalid_request", "The request has invalid fields; see details.", details)


def not_found(what: str = "video") -> ApiError:
    return ApiError(404, "not_found", f"No such {what} for this key.")


def answer(request: web.Request, exc: ApiError) -> web.Response:
    body = ErrorOut(
        error=exc.error, message=exc.message, details=exc.details, request_id=request.get(REQUEST_ID, "")
    )
    response = web.json_response(body.model_dump(mode="json"), status=exc.status)
    response.headers.update(exc.headers)
    return response


@web.middleware
async def typed_errors(request: web.Request, handler) -> web.StreamResponse:
    if not request.path.startswith(PREFIX):
        return await handler(request)
    try:
        response = await handler(request)
    except ApiError as exc:
        response = answer(request, exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code, message = AIOHTTP_CODES.get(exc.status, ("http_error", exc.reason))
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow",)}
        response = answer(request, ApiError(exc.status, code, message, headers=headers))
    except RedisError:
        logger.exception("Redis failed on {} {}", request.method, request.path)
        response = answer(
            request,
            ApiError(
                503,
                "unavailable",
                "OMA can't reach its database right now; try again in a minute.",
                headers={"Retry-After": "30"},
            ),
        )
    except StorageError as exc:
        response = answer(
            request, ApiError(503, "storage_unavailable", str(exc), headers={"Retry-After": "30"})
        )
    if not response.prepared:
        response.headers.update(request.get(EXTRA_HEADERS, {}))
    return response
