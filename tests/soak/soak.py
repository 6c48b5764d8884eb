"""Soak: a bounded load on the real server, then checks that nothing went wrong and nothing was lost.

    python -m tests.soak.soak [--seconds 60] [--connections 64] [--database-url URL] [--write-share 0.1] [--seed 1]

Starts `ceplan serve` (on a temporary SQLite file unless --database-url names another database, which is migrated
and seeded first) on 127.0.0.1 and drives it for --seconds with --connections concurrent keep-alive connections
(asyncio + httpx), a mix of:

- reads: the catalogue GETs, with varied filters and ids;
- plans: POST /v1/plans with varied payloads, some /v1/analyses and /v1/plans/batch;
- writes (--write-share of the requests, default 10 %) with an API key: each connection walks templates through
  create -> draft -> edit (If-Match) -> publish -> a plan pinned to that version -> second draft, and creates its
  tenant's own exercises; every acknowledged write is recorded;
- requests that must fail, sent on purpose: an unknown compensation (422), an unknown exercise (404), a write
  without a key (401).

Then it checks: zero errors (every answer is the one expected: 2xx, or the 4xx deliberately asked for), no lost
writes (every acknowledged template, version, edit and exercise is read back through the API) and flat memory (the
server's RSS from /proc after warm-up against the end). It prints a summary and exits 1 if a check failed.
Every request goes to loopback; the run stops by itself after --seconds (and after at most --max-requests).
"""

import argparse
import asyncio
import copy
import json
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.schemas.catalogue import EXERCISE_EXAMPLE
from app.schemas.templates import EXAMPLE_MODES
from app.services.setup import prepare_database
from tests.live_server import SEED_DIR, LiveServer, PlanRequests, create_api_key

PLAN_POOL = 2000
MAX_ERROR_SAMPLES = 20
RSS_GROWTH_ALLOWED = 1.10  # end / after warm-up, plus RSS_SLACK_KIB
RSS_SLACK_KIB = 16 * 1024
# Idle connections are dropped after 2 s, well before uvicorn closes them (5 s): with equal timeouts a request sent
# on a connection that the server is closing at that moment is reset (the keep-alive race every client has).
ONE_CONNECTION = httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=2.0)


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass
class Template:
    """One template a connection walks through its life; `acknowledged` lists the writes the server confirmed."""

    slug: str
    step: int = 0
    etag: str = ""
    hold_seconds: int = 0
    acknowledged: list[str] = field(default_factory=list)


@dataclass
class Tally:
    started: float = field(default_factory=time.monotonic)
    requests: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    templates: list[Template] = field(default_factory=list)
    exercises: list[str] = field(default_factory=list)
    rss: list[tuple[float, int]] = field(default_factory=list)

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < MAX_ERROR_SAMPLES:
            self.error_samples.append(what)


class Catalogue:
    """The ids the load draws from, read from the server once."""

    def __init__(self, client: httpx.Client) -> None:
        def get(path: str, **params: Any) -> Any:
            return client.get(path, params=params).raise_for_status().json()

        self.muscles = [m["slug"] for m in get("/v1/muscles")]
        self.assessments = [a["slug"] for a in get("/v1/assessments")]
        self.rulesets = [r["slug"] for r in get("/v1/rulesets")]
        self.equipment = [e["slug"] for e in get("/v1/equipment")]
        page = get("/v1/exercises", limit=200)
        self.exercises = [e["slug"] for e in page["items"]]
        self.exercise_example = EXERCISE_EXAMPLE


class Load:
    def __init__(
        self,
        base_url: str,
        key: str,
        catalogue: Catalogue,
        plans: list[Any],
        seed: int,
        write_share: float,
    ) -> None:
        self.base_url = base_url
        self.key = {"X-API-Key": key}
        self.catalogue = catalogue
        self.plans = plans
        self.seed = seed
        self.write_share = write_share
        self.run = uuid.uuid4().hex[:6]
        self.tally = Tally()

    async def call(
        self,
        client: httpx.AsyncClient,
        kind: str,
        method: str,
        path: str,
        expected: set[int],
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = await client.request(method, path, headers=headers, **kw)
        except httpx.HTTPError as error:
            self.tally.requests[kind] += 1
            self.tally.error(
                f"{kind}: {method} {path}: {type(error).__name__} {error} {error.__cause__!r}"
                f" after {time.monotonic() - started:.2f} s "
                f"(at {started - self.tally.started:.1f} s)"
            )
            return None
        self.tally.latencies.setdefault(kind, []).append(time.monotonic() - started)
        self.tally.requests[kind] += 1
        if response.status_code not in expected:
            self.tally.error(f"{kind}: {method} {path}: {response.status_code} {response.text[:300]}")
            return None
        return response

    async def read(self, client: httpx.AsyncClient, draw: random.Random) -> None:
        c = self.catalogue
        choice = draw.randrange(10)
        if choice < 4:
            params: dict[str, Any] = {"limit": draw.choice([5, 20, 50]), "offset": draw.choice([0, 0, 10, 40])}
            if draw.random() < 0.5:
                params["muscle"] = draw.choice(c.muscles)
            if draw.random() < 0.5:
                params["phase"] = draw.choice(["inhibit", "lengthen", "activate", "integrate"])
            if draw.random() < 0.3:
                params["equipment"] = draw.choice(c.equipment)
            if draw.random() < 0.3:
                params["q"] = draw.choice(["glute", "stretch", "roll", "band", "squat"])
            await self.call(client, "read", "GET", "/v1/exercises", {200}, params=params)
        elif choice < 6:
            await self.call(client, "read", "GET", f"/v1/exercises/{draw.choice(c.exercises)}", {200})
        elif choice < 7:
            await self.call(client, "read", "GET", f"/v1/muscles/{draw.choice(c.muscles)}", {200})
        elif choice < 8:
            await self.call(
                client, "read", "GET", "/v1/compensations", {200}, params={"assessment": draw.choice(c.assessments)}
            )
        else:
            path = draw.choice(["/v1/muscles", "/v1/assessments", "/v1/rulesets", "/v1/equipment", "/v1/conditions"])
            await self.call(client, "read", "GET", path, {200})

    async def plan(self, client: httpx.AsyncClient, draw: random.Random) -> None:
        choice = draw.randrange(20)
        if choice == 0:
            batch = draw.sample(self.plans, 10)
            answer = await self.call(client, "batch", "POST", "/v1/plans/batch", {200}, json={"requests": batch})
            if answer is not None and any(r["status"] != 200 for r in answer.json()["results"]):
                self.tally.error(f"batch: an item failed: {answer.text[:300]}")
        elif choice < 4:
            await self.call(client, "analysis", "POST", "/v1/analyses", {200}, json=draw.choice(self.plans))
        else:
            await self.call(client, "plan", "POST", "/v1/plans", {200}, json=draw.choice(self.plans))

    async def invalid(self, client: httpx.AsyncClient, draw: random.Random) -> None:
        choice = draw.randrange(3)
        if choice == 0:
            bad = copy.deepcopy(draw.choice(self.plans))
            bad["assessments"][0]["findings"][0]["compensation"] = "no_such_compensation"
            await self.call(client, "expected_4xx", "POST", "/v1/plans", {422}, json=bad)
        elif choice == 1:
            await self.call(
                client, "expected_4xx", "GET", f"/v1/exercises/no_such_exercise_{draw.randrange(1000)}", {404}
            )
        else:
            body = {"slug": f"nokey_{draw.randrange(1000)}", "title": "no key"}
            await self.call(client, "expected_4xx", "POST", "/v1/plan-templates", {401}, json=body)

    async def exercise(self, client: httpx.AsyncClient, worker: int, number: int) -> None:
        slug = f"soak_{self.run}_w{worker}_e{number}"
        body = {**self.catalogue.exercise_example, "slug": slug, "name": f"Soak exercise {worker}/{number}"}
        if await self.call(client, "write", "POST", "/v1/exercises", {201}, headers=self.key, json=body):
            self.tally.exercises.append(slug)

    async def template_step(self, client: httpx.AsyncClient, template: Template, draw: random.Random) -> bool:
        """One request of the template's life; True once it is over."""
        base = f"/v1/plan-templates/{template.slug}"
        step = template.step
        if step == 0:
            body = {"slug": template.slug, "title": f"Soak {template.slug}"}
            ok = await self.call(client, "write", "POST", "/v1/plan-templates", {201}, headers=self.key, json=body)
            if ok:
                template.acknowledged.append("template")
        elif step == 1:
            ok = await self.call(
                client, "write", "POST", f"{base}/versions", {201}, headers=self.key, json={"modes": EXAMPLE_MODES}
            )
            if ok:
                template.etag = ok.headers["ETag"]
                template.acknowledged.append("draft1")
        elif step == 2:
            template.hold_seconds = draw.randint(20, 90)
            modes: dict[str, Any] = json.loads(json.dumps(EXAMPLE_MODES))
            modes["standalone"]["phases"][0]["hold_seconds"] = template.hold_seconds
            headers = {**self.key, "If-Match": template.etag}
            ok = await self.call(
                client, "write", "PUT", f"{base}/versions/1", {200}, headers=headers, json={"modes": modes}
            )
            if ok:
                template.acknowledged.append("edit1")
        elif step == 3:
            ok = await self.call(client, "write", "POST", f"{base}/versions/1/publish", {200}, headers=self.key)
            if ok:
                template.acknowledged.append("publish1")
        elif step == 4:
            pinned = {**draw.choice(self.plans)}
            pinned["preferences"] = {**pinned["preferences"], "template": {"slug": template.slug, "version": 1}}
            ok = await self.call(client, "plan", "POST", "/v1/plans", {200}, headers=self.key, json=pinned)
            used = ok.json()["template"] if ok else {}
            if ok and (used.get("slug"), used.get("version")) != (template.slug, 1):
                self.tally.error(f"a plan pinned to {template.slug} v1 used {used}")
        else:
            ok = await self.call(
                client, "write", "POST", f"{base}/versions", {201}, headers=self.key, json={"copy_from": 1}
            )
            if ok:
                template.acknowledged.append("draft2")
            return True
        if not ok:
            return True  # an error was counted; this template's life ends here
        template.step += 1
        return False

    async def worker(self, worker: int, deadline: float, budget: list[int]) -> None:
        # A client of its own per connection: one shared pool of 64 costs the load generator more CPU than the
        # requests do (httpcore scans the whole pool for every request).
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30, limits=ONE_CONNECTION) as client:
            await self._work(client, worker, deadline, budget)

    async def _work(self, client: httpx.AsyncClient, worker: int, deadline: float, budget: list[int]) -> None:
        draw = random.Random(f"{self.seed}-{worker}")
        template: Template | None = None
        templates = exercises = 0
        while time.monotonic() < deadline and budget[0] > 0:
            budget[0] -= 1
            if draw.random() < self.write_share:
                if draw.random() < 0.3:
                    exercises += 1
                    await self.exercise(client, worker, exercises)
                    continue
                if template is None:
                    templates += 1
                    template = Template(f"soak_{self.run}_w{worker}_t{templates}")
                    self.tally.templates.append(template)
                if await self.template_step(client, template, draw):
                    template = None
                continue
            roll = draw.random()  # the rest: reads 45 : plans 40 : deliberate 4xx 5
            if roll < 45 / 90:
                await self.read(client, draw)
            elif roll < 85 / 90:
                await self.plan(client, draw)
            else:
                await self.invalid(client, draw)


async def _sample_rss(server: LiveServer, tally: Tally, deadline: float) -> None:
    while time.monotonic() < deadline:
        tally.rss.append((time.monotonic() - tally.started, server.rss_kib()))
        await asyncio.sleep(5)


async def _verify(client: httpx.AsyncClient, key: str, tally: Tally) -> tuple[int, int, list[str]]:
    """Read every acknowledged write back: (acknowledged, found, what is missing)."""
    headers = {"X-API-Key": key}
    limit = asyncio.Semaphore(16)
    missing: list[str] = []
    found = 0

    async def get(path: str) -> httpx.Response:
        async with limit:
            return await client.get(path, headers=headers)

    async def check_template(template: Template) -> int:
        seen = 0
        done = set(template.acknowledged)
        base = f"/v1/plan-templates/{template.slug}"
        if "template" in done:
            seen += (await get(base)).status_code == 200
        if done & {"draft1", "edit1", "publish1"}:
            answer = await get(f"{base}/versions/1")
            if answer.status_code == 200:
                body = answer.json()
                seen += "draft1" in done
                hold = body["modes"]["standalone"]["phases"][0]["hold_seconds"]
                seen += "edit1" in done and hold == template.hold_seconds
                seen += "publish1" in done and body["status"] == "published"
        if "draft2" in done:
            answer = await get(f"{base}/versions/2")
            seen += answer.status_code == 200 and answer.json()["status"] == "draft"
        if seen != len(done):
            missing.append(f"{template.slug}: acknowledged {sorted(done)}, {seen} found")
        return seen

    async def check_exercise(slug: str) -> int:
        if (await get(f"/v1/exercises/{slug}")).status_code == 200:
            return 1
        missing.append(f"exercise {slug}")
        return 0

    results = await asyncio.gather(
        *(check_template(t) for t in tally.templates), *(check_exercise(s) for s in tally.exercises)
    )
    found = sum(results)
    acknowledged = sum(len(t.acknowledged) for t in tally.templates) + len(tally.exercises)
    return acknowledged, found, missing


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def soak(server: LiveServer, key: str, args: argparse.Namespace) -> int:
    seconds, connections, seed = args.seconds, args.connections, args.seed
    with httpx.Client(base_url=server.base_url, timeout=30) as sync_client:
        catalogue = Catalogue(sync_client)
    plans = PlanRequests(server.base_url, seed).many(PLAN_POOL)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        load = Load(server.base_url, key, catalogue, plans, seed, args.write_share)
        rss_ready = server.rss_kib()
        server_cpu, own_cpu = server.cpu_seconds(), time.process_time()
        load.tally.started = time.monotonic()
        deadline = load.tally.started + seconds
        budget = [args.max_requests]
        sampler = asyncio.create_task(_sample_rss(server, load.tally, deadline))
        await asyncio.gather(*(load.worker(n, deadline, budget) for n in range(connections)))
        elapsed = time.monotonic() - load.tally.started
        server_cpu, own_cpu = server.cpu_seconds() - server_cpu, time.process_time() - own_cpu
        await sampler
        rss_end = server.rss_kib()
        acknowledged, found, missing = await _verify(client, key, load.tally)

    tally = load.tally
    total = sum(tally.requests.values())
    warm = [rss for at, rss in tally.rss if at >= min(10.0, seconds / 6)] or [rss_end]
    rss_warm = warm[0]
    flat = rss_end <= rss_warm * RSS_GROWTH_ALLOWED + RSS_SLACK_KIB
    say(
        f"soak: {seconds:.0f} s, {connections} connections, {args.write_share:.0%} writes, seed {seed}, "
        f"server {server.base_url} ({'SQLite' if server.database_url.startswith('sqlite') else 'PostgreSQL'})"
    )
    say(
        f"requests: {total} in {elapsed:.1f} s = {total / elapsed:.0f}/s; "
        + ", ".join(f"{kind} {count}" for kind, count in sorted(tally.requests.items()))
    )
    everything = [latency for latencies in tally.latencies.values() for latency in latencies]
    for kind, latencies in [("all", everything), *sorted(tally.latencies.items())]:
        say(
            f"latency {kind}: p50 {_percentile(latencies, 0.5) * 1000:.0f} ms, "
            f"p95 {_percentile(latencies, 0.95) * 1000:.0f} ms, p99 {_percentile(latencies, 0.99) * 1000:.0f} ms, "
            f"max {max(latencies, default=0) * 1000:.0f} ms"
        )
    say(
        f"CPU: server {server_cpu:.1f} s ({server_cpu / elapsed:.0%} of a core), "
        f"load generator {own_cpu:.1f} s ({own_cpu / elapsed:.0%}); 2 cores shared"
    )
    say(f"errors: {tally.errors}")
    for sample in tally.error_samples:
        say(f"  {sample}")
    say(
        f"writes: {acknowledged} acknowledged, {found} found ({len(tally.templates)} templates, "
        f"{len(tally.exercises)} exercises)"
    )
    for line in missing[:MAX_ERROR_SAMPLES]:
        say(f"  missing: {line}")
    say(
        f"server RSS: {rss_ready / 1024:.1f} MiB ready, {rss_warm / 1024:.1f} MiB after warm-up, "
        f"{rss_end / 1024:.1f} MiB at the end ({'flat' if flat else 'GREW'})"
    )
    say("RSS every 5 s (MiB): " + " ".join(f"{rss / 1024:.0f}" for _at, rss in tally.rss))
    failed = [
        what
        for what, bad in (
            ("errors", tally.errors > 0),
            ("lost writes", found != acknowledged),
            ("memory grew", not flat),
            ("no writes", acknowledged == 0 and args.write_share > 0),
        )
        if bad
    ]
    say("soak: FAILED (" + ", ".join(failed) + ")" if failed else "soak: passed")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="How long the load runs (default 60).")
    parser.add_argument("--connections", type=int, default=64, help="Concurrent connections (default 64).")
    parser.add_argument("--database-url", help="Serve this database (migrated and seeded first); default SQLite.")
    parser.add_argument("--seed", type=int, default=1, help="Seed of the request mix.")
    parser.add_argument("--write-share", type=float, default=0.10, help="Share of writes in the mix (default 0.10).")
    parser.add_argument("--max-requests", type=int, default=5_000_000, help="Stop after this many requests.")
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 3600 or not 1 <= args.connections <= 1024 or not 0 <= args.write_share <= 1:
        parser.error("--seconds must be 1..3600, --connections 1..1024 and --write-share 0..1")
    with tempfile.TemporaryDirectory(prefix="ceplan-soak-") as scratch:
        folder = Path(scratch)
        url = args.database_url or f"sqlite:///{folder / 'ceplan.db'}"
        prepare_database(url, SEED_DIR)
        key = create_api_key(url, f"soak_{uuid.uuid4().hex[:6]}")
        with LiveServer(url, folder / "server.log") as server:
            code = asyncio.run(soak(server, key, args))
            if code:
                say("server log (last lines):")
                say("\n".join(server.output().splitlines()[-40:]))
    return code


if __name__ == "__main__":
    sys.exit(main())
