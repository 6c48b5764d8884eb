"""Violation counts per rule over N generated requests, answered in-process by the service.

    .venv/bin/python -m tests.audit.report 2000            # this checkout's app and seed
    .venv/bin/python -m tests.audit.report 2000 --examples 2

Also the harness the property test shares: `answer()` runs one request through app.services.plans.make_plan
(the service function, not the HTTP layer) and `Tally` gathers what the auditor found.
"""

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.audit.auditor import RULES, Knowledge, Violation, audit
from tests.audit.strategies import plan_requests

if TYPE_CHECKING:
    from app.domain.catalogue import Catalogue

Json = dict[str, Any]
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SEED_DIR = PROJECT_ROOT / "seed"


def answer(catalogue: "Catalogue", body: Json, *, compat: bool = False) -> tuple[Json, Json | None, list[Violation]]:
    """The request as sent and its parsed JSON answer, or None and a request_rejected violation. With `compat`, a
    request the service refuses only for the issue-11 `lifestyle` block is sent again without it (old code)."""
    from pydantic import ValidationError

    from app.domain.errors import DomainError
    from app.schemas.plan import PlanRequest
    from app.services.plans import make_plan

    try:
        content, _status = make_plan(catalogue, PlanRequest.model_validate(body))
    except ValidationError as error:
        if compat and "lifestyle" in body:
            return answer(catalogue, {k: v for k, v in body.items() if k != "lifestyle"})
        return body, None, [Violation("request_rejected", f"422 {error.errors()[:2]}")]
    except DomainError as error:
        return body, None, [Violation("request_rejected", f"{type(error).__name__}: {error}")]
    parsed: Json = json.loads(content)
    return body, parsed, []


def audit_one(
    catalogue: "Catalogue", knowledge: Knowledge, body: Json, *, compat: bool = False
) -> tuple[Json, Json | None, list[Violation]]:
    """Answer the request and audit the answer against the request as sent."""
    sent, parsed, found = answer(catalogue, body, compat=compat)
    if parsed is not None:
        found = audit(sent, parsed, knowledge)
    return sent, parsed, found


@dataclass
class Tally:
    """What the auditor found over many requests: violations per rule, the first few of each, statuses."""

    keep: int = 3
    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    violations: Counter[str] = field(default_factory=Counter)
    resent: int = 0  # --compat: requests answered only once their lifestyle block was dropped
    answers_hit: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[tuple[Json, str]]] = field(default_factory=dict)

    def add(self, body: Json, parsed: Json | None, found: list[Violation], asked: Json | None = None) -> None:
        self.requests += 1
        if asked is not None and asked is not body:
            self.resent += 1
        self.statuses[str(parsed.get("status")) if parsed else "rejected"] += 1
        for rule in {v.rule for v in found}:
            self.answers_hit[rule] += 1
        for violation in found:
            self.violations[violation.rule] += 1
            kept = self.examples.setdefault(violation.rule, [])
            if len(kept) < self.keep and all(seen is not body for seen, _ in kept):  # one per answer
                kept.append((body, violation.detail))

    def __bool__(self) -> bool:
        return bool(self.violations)

    def __repr__(self) -> str:
        return f"<Tally: {sum(self.violations.values())} violations over {self.requests} requests>"

    def table(self) -> str:
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items()))
        resent = f" ({self.resent} sent again without their lifestyle block)" if self.resent else ""
        lines = [
            f"{self.requests} requests: {statuses}{resent}",
            f"{'rule':28} {'violations':>10} {'answers':>8}",
        ]
        for rule in RULES:
            lines.append(f"{rule:28} {self.violations.get(rule, 0):>10} {self.answers_hit.get(rule, 0):>8}")
        lines.append(f"{'total':28} {sum(self.violations.values()):>10} {self.requests:>8}")
        return "\n".join(lines)

    def samples(self, per_rule: int | None = None) -> str:
        lines = []
        for rule in RULES:
            for body, detail in self.examples.get(rule, [])[:per_rule]:
                lines += [f"[{rule}] {detail}", f"    request: {json.dumps(body, separators=(',', ':'))}"]
        return "\n".join(lines)


def generate(knowledge: Knowledge, count: int, visit: Callable[[Json], None]) -> None:
    """Feed `count` generated requests to `visit`, deterministically (derandomized, no shrinking)."""

    @settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def each(data: st.DataObject) -> None:
        visit(data.draw(plan_requests(knowledge), label="request"))

    each()


@contextmanager
def seeded_catalogue(seed_dir: Path = SEED_DIR) -> Iterator["Catalogue"]:
    """A scratch database migrated and seeded from seed_dir, and the app's catalogue snapshot of it."""
    os.environ.setdefault("CEPLAN_AUTO_MIGRATE", "false")
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app
    from app.services.setup import prepare_database
    from tests.databases import scratch_database

    with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp)) as url:
        prepare_database(url, seed_dir)
        settings_ = Settings(database_url=url, auto_migrate=False, seed_dir=str(seed_dir))
        with TestClient(create_app(settings_)) as client:
            snapshot: Catalogue = client.app.state.catalogue_store.get()  # type: ignore[attr-defined]
            yield snapshot


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.audit.report", description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=1000, help="how many requests to generate")
    parser.add_argument("--examples", type=int, default=1, help="examples to print per rule")
    parser.add_argument(
        "--compat",
        action="store_true",
        help="old code: resend a request refused only for its lifestyle block without it",
    )
    args = parser.parse_args(argv)
    knowledge = Knowledge.load(SEED_DIR)
    tally = Tally(keep=max(args.examples, 1))
    out = sys.stdout
    out.write(f"seed: {SEED_DIR}\n")
    for note in knowledge.fallbacks:
        out.write(f"fallback: {note}\n")
    with seeded_catalogue() as catalogue:

        def visit(body: Json) -> None:
            sent, parsed, found = audit_one(catalogue, knowledge, body, compat=args.compat)
            tally.add(sent, parsed, found, asked=body)

        generate(knowledge, args.count, visit)
    out.write(tally.table() + "\n")
    if args.examples:
        out.write("\n" + tally.samples(args.examples) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
