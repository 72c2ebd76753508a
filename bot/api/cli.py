"""`oma api-key create --name NAME | list | revoke ID_OR_NAME`: keys for the HTTP API."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from bot.api.keys import KeyStore
from bot.embedded_redis import DEV_FOLDER, dev_redis
from bot.redis_conn import connect_redis
from bot.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="key_command", required=True)
    create = sub.add_parser("create", help="make a key; it is printed once, Redis keeps only its hash")
    create.add_argument("--name", required=True, help="who or what uses it, e.g. release-notes-ci")
    sub.add_parser("list", help="every key: id, name, created, revoked")
    revoke = sub.add_parser("revoke", help="revoke a key by id, or every live key with this name")
    revoke.add_argument("key", help="the key's id (as `list` shows) or its name")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.redis_url:
        return asyncio.run(_run(args, settings.redis_url))
    print(f"REDIS_URL is not set: using the Redis of `oma dev` in {DEV_FOLDER}", file=sys.stderr)
    with dev_redis() as url:
        return asyncio.run(_run(args, url))


async def _run(args: argparse.Namespace, redis_url: str) -> int:
    redis = connect_redis(redis_url)
    try:
        keys = KeyStore(redis)
        if args.key_command == "create":
            record, token = await keys.create(args.name.strip() or "unnamed")
            print(f"API key for {record.name} (id {record.id}); it is shown only now:\n{token}")
            print(f"Webhook signing secret (X-OMA-Signature):\n{record.webhook_secret}")
            return 0
        if args.key_command == "list":
            for key in await keys.all():
                state = f"revoked {_when(key.revoked)}" if key.revoked else "live"
                print(f"{key.id}  {key.name}  created {_when(key.created)}  {state}")
            return 0
        revoked = await keys.revoke(args.key)
        if not revoked:
            print(f"error: no live key has the id or name {args.key!r}", file=sys.stderr)
            return 1
        for key in revoked:
            print(f"revoked {key.id} ({key.name})")
        return 0
    finally:
        await redis.aclose()


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))
