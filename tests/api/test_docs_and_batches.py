"""The OpenAPI document and docs page, batches (JSON and CSV), pagination, and `oma api-key`."""

from __future__ import annotations

import asyncio
import os
import sys
from argparse import Namespace

from openapi_spec_validator import validate

from bot.api import cli as api_cli
from bot.api.keys import KeyStore
from tests.api.support import BRIEF, ApiClient
from tests.bot.support import serve


async def test_openapi_validates_and_lists_every_route(api: ApiClient, settings):
    resp, spec = await api.as_key(None).call("GET", "/api/v1/openapi.json")
    assert resp.status == 200 and spec["openapi"] == "3.1.0"
    validate(spec)

    from bot.web import create_app

    app = create_app(settings=settings)
    served = {
        (r.method.lower(), r.resource.canonical)
        for r in app.router.routes()
        if r.resource is not None
        and r.resource.canonical.startswith("/api/v1")
        and r.method != "HEAD"
        and not r.resource.canonical.startswith("/api/v1/docs/static")
    }
    documented = {(m, p) for p, item in spec["paths"].items() for m in item}
    assert served == documented and len(served) == 13
    # One source of truth: the Briefing's fields and limits are the request's schema.
    request = spec["components"]["schemas"]["VideoRequest"]["properties"]
    assert request["duration"]["minimum"] == 15 and request["title"]["maxLength"] == 200
    await app.cleanup()


async def test_docs_page_is_served_with_its_assets_offline(api: ApiClient):
    resp, page = await api.as_key(None).call("GET", "/api/v1/docs")
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/html")
    html = page.decode()
    assert "/api/v1/openapi.json" in html and "https://" not in html
    resp, js = await api.as_key(None).call("GET", "/api/v1/docs/static/swagger-ui-bundle.js")
    assert resp.status == 200 and len(js) > 500_000


async def test_batches_from_json_and_csv(api: ApiClient, redis):
    resp, batch = await api.call("POST", "/api/v1/batches", [BRIEF, {**BRIEF, "title": "Second one"}])
    assert resp.status == 202 and len(batch["videos"]) == 2 and batch["counts"] == {"queued": 2}
    resp, again = await api.call("GET", f"/api/v1/batches/{batch['id']}")
    assert resp.status == 200 and {v["id"] for v in again["videos"]} == {v["id"] for v in batch["videos"]}
    assert all(v["batch_id"] == batch["id"] for v in again["videos"])

    csv = (
        "title,description,duration,aspect\n"
        "Release 1.4,Faster sync. Fewer clicks.,20,9:16\n"
        "Release 1.5,Dark mode for all.,,\n"
    )
    resp, batch = await api.call(
        "POST", "/api/v1/batches", raw=csv.encode(), headers={"Content-Type": "text/csv"}
    )
    assert resp.status == 202, batch
    assert [(v["briefing"]["duration"], v["briefing"]["aspect"]) for v in batch["videos"]] == [
        (20, "9:16"),
        (30, "16:9"),
    ]

    bad = "title,description,duration\nOK title,A fine description.,20\nx,A fine description.,999\n"
    resp, body = await api.call(
        "POST", "/api/v1/batches", raw=bad.encode(), headers={"Content-Type": "text/csv"}
    )
    assert resp.status == 422 and body["details"] == {
        "row 3.title": "Title must be at least 3 characters (it has 1)",
        "row 3.duration": "Duration must be between 15 and 180 seconds",
    }
    resp, body = await api.call("POST", "/api/v1/batches", [BRIEF] * 51)
    assert resp.status == 422 and "at most 50" in body["message"]
    resp, body = await api.as_key((await KeyStore(redis).create("x"))[1]).call(
        "GET", f"/api/v1/batches/{batch['id']}"
    )
    assert resp.status == 404
    assert await redis.zcard("arq:queue") == 4


async def test_list_pages_newest_first_with_a_cursor_and_a_status_filter(api: ApiClient):
    made = []
    for i in range(5):
        resp, task = await api.call("POST", "/api/v1/videos", {**BRIEF, "title": f"Video {i}"})
        made.append(task["id"])
    seen, cursor = [], None
    while True:
        resp, page = await api.call("GET", "/api/v1/videos?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert resp.status == 200 and len(page["videos"]) <= 2
        seen += [v["id"] for v in page["videos"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made[::-1]
    resp, _ = await api.call("DELETE", f"/api/v1/videos/{made[0]}")  # a queued one: cancelled, then gone
    assert resp.status == 204
    resp, page = await api.call("GET", "/api/v1/videos?status=queued&limit=10")
    assert [v["id"] for v in page["videos"]] == made[:0:-1]
    resp, page = await api.call("GET", "/api/v1/videos?status=delivered")
    assert page == {"videos": [], "next_cursor": None}
    resp, stats = await api.call("GET", "/api/v1/stats")
    assert stats["by_status"] == {"queued": 4} and stats["queue_depth"] >= 4


async def oma(settings, tmp_path, *args: str) -> tuple[int, str]:
    """`python -m bot ...` as its own process, with REDIS_URL and no .env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMA_", "REDIS_", "SLACK_"))}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env={**env, "REDIS_URL": settings.redis_url},
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def test_api_key_cli_creates_lists_and_revokes(settings, redis, tmp_path, capsys):
    code, out = await oma(settings, tmp_path, "api-key", "create", "--name", "release-ci")
    assert code == 0, out
    token = out.splitlines()[1]
    assert token.startswith("oma_")
    stored = [await redis.get(k) for k in await redis.keys("oma:apikey:*")]
    assert stored and all(token.split("_")[2].encode() not in raw for raw in stored)  # only its hash

    # list and revoke in this process (one `python -m bot` start is enough to show the command).
    assert await api_cli._run(Namespace(key_command="list"), settings.redis_url) == 0
    assert "release-ci" in capsys.readouterr().out
    async with serve(settings) as web_client:
        api = ApiClient(web_client.base, web_client.session, token)
        assert (await api.call("GET", "/api/v1/videos"))[0].status == 200
        assert await api_cli._run(Namespace(key_command="revoke", key="release-ci"), settings.redis_url) == 0
        assert (await api.call("GET", "/api/v1/videos"))[0].status == 401
    # nothing live by that name any more
    assert await api_cli._run(Namespace(key_command="revoke", key="release-ci"), settings.redis_url) == 1
