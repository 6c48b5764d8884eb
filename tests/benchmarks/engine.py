"""The pure engine, in process, on one core: plans per second with the per-snapshot memo warm and cold, the
rendering to JSON, and the same on a catalogue ten times larger (synthetic copies of the real exercises)."""

import gc
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from app.db import tables as t
from app.db.engine import make_engine
from app.db.repositories import load_catalogue
from app.db.seed import bump_shared_revision
from app.domain import planner
from app.domain.catalogue import Catalogue
from app.schemas.plan import PlanRequest
from app.services.plans import render_plan, to_domain
from tests.benchmarks.load import log
from tests.benchmarks.payloads import PAYLOADS
from tests.benchmarks.server import prepare

COPIES = 9  # extra copies of every shared exercise: the catalogue grows to ten times its size


@dataclass(frozen=True)
class EngineCell:
    catalogue: str  # "1x" or "10x"
    exercises: int
    payload: str
    warm_plans_per_second: float
    cold_plans_per_second: float
    render_us: float
    parse_us: float  # PlanRequest.model_validate_json + to_domain: the service's share before the engine

    @property
    def warm_us(self) -> float:
        return 1e6 / self.warm_plans_per_second

    @property
    def cold_us(self) -> float:
        return 1e6 / self.cold_plans_per_second

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"warm_us": self.warm_us, "cold_us": self.cold_us}


@dataclass(frozen=True)
class SnapshotCost:
    catalogue: str
    exercises: int
    load_ms: float  # load_catalogue: every table read into a Catalogue
    first_plan_ms: float  # the first five-finding plan on the fresh snapshot (builds its lookups and memo)


def calls_per_second(call: Callable[[], object], budget: float) -> float:
    """Best of three timed rounds, each sized to about a third of `budget` seconds."""
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < min(0.05, budget / 10):
        call()
        calls += 1
    per_call = (time.perf_counter() - start) / calls
    rounds = max(1, int(budget / 3 / per_call))
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(rounds):
            call()
        best = min(best, time.perf_counter() - start)
    return rounds / best


@contextmanager
def one_core() -> Iterator[None]:
    """Pin this process to one CPU for the measurement (the engine is single-threaded anyway)."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {max(before)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def grow_catalogue(url: str, copies: int = COPIES) -> int:
    """Insert `copies` synthetic copies of every shared exercise (same targets, tags, equipment and compensation
    links, new slugs) and bump the catalogue revision. Returns the number of shared exercises afterwards."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            originals = session.exec(select(t.Exercise).where(col(t.Exercise.tenant_id).is_(None))).all()
            links: list[tuple[type[Any], str]] = [
                (t.ExerciseTarget, "muscle_id"),
                (t.ExerciseEquipment, "equipment_id"),
                (t.ExerciseTag, "tag"),
                (t.ExerciseCompensation, "compensation_id"),
            ]
            linked: dict[type[Any], dict[int, list[Any]]] = {}
            for table, column in links:
                grouped: dict[int, list[Any]] = {}
                for row in session.exec(select(table)).all():
                    grouped.setdefault(row.exercise_id, []).append(getattr(row, column))
                linked[table] = grouped
            made: list[tuple[t.Exercise, t.Exercise]] = []
            for copy in range(1, copies + 1):
                for original in originals:
                    values = original.model_dump(exclude={"id", "regression_id", "progression_id", "slug"})
                    clone = t.Exercise(**values, slug=f"{original.slug}_x{copy}")
                    session.add(clone)
                    made.append((original, clone))
            session.flush()
            for original, clone in made:
                for table, column in links:
                    for value in linked[table].get(original.id or 0, []):
                        session.add(table(exercise_id=clone.id, **{column: value}))
            bump_shared_revision(session)
            session.commit()
            return len(originals) * (copies + 1)
    finally:
        engine.dispose()


def _load(url: str) -> tuple[Catalogue, float]:
    engine = make_engine(url)
    try:
        start = time.perf_counter()
        with Session(engine) as session:
            catalogue = load_catalogue(session)
        return catalogue, (time.perf_counter() - start) * 1e3
    finally:
        engine.dispose()


def _snapshot(url: str, label: str) -> tuple[Catalogue, SnapshotCost]:
    catalogue, load_ms = _load(url)
    five = to_domain(PlanRequest.model_validate(PAYLOADS["five"]))
    start = time.perf_counter()
    planner.make_plan(catalogue, five)
    first_plan_ms = (time.perf_counter() - start) * 1e3
    return catalogue, SnapshotCost(label, len(catalogue.exercises), load_ms, first_plan_ms)


def _rates(catalogue: Catalogue, payload: dict[str, Any], budget: float) -> tuple[float, float]:
    """(warm, cold) plans per second for one payload."""
    query = to_domain(PlanRequest.model_validate(payload))
    memo = catalogue._memo

    def warm() -> object:
        return planner.make_plan(catalogue, query)

    def cold() -> object:
        memo.clear()
        return planner.make_plan(catalogue, query)

    warm()
    warm_rate = calls_per_second(warm, budget)
    cold_rate = calls_per_second(cold, budget)
    memo.clear()
    warm()  # leave the memo warm, as a server has it
    return warm_rate, cold_rate


def _service_costs(catalogue: Catalogue, payload: dict[str, Any], budget: float) -> tuple[float, float]:
    """(render, parse) microseconds per plan: render_plan of the finished plan (exercise fragments warm), and
    PlanRequest.model_validate_json + to_domain of the body."""
    body = json.dumps(payload)
    plan = planner.make_plan(catalogue, to_domain(PlanRequest.model_validate_json(body)))
    render_plan(catalogue, plan)

    def rendered() -> bytes:
        return render_plan(catalogue, plan)

    def parsed() -> object:
        return to_domain(PlanRequest.model_validate_json(body))

    return 1e6 / calls_per_second(rendered, budget), 1e6 / calls_per_second(parsed, budget)


def run_engine(scratch: Path, budget: float, rounds: int = 3) -> tuple[list[EngineCell], list[SnapshotCost]]:
    """Both catalogues, on scratch SQLite databases set up by `ceplan migrate` and `ceplan seed` (the 10x one a
    copy grown with synthetic exercises). The two are measured in turns, `rounds` times, and each figure is the
    best of its rounds: on a shared machine the best is the least disturbed, and turns spread the disturbance."""
    small = scratch / "engine_1x.db"
    log("engine: preparing the catalogues (ceplan migrate, ceplan seed, 9 copies of every exercise)")
    prepare(f"sqlite:///{small}")
    large = scratch / "engine_10x.db"
    shutil.copyfile(small, large)
    grow_catalogue(f"sqlite:///{large}", COPIES)
    catalogues: dict[str, Catalogue] = {}
    costs: list[SnapshotCost] = []
    for label, path in (("1x", small), ("10x", large)):
        catalogues[label], cost = _snapshot(f"sqlite:///{path}", label)
        costs.append(cost)
    cells: list[EngineCell] = []
    gc.collect()
    with one_core():
        for name, payload in PAYLOADS.items():
            best: dict[str, tuple[float, float]] = {}
            for _ in range(rounds):
                for label, catalogue in catalogues.items():
                    warm, cold = _rates(catalogue, payload, budget / rounds)
                    seen = best.get(label, (0.0, 0.0))
                    best[label] = (max(seen[0], warm), max(seen[1], cold))
            for label, catalogue in catalogues.items():
                render_us, parse_us = _service_costs(catalogue, payload, budget / 2)
                warm, cold = best[label]
                cells.append(EngineCell(label, len(catalogue.exercises), name, warm, cold, render_us, parse_us))
                log(f"  engine {label} {name}: {warm:,.0f} plans/s warm, {cold:,.0f} cold")
    cells.sort(key=lambda c: (c.catalogue != "1x", list(PAYLOADS).index(c.payload)))
    return cells, costs
