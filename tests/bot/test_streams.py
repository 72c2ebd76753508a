"""A body that arrives in pieces is read whole, and one past the limit is refused."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from bot.streams import read_capped
from tests.fakes.server import ThreadedServer


def echo_size(limit: int) -> web.Application:
    async def size(request: web.Request) -> web.Response:
        data = await read_capped(request.content, limit)
        return web.json_response({"size": None if data is None else len(data)})

    app = web.Application()
    app.router.add_post("/", size)
    return app


async def slowly(pieces: int, size: int):
    for _ in range(pieces):
        yield b"x" * size
        await asyncio.sleep(0.02)  # each piece its own packet: a single read would see only the first


async def test_a_body_in_pieces_is_read_whole_and_one_too_big_is_refused() -> None:
    with ThreadedServer(echo_size(100_000)) as server:
        async with aiohttp.ClientSession() as session:
            async with session.post(server.url, data=slowly(8, 10_000)) as resp:
                assert (await resp.json())["size"] == 80_000
            async with session.post(server.url, data=slowly(12, 10_000)) as resp:
                assert (await resp.json())["size"] is None
