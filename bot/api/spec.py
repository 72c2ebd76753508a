"""The API's route table, and the OpenAPI 3.1 document made from it and the Pydantic models.

One table both registers the routes and describes them, so the document lists exactly what
the app serves. openapi-pydantic (typed OpenAPI 3.1 objects; it turns the Pydantic models into
`components/schemas`) builds the document: the Briefing's own fields, limits and descriptions
appear in it as the API checks them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache

from openapi_pydantic.util import PydanticSchema, construct_open_api_with_schema_class
from openapi_pydantic.v3.v3_1 import (
    Components,
    Header,
    Info,
    MediaType,
    OpenAPI,
    Operation,
    Parameter,
    PathItem,
    RequestBody,
    Response,
    Schema,
    SecurityScheme,
)
from pydantic import BaseModel

from bot.api.schemas import (
    ApproveRequest,
    BatchOut,
    ErrorOut,
    ReviseRequest,
    StatsOut,
    VideoList,
    VideoOut,
    VideoRequest,
)
from bot.tasks import Status

CSV = "csv"


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    handler: str  # the Api method's name
    summary: str
    ok: int
    out: type[BaseModel] | None
    body: type[BaseModel] | list | str | None = None
    errors: tuple[int, ...] = (401, 404, 429)
    query: tuple[Parameter, ...] = field(default_factory=tuple)
    headers: tuple[Parameter, ...] = field(default_factory=tuple)
    auth: bool = True


def _q(name: str, description: str, schema: dict) -> Parameter:
    return Parameter(
        name=name, param_in="query", required=False, description=description, param_schema=schema
    )


IDEMPOTENCY = Parameter(
    name="Idempotency-Key",
    param_in="header",
    required=False,
    description="The same key with the same briefing returns the first task instead of a new one",
    param_schema=Schema(type="string", maxLength=200),
)
ID = "/api/v1/videos/{id}"
OPERATIONS: tuple[Op, ...] = (
    Op("POST", "/api/v1/videos", "create_video", "Ask for a video", 202, VideoOut, VideoRequest,
       (401, 403, 409, 413, 422, 429), headers=(IDEMPOTENCY,)),
    Op("GET", "/api/v1/videos", "list_videos", "This key's videos, newest first", 200, VideoList,
       errors=(401, 422, 429), query=(
           _q("limit", "Page size, 1 to 100 (20)", {"type": "integer", "minimum": 1, "maximum": 100}),
           _q("cursor", "next_cursor of the previous page", {"type": "string"}),
           _q("status", "Only videos in this status", {"type": "string", "enum": [s.value for s in Status]}),
       )),
    Op("GET", ID, "get_video", "A video's status, progress, draft, cost and links", 200, VideoOut),
    Op("DELETE", ID, "delete_video", "Cancel it if running; delete its record and files", 204, None),
    Op("POST", ID + "/approve", "approve", "Approve the draft for rendering", 202, VideoOut, ApproveRequest,
       (401, 404, 409, 413, 422, 429)),
    Op("POST", ID + "/revise", "revise", "A new revision from feedback", 202, VideoOut, ReviseRequest,
       (401, 404, 409, 413, 422, 429)),
    Op("POST", ID + "/retry", "retry", "Run a failed video again from where it stopped", 202, VideoOut,
       errors=(401, 404, 409, 429)),
    Op("GET", ID + "/file", "file", "The MP4 (Range requests supported); with a storage bucket, a "
       "307 redirect to a presigned link", 200, None, errors=(401, 404, 409, 429, 503)),
    Op("POST", "/api/v1/batches", "create_batch", "Up to 50 briefings: JSON list or CSV", 202, BatchOut,
       [VideoRequest], (401, 403, 413, 422, 429)),
    Op("GET", "/api/v1/batches/{id}", "get_batch", "A batch's videos and their states", 200, BatchOut),
    Op("GET", "/api/v1/stats", "stats", "This key's totals and the queue", 200, StatsOut, errors=(401, 429)),
    Op("GET", "/api/v1/openapi.json", "openapi", "This document", 200, None, errors=(), auth=False),
    Op("GET", "/api/v1/docs", "docs", "Swagger UI for this document", 200, None, errors=(), auth=False),
)  # fmt: skip

REASONS = {
    401: "Missing, malformed, unknown or revoked API key",
    403: "The key may not do this (e.g. a Slack channel OMA is not enabled in)",
    404: "No such video or batch for this key",
    409: "The video's state does not allow this now, or an Idempotency-Key reused for another body",
    413: "The body is over the size limit",
    422: "Invalid fields: details names each with the Briefing's message",
    429: "Too many requests for this key: see Retry-After",
    503: "The database or the storage bucket cannot be reached; try again shortly",
}
RATE_HEADERS = {
    name: Header(description=text, schema=Schema(type="integer"))
    for name, text in (
        ("RateLimit-Limit", "Requests allowed per minute for this key"),
        ("RateLimit-Remaining", "Requests left in the current minute"),
        ("RateLimit-Reset", "Seconds until a request frees up"),
    )
}


def _json(model: type[BaseModel] | list) -> dict[str, MediaType]:
    if isinstance(model, list):
        schema = Schema(type="array", maxItems=50, items=PydanticSchema(schema_class=model[0]))
        return {"application/json": MediaType(media_type_schema=schema)}
    return {"application/json": MediaType(media_type_schema=PydanticSchema(schema_class=model))}


def _operation(op: Op) -> Operation:
    ok_content = _json(op.out) if op.out is not None else None
    if op.handler == "file":
        ok_content = {"video/mp4": MediaType(media_type_schema=Schema(type="string", format="binary"))}
    if op.handler == "docs":
        ok_content = {"text/html": MediaType(media_type_schema=Schema(type="string"))}
    if op.handler == "openapi":
        ok_content = {"application/json": MediaType(media_type_schema=Schema(type="object"))}
    responses = {
        str(op.ok): Response(
            description="OK" if op.ok != 204 else "Deleted",
            content=ok_content,
            headers=RATE_HEADERS if op.auth else None,
        )
    }
    if op.handler == "file":
        location = Header(
            description="A presigned link to the MP4 in the bucket", schema=Schema(type="string")
        )
        responses["307"] = Response(
            description="The video is in a storage bucket: follow Location (no API key needed)",
            headers={"Location": location},
        )
    for status in op.errors:
        responses[str(status)] = Response(description=REASONS[status], content=_json(ErrorOut))
    body = None
    if op.body is not None:
        content = _json(op.body)
        if op.handler == "create_batch":
            content["text/csv"] = MediaType(
                media_type_schema=Schema(
                    type="string", description="A header row of field names, then one briefing a row"
                )
            )
        body = RequestBody(content=content, required=op.handler not in ("approve",))
    params = [*op.headers, *op.query]
    if "{id}" in op.path:
        path_id = Parameter(name="id", param_in="path", required=True, param_schema=Schema(type="string"))
        params.insert(0, path_id)
    return Operation(
        summary=op.summary,
        operationId=op.handler,
        parameters=params or None,
        requestBody=body,
        responses=responses,
        security=[{"bearer": []}] if op.auth else [],
    )


@cache
def document(version: str) -> str:
    """The OpenAPI 3.1 document as JSON text."""
    paths: dict[str, PathItem] = {}
    for op in OPERATIONS:
        item = paths.setdefault(op.path, PathItem())
        setattr(item, op.method.lower(), _operation(op))
    spec = OpenAPI(
        openapi="3.1.0",
        info=Info(
            title="OMA",
            version=version,
            description="Briefings become narrated MP4 videos. Authenticate with "
            "`Authorization: Bearer <key>` (`oma api-key create --name NAME`). "
            "Errors are `{error, message, details, request_id}`.",
        ),
        paths=paths,
        components=Components(
            securitySchemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", description="An OMA API key")
            }
        ),
    )
    spec = construct_open_api_with_schema_class(spec)
    return json.dumps(spec.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=True))
