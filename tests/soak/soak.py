"""Soak: a bounded load on the real server, then checks that nothing went wrong and nothing was lost.

    python -m tests.soak.soak [--seconds 60] [--connections 64] [--database-url URL] [--write-share 0.1] [--seed 1]
                              [--baseline-seconds 20] [--hostile 4] [--slow-connections 50]

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

Writes come from two tenants and carry an Idempotency-Key; a write answered with an error is retried once with the
same key. First --baseline-seconds of that mix alone, then --seconds of it with a hostile third tenant beside it:
--hostile connections sending oversized and malformed writes, control characters, unbounded lists, failed keys,
and templates past its quota, and --slow-connections sockets that trickle a request head a byte at a time.

Then it checks: zero errors (every answer is the one expected: 2xx, or the 4xx deliberately asked for; the
hostile tenant must get 4xx, never 5xx), no committed write answered with an error (a retry replayed, or a
refused create found stored), no lost writes (every acknowledged template, version, edit and exercise is read back
through the API), every slow connection cut by the server, the worker's memory flat and under MAX_RSS_MIB at the
end, and the anonymous plans' p99 under the hostile load within P99_RATIO_ALLOWED of the baseline's. It prints a
summary and exits 1 if a check failed.
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
MAX_RSS_MIB = 200
P99_RATIO_ALLOWED = 3.0
HOSTILE_EXPECTED = {400, 401, 403, 404, 409, 413, 415, 422, 429, 431}
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
    key: dict[str, str]  # the tenant's
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
    exercises: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (slug, the tenant's key)
    rss: list[tuple[float, int]] = field(default_factory=list)
    server_errors: int = 0  # 5xx answers
    committed_errors: list[str] = field(default_factory=list)  # writes answered with an error that were committed
    refused: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (path, key) of creates never acked
    slow: list[tuple[bool, float]] = field(default_factory=list)  # slow connections: (cut by the server, held s)

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
        keys: list[str],
        catalogue: Catalogue,
        plans: list[Any],
        seed: int,
        write_share: float,
    ) -> None:
        self.base_url = base_url
        self.keys = [{"X-API-Key": key} for key in keys]
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
        self.tally.server_errors += response.status_code >= 500
        if response.status_code not in expected:
            self.tally.error(f"{kind}: {method} {path}: {response.status_code} {response.text[:300]}")
            return None
        return response

    async def write(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        expected: set[int],
        headers: dict[str, str],
        stored_at: str | None = None,
        **kw: Any,
    ) -> httpx.Response | None:
        """A write as a careful client sends it: with an Idempotency-Key, retried once when answered with an error.
        A retry that is replayed (or an edit's retry that meets its own new ETag, 412) means the first attempt was
        committed though answered with an error; a create never acknowledged is looked for at the end."""
        keyed = {**headers, "Idempotency-Key": uuid.uuid4().hex} if method == "POST" else headers
        first = await self.call(client, "write", method, path, expected, headers=keyed, **kw)
        if first is not None:
            return first
        retry = await self.call(client, "write", method, path, expected | {412}, headers=keyed, **kw)
        if retry is not None and (retry.headers.get("Idempotent-Replayed") == "true" or retry.status_code == 412):
            self.tally.committed_errors.append(f"{method} {path}")
            return None if retry.status_code == 412 else retry
        if retry is None and stored_at is not None:
            self.tally.refused.append((stored_at, headers))
        return retry

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
            await self.call(client, "anonymous_plan", "POST", "/v1/plans", {200}, json=draw.choice(self.plans))

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
        key = self.keys[worker % len(self.keys)]
        stored_at = f"/v1/exercises/{slug}"
        if await self.write(client, "POST", "/v1/exercises", {201}, key, stored_at, json=body):
            self.tally.exercises.append((slug, key))

    async def template_step(self, client: httpx.AsyncClient, template: Template, draw: random.Random) -> bool:
        """One request of the template's life; True once it is over."""
        base = f"/v1/plan-templates/{template.slug}"
        step = template.step
        if step == 0:
            body: dict[str, Any] = {"slug": template.slug, "title": f"Soak {template.slug}"}
            ok = await self.write(client, "POST", "/v1/plan-templates", {201}, template.key, base, json=body)
            if ok:
                template.acknowledged.append("template")
        elif step == 1:
            ok = await self.write(
                client,
                "POST",
                f"{base}/versions",
                {201},
                template.key,
                f"{base}/versions/1",
                json={"modes": EXAMPLE_MODES},
            )
            if ok:
                template.etag = ok.headers["ETag"]
                template.acknowledged.append("draft1")
        elif step == 2:
            template.hold_seconds = draw.randint(20, 90)
            modes: dict[str, Any] = json.loads(json.dumps(EXAMPLE_MODES))
            modes["standalone"]["phases"][0]["hold_seconds"] = template.hold_seconds
            headers = {**template.key, "If-Match": template.etag}
            ok = await self.write(client, "PUT", f"{base}/versions/1", {200}, headers, json={"modes": modes})
            if ok:
                template.acknowledged.append("edit1")
        elif step == 3:
            ok = await self.write(client, "POST", f"{base}/versions/1/publish", {200}, template.key)
            if ok:
                template.acknowledged.append("publish1")
        elif step == 4:
            pinned = {**draw.choice(self.plans)}
            pinned["preferences"] = {**pinned["preferences"], "template": {"slug": template.slug, "version": 1}}
            ok = await self.call(client, "plan", "POST", "/v1/plans", {200}, headers=template.key, json=pinned)
            used = ok.json()["template"] if ok else {}
            if ok and (used.get("slug"), used.get("version")) != (template.slug, 1):
                self.tally.error(f"a plan pinned to {template.slug} v1 used {used}")
        else:
            ok = await self.write(
                client, "POST", f"{base}/versions", {201}, template.key, f"{base}/versions/2", json={"copy_from": 1}
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
                    template = Template(f"soak_{self.run}_w{worker}_t{templates}", self.keys[worker % len(self.keys)])
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


class Hostile:
    """A third tenant out to hurt the others: every request it sends must be refused with a 4xx, quickly."""

    def __init__(self, load: Load, key: str, plans: list[Any]) -> None:
        self.load, self.key, self.plans = load, {"X-API-Key": key}, plans

    def _attempts(self, draw: random.Random, number: int) -> tuple[str, str, dict[str, str], Any]:
        """(method, path, headers, body) of one hostile request; the body is bytes when it is not JSON."""
        exercise = {**EXERCISE_EXAMPLE, "slug": f"hostile_{number}", "name": "Hostile"}
        plan = copy.deepcopy(draw.choice(self.plans))
        choice = number % 8
        if choice == 0:  # one instruction of a megabyte: over the body limit
            return "POST", "/v1/exercises", self.key, {**exercise, "instructions": ["x" * 1_048_600]}
        if choice == 1:  # under the body limit, over every string's limit
            return "POST", "/v1/exercises", self.key, {**exercise, "cues": ["y" * 200_000]}
        if choice == 2:  # not JSON at all
            return "POST", "/v1/plan-templates", self.key, b'{"slug": "hostile", "title": '
        if choice == 3:  # a name with a bidirectional override
            return "POST", "/v1/plan-templates", self.key, {"slug": f"hostile_{number}", "title": "evil\u202ename"}
        if choice == 4:  # a key that does not exist
            wrong = {"X-API-Key": f"cep_{draw.randrange(16**12):012x}_{uuid.uuid4().hex}"}
            return "POST", "/v1/plan-templates", wrong, {"slug": f"hostile_{number}", "title": "Nobody"}
        if choice == 5:  # templates until the quota says no
            return "POST", "/v1/plan-templates", self.key, {"slug": f"hostile_{number}", "title": "Filler"}
        if choice == 6:  # an unbounded list, echoed back if it could be
            plan["screening"] = {**plan.get("screening", {}), "pain_locations": ["z" * 100] * 20_000}
            return "POST", "/v1/plans", {}, plan
        return "GET", f"/v1/exercises/{'no_such_' * 100}{number}", {}, None  # an unknown id, long

    async def run(self, worker: int, deadline: float) -> None:
        draw = random.Random(f"hostile-{worker}")
        async with httpx.AsyncClient(base_url=self.load.base_url, timeout=30, limits=ONE_CONNECTION) as client:
            number = worker * 1_000_000
            while time.monotonic() < deadline:
                number += 1
                method, path, headers, body = self._attempts(draw, number)
                # Templates may be created (201) until the quota, and a retried slug is a 409.
                expected = HOSTILE_EXPECTED | ({201} if "Filler" in str(body) else set())
                kw: dict[str, Any] = {"content": body} if isinstance(body, bytes) else {"json": body}
                if isinstance(body, bytes):
                    headers = {**headers, "Content-Type": "application/json"}
                await self.load.call(client, "hostile", method, path, expected, headers=headers, **kw)


async def _slow_connection(host: str, port: int, deadline: float, tally: Tally) -> None:
    """A slowloris: a request head trickled a byte every two seconds. The server must cut it."""
    opened = time.monotonic()
    reader, writer = await asyncio.open_connection(host, port)
    head = b"POST /v1/plans HTTP/1.1\r\nHost: soak\r\nX-Slow: " + b"a" * 10_000
    cut = False
    try:
        for byte in head:
            if time.monotonic() >= deadline:
                break
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                await asyncio.wait_for(reader.read(1024), timeout=2.0)  # an answer (408, 431) or the close
            except TimeoutError:
                continue
            cut = True
            break
    except (ConnectionError, OSError):
        cut = True
    finally:
        writer.close()
    tally.slow.append((cut, time.monotonic() - opened))


async def _sample_rss(server: LiveServer, tally: Tally, deadline: float) -> None:
    while time.monotonic() < deadline:
        tally.rss.append((time.monotonic() - tally.started, server.rss_kib()))
        await asyncio.sleep(5)


async def _verify(client: httpx.AsyncClient, tally: Tally) -> tuple[int, int, list[str]]:
    """Read every acknowledged write back: (acknowledged, found, what is missing). Creates that were never
    acknowledged must not be stored: one that is was committed though answered with an error."""
    limit = asyncio.Semaphore(16)
    missing: list[str] = []

    async def get(path: str, headers: dict[str, str]) -> httpx.Response:
        async with limit:
            return await client.get(path, headers=headers)

    async def check_template(template: Template) -> int:
        seen = 0
        done = set(template.acknowledged)
        base = f"/v1/plan-templates/{template.slug}"
        if "template" in done:
            seen += (await get(base, template.key)).status_code == 200
        if done & {"draft1", "edit1", "publish1"}:
            answer = await get(f"{base}/versions/1", template.key)
            if answer.status_code == 200:
                body = answer.json()
                seen += "draft1" in done
                hold = body["modes"]["standalone"]["phases"][0]["hold_seconds"]
                seen += "edit1" in done and hold == template.hold_seconds
                seen += "publish1" in done and body["status"] == "published"
        if "draft2" in done:
            answer = await get(f"{base}/versions/2", template.key)
            seen += answer.status_code == 200 and answer.json()["status"] == "draft"
        if seen != len(done):
            missing.append(f"{template.slug}: acknowledged {sorted(done)}, {seen} found")
        return seen

    async def check_exercise(slug: str, key: dict[str, str]) -> int:
        if (await get(f"/v1/exercises/{slug}", key)).status_code == 200:
            return 1
        missing.append(f"exercise {slug}")
        return 0

    async def check_refused(path: str, key: dict[str, str]) -> None:
        if (await get(path, key)).status_code == 200:
            tally.committed_errors.append(f"{path}: answered with an error, found stored")

    results = await asyncio.gather(
        *(check_template(t) for t in tally.templates), *(check_exercise(s, k) for s, k in tally.exercises)
    )
    await asyncio.gather(*(check_refused(path, key) for path, key in tally.refused))
    acknowledged = sum(len(t.acknowledged) for t in tally.templates) + len(tally.exercises)
    return acknowledged, sum(results), missing


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def _phase(
    load: Load, seconds: float, connections: int, max_requests: int, hostile: Hostile | None, args: argparse.Namespace
) -> float:
    """Drive the load (and the hostile tenant, when given) for `seconds`; the seconds it took."""
    load.tally.started = time.monotonic()
    deadline = load.tally.started + seconds
    budget = [max_requests]
    tasks = [load.worker(n, deadline, budget) for n in range(connections)]
    if hostile is not None:
        port = int(load.base_url.rsplit(":", 1)[1])
        tasks += [hostile.run(n, deadline) for n in range(args.hostile)]
        tasks += [_slow_connection("127.0.0.1", port, deadline, load.tally) for _ in range(args.slow_connections)]
    await asyncio.gather(*tasks)
    return time.monotonic() - load.tally.started


def _report_latencies(tally: Tally) -> None:
    everything = [latency for latencies in tally.latencies.values() for latency in latencies]
    for kind, latencies in [("all", everything), *sorted(tally.latencies.items())]:
        say(
            f"latency {kind}: p50 {_percentile(latencies, 0.5) * 1000:.0f} ms, "
            f"p95 {_percentile(latencies, 0.95) * 1000:.0f} ms, p99 {_percentile(latencies, 0.99) * 1000:.0f} ms, "
            f"max {max(latencies, default=0) * 1000:.0f} ms"
        )


async def soak(server: LiveServer, keys: list[str], hostile_key: str, args: argparse.Namespace) -> int:
    seconds, connections, seed = args.seconds, args.connections, args.seed
    with httpx.Client(base_url=server.base_url, timeout=30) as sync_client:
        catalogue = Catalogue(sync_client)
    plans = PlanRequests(server.base_url, seed).many(PLAN_POOL)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        baseline = Load(server.base_url, keys, catalogue, plans, seed, args.write_share)
        if args.baseline_seconds:
            await _phase(baseline, args.baseline_seconds, connections, args.max_requests, None, args)
        load = Load(server.base_url, keys, catalogue, plans, seed + 1, args.write_share)
        rss_ready = server.rss_kib()
        server_cpu, own_cpu = server.cpu_seconds(), time.process_time()
        sampler = asyncio.create_task(_sample_rss(server, load.tally, time.monotonic() + seconds))
        hostile = Hostile(load, hostile_key, plans) if args.hostile or args.slow_connections else None
        elapsed = await _phase(load, seconds, connections, args.max_requests, hostile, args)
        server_cpu, own_cpu = server.cpu_seconds() - server_cpu, time.process_time() - own_cpu
        await sampler
        rss_end = server.rss_kib()
        base_ack, base_found, base_missing = await _verify(client, baseline.tally)
        acknowledged, found, missing = await _verify(client, load.tally)
    acknowledged, found, missing = acknowledged + base_ack, found + base_found, base_missing + missing

    tally = load.tally
    total = sum(tally.requests.values())
    warm = [rss for at, rss in tally.rss if at >= min(10.0, seconds / 6)] or [rss_end]
    rss_warm = warm[0]
    flat = rss_end <= rss_warm * RSS_GROWTH_ALLOWED + RSS_SLACK_KIB
    say(
        f"soak: {args.baseline_seconds:.0f} s baseline, then {seconds:.0f} s with {args.hostile} hostile connections "
        f"and {args.slow_connections} slow ones; {connections} connections of two tenants, {args.write_share:.0%} "
        f"writes, seed {seed}, server {server.base_url} "
        f"({'SQLite' if server.database_url.startswith('sqlite') else 'PostgreSQL'})"
    )
    if args.baseline_seconds:
        say(f"baseline: {sum(baseline.tally.requests.values())} requests, errors {baseline.tally.errors}")
        _report_latencies(baseline.tally)
    say(
        f"requests: {total} in {elapsed:.1f} s = {total / elapsed:.0f}/s; "
        + ", ".join(f"{kind} {count}" for kind, count in sorted(tally.requests.items()))
    )
    _report_latencies(tally)
    say(
        f"CPU: server {server_cpu:.1f} s ({server_cpu / elapsed:.0%} of a core), "
        f"load generator {own_cpu:.1f} s ({own_cpu / elapsed:.0%}); 2 cores shared"
    )
    errors = tally.errors + baseline.tally.errors
    server_errors = tally.server_errors + baseline.tally.server_errors
    committed_errors = tally.committed_errors + baseline.tally.committed_errors
    say(f"errors: {errors} (5xx: {server_errors})")
    for sample in [*baseline.tally.error_samples, *tally.error_samples][:MAX_ERROR_SAMPLES]:
        say(f"  {sample}")
    say(f"committed writes answered with an error: {len(committed_errors)}")
    for line in committed_errors[:MAX_ERROR_SAMPLES]:
        say(f"  {line}")
    say(
        f"writes: {acknowledged} acknowledged, {found} found "
        f"({len(tally.templates) + len(baseline.tally.templates)} templates, "
        f"{len(tally.exercises) + len(baseline.tally.exercises)} exercises)"
    )
    for line in missing[:MAX_ERROR_SAMPLES]:
        say(f"  missing: {line}")
    cut = [held for was_cut, held in tally.slow if was_cut]
    say(
        f"slow connections: {len(cut)} of {len(tally.slow)} cut by the server"
        + (f", after {min(cut):.0f}-{max(cut):.0f} s" if cut else "")
    )
    say(
        f"server RSS: {rss_ready / 1024:.1f} MiB ready, {rss_warm / 1024:.1f} MiB after warm-up, "
        f"{rss_end / 1024:.1f} MiB at the end ({'flat' if flat else 'GREW'}; at most {MAX_RSS_MIB} MiB)"
    )
    say("RSS every 5 s (MiB): " + " ".join(f"{rss / 1024:.0f}" for _at, rss in tally.rss))
    quiet_p99 = _percentile(baseline.tally.latencies.get("anonymous_plan", []), 0.99)
    loud_p99 = _percentile(tally.latencies.get("anonymous_plan", []), 0.99)
    ratio = loud_p99 / quiet_p99 if quiet_p99 else 0.0
    if args.baseline_seconds:
        say(
            f"anonymous plan p99: {quiet_p99 * 1000:.0f} ms alone, {loud_p99 * 1000:.0f} ms beside the hostile "
            f"tenant ({ratio:.1f}x; at most {P99_RATIO_ALLOWED:.0f}x)"
        )
    failed = [
        what
        for what, bad in (
            ("errors", errors > 0),
            ("committed writes answered with an error", bool(committed_errors)),
            ("lost writes", found != acknowledged),
            ("memory grew", not flat),
            (f"memory over {MAX_RSS_MIB} MiB", rss_end > MAX_RSS_MIB * 1024),
            ("slow connections kept", len(cut) != len(tally.slow)),
            ("plans slowed by the hostile tenant", args.baseline_seconds > 0 and ratio > P99_RATIO_ALLOWED),
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
    parser.add_argument(
        "--baseline-seconds", type=float, default=20, help="The mix alone first, for the plans' p99 (default 20)."
    )
    parser.add_argument("--hostile", type=int, default=4, help="Hostile tenant's connections (default 4).")
    parser.add_argument("--slow-connections", type=int, default=50, help="Slowloris sockets (default 50).")
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 3600 or not 1 <= args.connections <= 1024 or not 0 <= args.write_share <= 1:
        parser.error("--seconds must be 1..3600, --connections 1..1024 and --write-share 0..1")
    with tempfile.TemporaryDirectory(prefix="ceplan-soak-") as scratch:
        folder = Path(scratch)
        url = args.database_url or f"sqlite:///{folder / 'ceplan.db'}"
        prepare_database(url, SEED_DIR)
        run = uuid.uuid4().hex[:6]
        keys = [create_api_key(url, f"soak_{run}_{tenant}") for tenant in ("gym_a", "gym_b")]
        hostile_key = create_api_key(url, f"soak_{run}_hostile")
        # The two tenants write at a rate no gym does (hundreds of templates a minute): quotas past what they reach
        # in a run, so every write of theirs is one the server must take; the hostile tenant fills them if it can.
        quotas = {"max_templates_per_tenant": "2000", "max_exercises_per_tenant": "2000"}
        with LiveServer(url, folder / "server.log", **quotas) as server:
            code = asyncio.run(soak(server, keys, hostile_key, args))
            if code:
                say("server log (last lines):")
                say("\n".join(server.output().splitlines()[-40:]))
    return code


if __name__ == "__main__":
    sys.exit(main())
