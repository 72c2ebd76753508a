"""API keys: made once and shown once; Redis keeps each key's SHA-256, never the key.

A key reads `oma_<id>_<secret>`: the id finds the record in one lookup, the secret (32 random
bytes) is checked against the stored hash in constant time. A fast hash is enough for secrets
this long: nobody can guess their way through 2**256 of them, however fast each guess is.
Each key also has a webhook signing secret, kept as is because the worker signs with it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

from pydantic import BaseModel
from redis.asyncio import Redis

PREFIX = "oma:apikey"
INDEX = "oma:apikeys"
SHAPE = re.compile(r"oma_([0-9a-f]{8})_([A-Za-z0-9_-]{20,64})")


class ApiKey(BaseModel):
    id: str
    name: str
    hash: str
    created: float
    revoked: float | None = None
    webhook_secret: str

    @property
    def owner(self) -> str:
        """The `user` of this key's tasks: their per-owner index is this key's task list."""
        return f"key:{self.id}"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def create(self, name: str) -> tuple[ApiKey, str]:
        """A new key and its one-time plain text."""
        key_id, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
        record = ApiKey(
            id=key_id,
            name=name,
            hash=_digest(secret),
            created=time.time(),
            webhook_secret=secrets.token_urlsafe(32),
        )
        await self.redis.set(f"{PREFIX}:{key_id}", record.model_dump_json(), nx=True)
        await self.redis.sadd(INDEX, key_id)
        return record, f"oma_{key_id}_{secret}"

    async def get(self, key_id: str) -> ApiKey | None:
        raw = await self.redis.get(f"{PREFIX}:{key_id}")
        return ApiKey.model_validate_json(raw) if raw else None

    async def verify(self, token: str) -> ApiKey | None:
        """The live key this token is, else None (malformed, unknown, wrong secret or revoked)."""
        match = SHAPE.fullmatch(token)
        if match is None:
            return None
        record = await self.get(match.group(1))
        if record is None or record.revoked is not None:
            return None
        return record if hmac.compare_digest(record.hash, _digest(match.group(2))) else None

    async def all(self) -> list[ApiKey]:
        ids = sorted(i.decode() if isinstance(i, bytes) else i for i in await self.redis.smembers(INDEX))
        found = [await self.get(i) for i in ids]
        return sorted((k for k in found if k is not None), key=lambda k: k.created)

    async def revoke(self, id_or_name: str) -> list[ApiKey]:
        """Revoke the key with this id, or every live key with this name; the keys revoked."""
        done = []
        for key in await self.all():
            if key.revoked is None and id_or_name in (key.id, key.name):
                key.revoked = time.time()
                await self.redis.set(f"{PREFIX}:{key.id}", key.model_dump_json())
                done.append(key)
        return done
