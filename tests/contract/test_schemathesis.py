"""Schemathesis fuzzes the real server against the committed contract (openapi/openapi.json).

The server is `ceplan serve` in a subprocess on a scratch database (SQLite, or a fresh PostgreSQL database when
CEPLAN_TEST_DATABASE_URL is set). Schemathesis runs every operation through all its phases (examples, coverage,
fuzzing, stateful) with every check, with two read-write keys of two tenants (`fuzz` and `fuzz_peer`) so that it
also tests the writes, missing and invalid keys (`ignored_auth`) and whether one tenant can read the other's
templates and exercises (`object_level_authorization`).

Two settings differ from the defaults, both on purpose:

- The server allows a million failed API-key attempts a minute instead of 10: the fuzzer is one client on
  127.0.0.1 that sends invalid keys on purpose (`ignored_auth`); with the default limit the limiter would answer
  429 to everything else it sends for a minute, writes included. The limiter has its own tests
  (tests/api/test_hostile_input.py).
- `positive_data_acceptance` also accepts 412, 422 and 428 for schema-valid input. 422: the ids a request names
  (muscles, assessments, compensations, equipment, modalities) are catalogue data that tenants extend at run time,
  and some rules span fields (a compensation belongs to one assessment; an exercise's modality belongs to its
  phase; a template's phases come in one order), so JSON Schema cannot express them and a schema-valid request
  can still be invalid. 412 and 428: editing a version requires If-Match with the version's current ETag, which is
  state at run time, not schema: a missing one gets 428, any other string 412, both documented. Any other
  rejection of schema-valid input (400, 405, 413, 415) still fails the check.

Volume: MAX_EXAMPLES (300) per operation in the fuzzing phase, plus the coverage, example and stateful phases.
With `--continue-on-failure` an operation gets its full share even after a failure. One worker: on 2 cores the
server and Schemathesis share the CPU, so a second worker gained nothing, and its threads made Hypothesis fail
now and then on CPython 3.11 ("AST constructor recursion depth mismatch"). Measured here: 330 to 1,170 requests
per operation with parameters or a body, about 13,400 in all, 150 s on SQLite and 160 s on PostgreSQL;
/healthz and /readyz take no input and get about 10. MIN_REQUESTS_PER_OPERATION guards against a run that
silently tested little (an operation skipped, or everything answered 401 or 429).
"""

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from app.services.setup import prepare_database
from tests.databases import backend, scratch_database
from tests.live_server import BIN_DIR, PROJECT_ROOT, SEED_DIR, LiveServer, create_api_key

SPEC = PROJECT_ROOT / "openapi" / "openapi.json"
SEED = 20261125
MAX_EXAMPLES = 300
WORKERS = 1
MIN_REQUESTS_PER_OPERATION = 150
TENANTS = ("fuzz", "fuzz_peer")

CONFIG = """
[auth.wfc]
path = "{auth}"
peers = ["fuzz", "fuzz_peer"]

[checks.positive_data_acceptance]
expected-statuses = ["2XX", "3XX", 401, 403, 404, 409, 412, 422, 428, 429, "5XX"]
"""


def _operations_with_inputs() -> list[str]:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    return [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if operation.get("parameters") or operation.get("requestBody")
    ]


def _requests_per_operation(report_dir: Path) -> Counter[str]:
    """Requests sent per operation, from Schemathesis' NDJSON event stream (stateful scenarios count as one)."""
    counts: Counter[str] = Counter()
    for report in report_dir.glob("*.ndjson"):
        with report.open(encoding="utf-8") as events:
            for line in events:
                event: dict[str, Any] = json.loads(line)
                finished = event.get("ScenarioFinished")
                if finished:
                    recorder = finished["recorder"]
                    counts[recorder["label"]] += len(recorder.get("interactions") or {})
    return counts


def _server_errors(log: str) -> str:
    """The server's ERROR lines (JSON logs), each as its message and the last line of its traceback."""
    errors = []
    for line in log.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("level") == "ERROR":
            cause = str(record.get("exc_info", "")).strip().splitlines()[-1:]
            errors.append(f"{record.get('message')}: {' '.join(cause)}")
    return "\n".join(errors) or "(none)"


def _table(counts: Counter[str]) -> str:
    return "\n".join(f"{count:6d}  {label}" for label, count in sorted(counts.items()))


def test_the_server_honours_its_openapi_contract_under_fuzzing(tmp_path: Path) -> None:
    with scratch_database(tmp_path) as url:
        if backend() == "postgresql":
            prepare_database(url, SEED_DIR)
        settings = {"auto_migrate": "true" if backend() == "sqlite" else "false", "auth_failures_per_minute": "1000000"}
        with LiveServer(url, tmp_path / "server.log", **settings) as server:
            keys = {tenant: create_api_key(url, tenant) for tenant in TENANTS}
            auth = tmp_path / "auth.json"
            auth.write_text(
                json.dumps(
                    {
                        "auth": [
                            {"name": tenant, "fixedHeaders": [{"name": "X-API-Key", "value": key}]}
                            for tenant, key in keys.items()
                        ]
                    }
                ),
                encoding="utf-8",
            )
            config = tmp_path / "schemathesis.toml"
            config.write_text(CONFIG.format(auth=auth), encoding="utf-8")
            report_dir = tmp_path / "report"
            command = [
                str(BIN_DIR / "schemathesis"),
                "--config-file",
                str(config),
                "run",
                str(SPEC),
                "--url",
                server.base_url,
                "--checks",
                "all",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--seed",
                str(SEED),
                "--workers",
                str(WORKERS),
                "--continue-on-failure",
                "--generation-database",
                "none",
                "--request-timeout",
                "30",
                "--report",
                "ndjson",
                "--report-dir",
                str(report_dir),
                "--output-sanitize",
                "false",
                "--no-color",
            ]
            run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=900)
            server_log = server.output()
        counts = _requests_per_operation(report_dir)
        summary = (
            f"schemathesis exited {run.returncode} on {backend()}\n{run.stdout}\n{run.stderr}\n"
            f"requests per operation:\n{_table(counts)}\n\nserver errors logged:\n{_server_errors(server_log)}"
        )
        assert run.returncode == 0, summary
        too_few = {op: counts[op] for op in _operations_with_inputs() if counts[op] < MIN_REQUESTS_PER_OPERATION}
        assert not too_few, f"operations fuzzed fewer than {MIN_REQUESTS_PER_OPERATION} times: {too_few}\n{summary}"
