"""Wires the API into the aiohttp app: its routes from the table, the docs and its middlewares."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from aiohttp import web
from loguru import logger
from swagger_ui.core import ApplicationDocument

from bot.api.auth import Gate
from bot.api.errors import typed_errors
from bot.api.metrics import measure
from bot.api.routes import Api
from bot.api.spec import OPERATIONS, document
from bot.storage import StorageError

DOCS = "/api/v1/docs"

try:
    VERSION = version("oma-video-bot")
except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
    VERSION = "0+unknown"


def register(app: web.Application, deps) -> None:
    settings, core = deps.settings, deps.core
    gate = Gate(core.store.redis, core.keys, settings.api_rate_per_minute, settings.api_rate_per_hour)
    api = Api(settings, core, gate)
    spec = document(VERSION)

    async def openapi(_request: web.Request) -> web.Response:
        return web.Response(text=spec, content_type="application/json")

    # Swagger UI from the swagger-ui-py package: its page and its static files are served from
    # here, so the docs work with no network (no CDN).
    ui = ApplicationDocument(
        app,
        config_spec=spec,
        url_prefix=DOCS,
        title="OMA API",
        parameters={"validatorUrl": "null", "tryItOutEnabled": "true"},
    )
    ui.parameters["url"] = '"/api/v1/openapi.json"'
    page = ui.doc_html

    async def docs(_request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    own = {"openapi": openapi, "docs": docs}
    for op in OPERATIONS:
        handler = own.get(op.handler) or getattr(api, op.handler)
        app.router.add_route(op.method, op.path, handler)
    app.router.add_static(DOCS + "/static", ui.static_dir)
    app.middlewares.append(measure)
    app.middlewares.append(typed_errors)

    async def open_storage(_app: web.Application) -> None:
        # Its credentials are resolved here, in a thread, so the first download link waits for
        # nothing; a bucket away now is tried again at its first use.
        try:
            await core.storage.open()
        except StorageError as exc:
            logger.warning("storage not ready at start: {}", exc)

    app.on_startup.append(open_storage)
