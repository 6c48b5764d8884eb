"""`make bench`: the real server under wrk on SQLite and PostgreSQL, and the engine in process.

    python -m tests.benchmarks.run [--json FILE] [--duration S] [--databases sqlite,postgresql]
                                   [--concurrency 8,32,64] [--soak-plans N] ...

Prints one table of the HTTP cells (requests/s, p50, p99, errors, ratio to /healthz at the same concurrency),
the server's memory, the engine figures and each target with PASS or FAIL. See README.md beside this file.
"""

import argparse
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.benchmarks.engine import EngineCell, SnapshotCost, run_engine
from tests.benchmarks.load import WrkResult, ensure_wrk, log, post_script, rotating_script, run_wrk, run_wrk_until
from tests.benchmarks.payloads import (
    EXERCISE_LIMIT,
    EXERCISE_SLUG,
    FIVE_FINDINGS,
    PAYLOADS,
    distinct_plan_bodies,
    finding_count,
)
from tests.benchmarks.server import POSTGRES_ADMIN, postgres_database, prepare
from tests.live_server import PROJECT_ROOT, LiveServer

DATABASES = ("sqlite", "postgresql")
TARGET_CONCURRENCY = 32
PLAN_RATIO, PLAN_P99_FACTOR, EXERCISES_RATIO, RSS_LIMIT_MB = 0.5, 3.0, 0.6, 150.0
ENGINE_TARGET, GROWTH_LIMIT = 5000.0, 2.0
DISTINCT_BODIES = 20_000


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass(frozen=True)
class Endpoint:
    """One row group of the table: what wrk asks for."""

    name: str
    path: str
    body: str | None = None  # a fixed POST body
    rotating: bool = False  # POST distinct bodies from a file, in turn
    only_at: int | None = None  # measured at this concurrency only


def endpoints() -> list[Endpoint]:
    found = [
        Endpoint("GET /healthz", "/healthz"),
        Endpoint(f"GET /v1/exercises?limit={EXERCISE_LIMIT}", f"/v1/exercises?limit={EXERCISE_LIMIT}"),
        Endpoint(f"GET /v1/exercises/{EXERCISE_SLUG}", f"/v1/exercises/{EXERCISE_SLUG}"),
    ]
    for path in ("/v1/analyses", "/v1/plans"):
        for name, payload in PAYLOADS.items():
            body = json.dumps(payload, separators=(",", ":"))
            found.append(Endpoint(f"POST {path} {name} ({finding_count(payload)})", path, body))
    found.append(Endpoint("POST /v1/plans distinct (memo misses)", "/v1/plans", rotating=True, only_at=32))
    return found


HEALTHZ = "GET /healthz"
EXERCISES = f"GET /v1/exercises?limit={EXERCISE_LIMIT}"
PLANS_FIVE = f"POST /v1/plans five ({finding_count(FIVE_FINDINGS)})"


@dataclass
class Cell:
    database: str
    endpoint: str
    concurrency: int
    result: WrkResult
    server_cpu_seconds: float
    healthz_ratio: float = math.nan
    healthz_cpu_ratio: float = math.nan  # healthz's server CPU per request / this one's: steadier on a busy machine

    @property
    def cpu_us_per_request(self) -> float:
        return self.server_cpu_seconds / self.result.requests * 1e6 if self.result.requests else math.nan

    def as_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "endpoint": self.endpoint,
            "concurrency": self.concurrency,
            **self.result.as_json(),
            "healthz_ratio": self.healthz_ratio,
            "healthz_cpu_ratio": self.healthz_cpu_ratio,
            "server_cpu_us_per_request": self.cpu_us_per_request,
        }


@dataclass
class Memory:
    database: str
    rss_start_mb: float  # ready, before any request
    rss_before_load_mb: float  # after the validation requests and the warm-up
    rss_after_load_mb: float
    soak: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    wanted: str
    passed: bool | None  # None: not measured in this run

    @property
    def verdict(self) -> str:
        return "n/a" if self.passed is None else "PASS" if self.passed else "FAIL"


# --- the HTTP part --------------------------------------------------------------------------------------------


def validate(server: LiveServer) -> None:
    """Every request the benchmark sends must succeed before anything is measured."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        for path in ("/healthz", f"/v1/exercises?limit={EXERCISE_LIMIT}", f"/v1/exercises/{EXERCISE_SLUG}"):
            answer = client.get(path)
            if answer.status_code != 200:
                raise SystemExit(f"GET {path} answered {answer.status_code}: {answer.text[:500]}")
        for path in ("/v1/analyses", "/v1/plans"):
            for name, payload in PAYLOADS.items():
                answer = client.post(path, json=payload)
                if answer.status_code != 200:
                    raise SystemExit(f"POST {path} {name} answered {answer.status_code}: {answer.text[:500]}")
        for body in distinct_plan_bodies(50, seed=99):
            answer = client.post("/v1/plans", content=body, headers={"Content-Type": "application/json"})
            if answer.status_code != 200:
                raise SystemExit(f"POST /v1/plans {body} answered {answer.status_code}: {answer.text[:500]}")


def measure_database(
    database: str, url: str, args: argparse.Namespace, wrk: str, scratch: Path
) -> tuple[list[Cell], Memory]:
    server = LiveServer(
        url,
        scratch / f"server_{database}.log",
        auto_migrate="true" if database == "sqlite" else "false",
        log_level=args.log_level,
    )
    try:
        server.wait_ready()
        rss_start = rss_mb(server)
        log(f"{database}: server on port {server.port}, pid {server.process.pid}, {rss_start:.1f} MB")
        validate(server)
        scripts: dict[str, Path] = {}
        bodies = scratch / "distinct_bodies.jsonl"
        for endpoint in endpoints():
            if endpoint.body is not None:
                scripts[endpoint.name] = post_script(scratch, f"{database}_{len(scripts)}", endpoint.body)
            elif endpoint.rotating:
                scripts[endpoint.name] = rotating_script(scratch, f"{database}_{len(scripts)}", endpoint.path, bodies)
        run_wrk(wrk, f"{server.base_url}/healthz", 32, 1)  # warm-up
        rss_before = rss_mb(server)
        cells: list[Cell] = []
        for concurrency in args.concurrency:
            for endpoint in endpoints():
                if endpoint.only_at not in (None, concurrency):
                    continue
                cpu = server.cpu_seconds()
                result = run_wrk(
                    wrk, server.base_url + endpoint.path, concurrency, args.duration, scripts.get(endpoint.name)
                )
                cell = Cell(database, endpoint.name, concurrency, result, server.cpu_seconds() - cpu)
                cells.append(cell)
                log(
                    f"  {database} c={concurrency} {endpoint.name}: {result.requests_per_second:,.0f} req/s, "
                    f"p99 {result.p99_ms:.1f} ms, {result.errors} errors"
                )
        rss_after = rss_mb(server)
        memory = Memory(database, rss_start, rss_before, rss_after)
        if args.soak_plans > 0:
            memory.soak = soak(server, args, wrk, scratch)
        return cells, memory
    except BaseException:
        log(f"{database}: the server's last log lines:\n{server.output()[-5000:]}")
        raise
    finally:
        server.stop()


def rss_mb(server: LiveServer) -> float:
    return server.rss_kib() / 1024


def plans_generated(server: LiveServer) -> float:
    """Plans the server has answered so far, from its Prometheus counter."""
    text = httpx.get(f"{server.base_url}/metrics", timeout=10).text
    return sum(float(m.group(1)) for m in re.finditer(r"^ceplan_plans_generated_total\{[^}]*\} (\S+)$", text, re.M))


def soak(server: LiveServer, args: argparse.Namespace, wrk: str, scratch: Path) -> dict[str, Any]:
    """POST `--soak-plans` plans (wrk is stopped when the server's plan counter has grown by that many) and
    sample the worker's RSS every second or so."""
    if args.soak_kind == "fixed":
        soak_bodies = scratch / "soak_fixed.jsonl"
        soak_bodies.write_text(
            "".join(json.dumps(p, separators=(",", ":")) + "\n" for p in PAYLOADS.values()), encoding="utf-8"
        )
    else:
        soak_bodies = scratch / "soak_distinct.jsonl"  # not the bodies of the table, which the memo has seen
        soak_bodies.write_text("\n".join(distinct_plan_bodies(args.soak_plans, seed=7)) + "\n", encoding="utf-8")
    script = rotating_script(scratch, "soak", "/v1/plans", soak_bodies, stop_after=args.soak_plans)
    before = rss_mb(server)
    goal = plans_generated(server) + args.soak_plans
    start = time.monotonic()
    samples: list[tuple[float, float]] = []

    def tick() -> bool:
        elapsed = time.monotonic() - start
        if not samples or elapsed - samples[-1][0] >= 1.0:
            samples.append((round(elapsed, 1), round(rss_mb(server), 1)))
        return bool(plans_generated(server) >= goal)

    log(f"soak: {args.soak_plans:,} plan requests ({args.soak_kind}), RSS {before:.1f} MB")
    # The duration is only a bound: at least 50 plans a second.
    result = run_wrk_until(wrk, f"{server.base_url}/v1/plans", 32, script, tick, max(60, args.soak_plans / 50))
    after = rss_mb(server)
    peak = max([before, after, *(rss for _, rss in samples)])
    log(f"soak: {result.requests:,} requests, RSS {before:.1f} -> {after:.1f} MB (peak {peak:.1f})")
    return {
        "kind": args.soak_kind,
        "requests": result.requests,
        "errors": result.errors,
        "requests_per_second": result.requests_per_second,
        "rss_before_mb": before,
        "rss_after_mb": after,
        "rss_peak_mb": peak,
        "rss_samples": samples,
    }


@contextmanager
def database_url(database: str, scratch: Path, admin: str) -> Iterator[str]:
    if database == "sqlite":
        yield f"sqlite:///{scratch / 'bench.db'}"
        return
    with postgres_database(admin, "http") as url:
        log("postgresql: ceplan migrate + ceplan seed")
        prepare(url)
        yield url


def add_ratios(cells: list[Cell]) -> None:
    healthz = {(c.database, c.concurrency): c for c in cells if c.endpoint == HEALTHZ}
    for cell in cells:
        base = healthz.get((cell.database, cell.concurrency))
        if base is None:
            continue
        if base.result.requests_per_second:
            cell.healthz_ratio = cell.result.requests_per_second / base.result.requests_per_second
        cell.healthz_cpu_ratio = base.cpu_us_per_request / cell.cpu_us_per_request


# --- targets ----------------------------------------------------------------------------------------------------


def _cell(cells: list[Cell], database: str, endpoint: str, concurrency: int) -> Cell | None:
    return next(
        (c for c in cells if (c.database, c.endpoint, c.concurrency) == (database, endpoint, concurrency)), None
    )


def http_targets(cells: list[Cell], memory: list[Memory]) -> list[Target]:
    found: list[Target] = []
    c = TARGET_CONCURRENCY
    for database in dict.fromkeys(cell.database for cell in cells):
        plans, health = _cell(cells, database, PLANS_FIVE, c), _cell(cells, database, HEALTHZ, c)
        exercises = _cell(cells, database, EXERCISES, c)
        if plans and health:
            found.append(
                Target(
                    f"{database}: POST /v1/plans five, c={c}, req/s vs healthz",
                    f"{plans.healthz_ratio:.2f}x (by CPU {plans.healthz_cpu_ratio:.2f}x)",
                    f">= {PLAN_RATIO}x",
                    plans.healthz_ratio >= PLAN_RATIO,
                )
            )
            limit = PLAN_P99_FACTOR * health.result.p99_ms
            found.append(
                Target(
                    f"{database}: POST /v1/plans five, c={c}, p99",
                    f"{plans.result.p99_ms:.1f} ms",
                    f"<= {PLAN_P99_FACTOR:g}x healthz p99 = {limit:.1f} ms",
                    plans.result.p99_ms <= limit,
                )
            )
        else:
            found.append(Target(f"{database}: POST /v1/plans five, c={c}", "not measured", "", None))
        if exercises:
            found.append(
                Target(
                    f"{database}: {EXERCISES}, c={c}, req/s vs healthz",
                    f"{exercises.healthz_ratio:.2f}x (by CPU {exercises.healthz_cpu_ratio:.2f}x)",
                    f">= {EXERCISES_RATIO}x",
                    exercises.healthz_ratio >= EXERCISES_RATIO,
                )
            )
    for m in memory:
        worst = max(m.rss_after_load_mb, m.soak.get("rss_after_mb", 0.0), m.soak.get("rss_peak_mb", 0.0))
        found.append(
            Target(
                f"{m.database}: worker RSS (max after load/soak)",
                f"{worst:.1f} MB",
                f"< {RSS_LIMIT_MB:g} MB",
                worst < RSS_LIMIT_MB,
            )
        )
    return found


def engine_targets(cells: list[EngineCell]) -> list[Target]:
    by = {(c.catalogue, c.payload): c for c in cells}
    found: list[Target] = []
    five = by.get(("1x", "five"))
    if five:
        found.append(
            Target(
                "engine: five-finding plans/s, memo warm, one core",
                f"{five.warm_plans_per_second:,.0f}",
                f">= {ENGINE_TARGET:,.0f}",
                five.warm_plans_per_second >= ENGINE_TARGET,
            )
        )
    for name in PAYLOADS:
        small, large = by.get(("1x", name)), by.get(("10x", name))
        if not small or not large:
            continue
        for state in ("warm", "cold"):
            slower = getattr(large, f"{state}_us") / getattr(small, f"{state}_us")
            found.append(
                Target(
                    f"engine: 10x catalogue, {name}, memo {state}, time vs 1x",
                    f"{slower:.2f}x",
                    f"<= {GROWTH_LIMIT:g}x",
                    slower <= GROWTH_LIMIT,
                )
            )
    return found


# --- the report -------------------------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def report(
    cells: list[Cell],
    memory: list[Memory],
    engine: list[EngineCell],
    snapshots: list[SnapshotCost],
    targets: list[Target],
) -> None:
    if cells:
        say("HTTP: wrk -t1 -c<c> --latency against `ceplan serve` (uvicorn, one worker)")
        rows = [
            [
                c.database,
                c.endpoint,
                str(c.concurrency),
                f"{c.result.requests_per_second:,.0f}",
                f"{c.result.p50_ms:.2f}",
                f"{c.result.p99_ms:.2f}",
                str(c.result.errors),
                f"{c.healthz_ratio:.2f}",
                f"{c.cpu_us_per_request:,.0f}",
                f"{c.healthz_cpu_ratio:.2f}",
            ]
            for c in cells
        ]
        headers = [
            "database",
            "endpoint / payload",
            "c",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "x healthz",
            "cpu us/req",
            "x healthz cpu",
        ]
        for line in table(headers, rows, {2, 3, 4, 5, 6, 7, 8, 9}):
            say(line)
        say()
        for m in memory:
            line = (
                f"{m.database}: worker RSS {m.rss_start_mb:.1f} MB at start, {m.rss_before_load_mb:.1f} MB before the "
                f"load, {m.rss_after_load_mb:.1f} MB after"
            )
            if m.soak:
                s = m.soak
                line += (
                    f"; soak of {s['requests']:,} plans ({s['kind']}, {s['errors']} errors, "
                    f"{s['requests_per_second']:,.0f}/s): {s['rss_before_mb']:.1f} -> {s['rss_after_mb']:.1f} MB, "
                    f"peak {s['rss_peak_mb']:.1f} MB"
                )
            say(line)
        say()
    if engine:
        say("Engine in process, one core: app.domain.planner.make_plan (memo warm / cleared before each plan)")
        rows = [
            [
                e.catalogue,
                str(e.exercises),
                e.payload,
                f"{e.warm_plans_per_second:,.0f}",
                f"{e.warm_us:,.0f}",
                f"{e.cold_plans_per_second:,.0f}",
                f"{e.cold_us:,.0f}",
                f"{e.render_us:,.0f}",
                f"{e.parse_us:,.0f}",
            ]
            for e in engine
        ]
        headers = [
            "catalogue",
            "exercises",
            "payload",
            "warm plans/s",
            "warm us",
            "cold plans/s",
            "cold us",
            "render us",
            "parse us",
        ]
        for line in table(headers, rows, {1, 3, 4, 5, 6, 7, 8}):
            say(line)
        for snapshot in snapshots:
            say(
                f"{snapshot.catalogue} catalogue ({snapshot.exercises} exercises): load_catalogue "
                f"{snapshot.load_ms:,.0f} ms, first five-finding plan on the fresh snapshot "
                f"{snapshot.first_plan_ms:,.1f} ms"
            )
        say()
    if targets:
        say("Targets")
        rows = [[t.verdict, t.name, t.measured, t.wanted] for t in targets]
        for line in table(["", "target", "measured", "wanted"], rows, set()):
            say(line)


def machine() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg(),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


# --- the command ------------------------------------------------------------------------------------------------


def _list(kind: type, allowed: tuple[str, ...] = ()) -> Any:
    def parse(text: str) -> list[Any]:
        values = [kind(v.strip()) for v in text.split(",") if v.strip()]
        bad = [v for v in values if allowed and v not in allowed]
        if bad or not values:
            raise argparse.ArgumentTypeError(
                f"expected a comma-separated list of {', '.join(allowed) or kind.__name__}"
            )
        return values

    return parse


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of wrk per cell (default 5)")
    parser.add_argument(
        "--databases", type=_list(str, DATABASES), default=list(DATABASES), help="sqlite,postgresql (default both)"
    )
    parser.add_argument("--concurrency", type=_list(int), default=[8, 32, 64], help="wrk connections (default 8,32,64)")
    parser.add_argument("--soak-plans", type=int, default=0, help="after the load, POST this many plans (e.g. 100000)")
    parser.add_argument(
        "--soak-kind",
        choices=("distinct", "fixed"),
        default="distinct",
        help="soak with distinct requests (memo misses; default) or the three fixed payloads",
    )
    parser.add_argument("--engine-seconds", type=float, default=1.0, help="time budget per engine figure (default 1)")
    parser.add_argument("--skip-http", action="store_true", help="only the engine")
    parser.add_argument("--skip-engine", action="store_true", help="only the server")
    parser.add_argument(
        "--log-level", default="INFO", help="CEPLAN_LOG_LEVEL of the server (default INFO, as deployed)"
    )
    parser.add_argument(
        "--postgres-admin", default=POSTGRES_ADMIN, help=f"where to create the scratch database ({POSTGRES_ADMIN})"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    started = time.monotonic()
    meta = machine() | {"arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}}
    cells: list[Cell] = []
    memory: list[Memory] = []
    engine: list[EngineCell] = []
    snapshots: list[SnapshotCost] = []
    with tempfile.TemporaryDirectory(prefix="ceplan-bench-") as tmp:
        scratch = Path(tmp)
        if not args.skip_engine:
            engine, snapshots = run_engine(scratch, args.engine_seconds)
        if not args.skip_http:
            wrk = ensure_wrk()
            (scratch / "distinct_bodies.jsonl").write_text(
                "\n".join(distinct_plan_bodies(DISTINCT_BODIES)) + "\n", encoding="utf-8"
            )
            for database in args.databases:
                with database_url(database, scratch, args.postgres_admin) as url:
                    found, used = measure_database(database, url, args, wrk, scratch)
                cells += found
                memory.append(used)
    add_ratios(cells)
    targets = http_targets(cells, memory) + engine_targets(engine)
    report(cells, memory, engine, snapshots, targets)
    meta |= {"seconds": round(time.monotonic() - started, 1), "load_average_at_end": os.getloadavg()}
    start_load, end_load = meta["load_average_at_start"][0], meta["load_average_at_end"][0]
    say(f"\n({meta['seconds']:.0f} s; 1-minute load average {start_load:.2f} at start, {end_load:.2f} at end)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "meta": meta,
                    "http": [c.as_json() for c in cells],
                    "memory": [asdict(m) for m in memory],
                    "engine": [e.as_json() for e in engine],
                    "snapshots": [asdict(s) for s in snapshots],
                    "targets": [asdict(t) | {"verdict": t.verdict} for t in targets],
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
