"""The fixed request bodies the benchmark sends, and a generator of distinct ones that no memo has seen.

Every fixed payload is checked for a 200 before anything is measured (see run.py).
"""

import json
import random
from typing import Any

Payload = dict[str, Any]

# A real exercise of the seed, read through GET /v1/exercises/{slug} (its presence is checked first).
EXERCISE_SLUG = "calf_foam_roll"
EXERCISE_LIMIT = 50


def _finding(compensation: str, side: str | None = None) -> dict[str, str | None]:
    return {"compensation": compensation, "side": side}


def _request(*assessments: tuple[str, list[dict[str, str | None]]]) -> Payload:
    return {
        "assessments": [{"type": kind, "findings": findings} for kind, findings in assessments],
        "screening": {"current_pain": False, "conditions": []},
        "preferences": {"mode": "standalone"},
    }


ONE_FINDING = _request(("overhead_squat", [_finding("knees_move_inward", "bilateral")]))

# The typical overhead squat of the spec: five findings.
FIVE_FINDINGS = _request(
    (
        "overhead_squat",
        [
            _finding("knees_move_inward", "bilateral"),
            _finding("low_back_arches"),
            _finding("feet_turn_out", "left"),
            _finding("excessive_forward_lean"),
            _finding("arms_fall_forward", "bilateral"),
        ],
    )
)

# Every assessment type, 22 findings, no contradictory pair (knees in/out, low back arches/rounds).
EVERY_ASSESSMENT = _request(
    (
        "overhead_squat",
        [
            _finding("knees_move_inward", "bilateral"),
            _finding("low_back_arches"),
            _finding("feet_turn_out", "left"),
            _finding("excessive_forward_lean"),
            _finding("arms_fall_forward", "bilateral"),
            _finding("feet_flatten", "bilateral"),
            _finding("heels_rise", "right"),
            _finding("asymmetric_weight_shift", "left"),
        ],
    ),
    (
        "single_leg_squat",
        [
            _finding("knee_valgus", "left"),
            _finding("hip_drop", "right"),
            _finding("hip_hike", "left"),
            _finding("inward_trunk_rotation", "left"),
            _finding("outward_trunk_rotation", "right"),
        ],
    ),
    ("push", [_finding("head_juts_forward"), _finding("low_back_arches"), _finding("shoulders_elevate", "bilateral")]),
    ("pull", [_finding("head_juts_forward"), _finding("low_back_arches"), _finding("shoulders_elevate", "left")]),
    (
        "static_posture",
        [
            _finding("lower_crossed_syndrome"),
            _finding("pronation_distortion_syndrome"),
            _finding("upper_crossed_syndrome"),
        ],
    ),
)

# name -> body, in the order of the table.
PAYLOADS: dict[str, Payload] = {"one": ONE_FINDING, "five": FIVE_FINDINGS, "every": EVERY_ASSESSMENT}


def finding_count(payload: Payload) -> int:
    return sum(len(a["findings"]) for a in payload["assessments"])


# For distinct requests: (compensation, lateral) of two assessments, with the contradictory pairs apart.
_SQUAT = [
    ("arms_fall_forward", True),
    ("asymmetric_weight_shift", True),
    ("excessive_forward_lean", False),
    ("feet_flatten", True),
    ("feet_turn_out", True),
    ("heels_rise", True),
]
_SQUAT_EITHER = [
    (("knees_move_inward", True), ("knees_move_outward", True)),
    (("low_back_arches", False), ("low_back_rounds", False)),
]
_SINGLE_LEG = [
    ("hip_drop", True),
    ("hip_hike", True),
    ("inward_trunk_rotation", True),
    ("knee_valgus", True),
    ("outward_trunk_rotation", True),
]
_LATERAL_SIDES: list[str | None] = ["left", "right", "bilateral", None]
_MIDLINE_SIDES: list[str | None] = ["bilateral", None]


def _findings(rng: random.Random, pool: list[tuple[str, bool]]) -> list[dict[str, str | None]]:
    chosen = rng.sample(pool, rng.randint(1, len(pool)))
    return [_finding(slug, rng.choice(_LATERAL_SIDES if lateral else _MIDLINE_SIDES)) for slug, lateral in chosen]


def distinct_plan_bodies(count: int, seed: int = 6) -> list[str]:
    """`count` different, valid plan requests as compact JSON, deterministic for a seed.

    The engine remembers analyses per catalogue snapshot, keyed by the findings in order, so the fixed
    payloads are answered from that memo after their first request; these are not."""
    rng = random.Random(seed)
    seen: set[str] = set()
    bodies: list[str] = []
    while len(bodies) < count:
        squat_pool = _SQUAT + [rng.choice(pair) for pair in _SQUAT_EITHER]
        assessments = [("overhead_squat", _findings(rng, squat_pool))]
        if rng.random() < 0.5:
            assessments.append(("single_leg_squat", _findings(rng, _SINGLE_LEG)))
        body = json.dumps(_request(*assessments), separators=(",", ":"))
        if body not in seen:
            seen.add(body)
            bodies.append(body)
    return bodies
