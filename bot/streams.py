"""Reading a body or a download whole, but never more than a limit."""

from __future__ import annotations

from aiohttp import StreamReader


async def read_capped(stream: StreamReader, limit: int) -> bytes | None:
    """Every byte of `stream`, or None as soon as it passes `limit`. (`StreamReader.read(n)`
    returns what is buffered, up to n, not n bytes: a large body would be cut short.)"""
    chunks, size = [], 0
    while chunk := await stream.readany():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
