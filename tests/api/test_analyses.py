"""POST /v1/analyses reproduces every single-compensation row of every ruleset (domain.md A-D, K)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.domain.catalogue import Catalogue
from tests.expected_rulesets import EXPECTED_ROWS

SIDE_OF = {"same": "left", "opposite": "right", "unspecified": "unspecified"}


def _expected_sides(row: dict[str, frozenset[str]], finding_side: str | None) -> dict[str, set[str]]:
    sides: dict[str, set[str]] = {}
    for laterality, muscles in row.items():
        for muscle in muscles:
            if finding_side is None and laterality == "same":
                sides.setdefault(muscle, set()).update({"left", "right"})
            else:
                sides.setdefault(muscle, set()).add(SIDE_OF[laterality])
    return sides


@pytest.mark.parametrize("key", sorted(EXPECTED_ROWS), ids=lambda k: "/".join(k))
def test_each_ruleset_row_is_reproduced(client: TestClient, catalogue: Catalogue, key: tuple[str, str, str]) -> None:
    ruleset, assessment, compensation = key
    side = "left" if catalogue.compensations[compensation].lateral else None
    body = {
        "ruleset": ruleset,
        "assessments": [{"type": assessment, "findings": [{"compensation": compensation, "side": side}]}],
    }
    response = client.post("/v1/analyses", json=body)
    assert response.status_code == 200, response.text
    analysis = response.json()
    assert analysis["ruleset"]["slug"] == ruleset
    for role in ("overactive", "underactive"):
        expected = _expected_sides(EXPECTED_ROWS[key].get(role, {}), side)
        got = {entry["muscle"]: set(entry["sides"]) for entry in analysis[role]}
        assert got == expected, role
        assert [e["muscle"] for e in analysis[role]] == sorted(got)
        for entry in analysis[role]:
            assert entry["evidence"] == [{"assessment": assessment, "compensation": compensation, "side": side}]


def test_the_rulesets_hold_exactly_the_expected_rows(catalogue: Catalogue) -> None:
    seeded = {(r.slug, row.assessment, row.compensation) for r in catalogue.rulesets.values() for row in r.rows}
    assert seeded == set(EXPECTED_ROWS)


def _analyse(client: TestClient, assessment: str, *findings: tuple[str, str | None], **extra: Any) -> dict[str, Any]:
    body = {
        "assessments": [{"type": assessment, "findings": [{"compensation": c, "side": s} for c, s in findings]}],
        **extra,
    }
    response = client.post("/v1/analyses", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _sides(analysis: dict[str, Any], role: str, muscle: str) -> list[str]:
    return next(e["sides"] for e in analysis[role] if e["muscle"] == muscle)


@pytest.mark.parametrize(("shift", "other"), [("left", "right"), ("right", "left")])
def test_weight_shift_follows_the_side_shifted_toward(client: TestClient, shift: str, other: str) -> None:
    analysis = _analyse(client, "overhead_squat", ("asymmetric_weight_shift", shift))
    assert _sides(analysis, "overactive", "adductor_complex") == [shift]
    assert _sides(analysis, "overactive", "piriformis") == [other]
    assert _sides(analysis, "underactive", "gluteus_medius") == [shift]
    assert _sides(analysis, "underactive", "adductor_complex") == [other]
    assert _sides(analysis, "underactive", "anterior_tibialis") == ["unspecified"]
    # gluteus_medius: underactive on the shift side, overactive on the other: not a same-side conflict.
    assert analysis["conflicts"] == []


def test_single_leg_squat_sides_follow_the_stance_leg(client: TestClient) -> None:
    analysis = _analyse(client, "single_leg_squat", ("hip_hike", "right"))
    assert _sides(analysis, "overactive", "quadratus_lumborum") == ["left"]
    assert _sides(analysis, "overactive", "tensor_fasciae_latae") == ["right"]
    assert _sides(analysis, "underactive", "gluteus_medius") == ["right"]


def test_both_stance_legs_combine_per_side(client: TestClient) -> None:
    analysis = _analyse(client, "single_leg_squat", ("knee_valgus", "left"), ("hip_drop", "right"))
    assert _sides(analysis, "underactive", "gluteus_medius") == ["left", "right"]
    evidence = next(e["evidence"] for e in analysis["underactive"] if e["muscle"] == "gluteus_medius")
    assert [(e["compensation"], e["side"]) for e in evidence] == [("knee_valgus", "left"), ("hip_drop", "right")]


def test_same_side_conflicts_are_listed_with_both_evidences(client: TestClient) -> None:
    analysis = _analyse(client, "overhead_squat", ("low_back_arches", None), ("excessive_forward_lean", None))
    conflict = next(c for c in analysis["conflicts"] if c["muscle"] == "erector_spinae")
    assert conflict["sides"] == ["left", "right"]
    assert [e["compensation"] for e in conflict["overactive_evidence"]] == ["low_back_arches"]
    assert [e["compensation"] for e in conflict["underactive_evidence"]] == ["excessive_forward_lean"]
    assert "erector_spinae" in {e["muscle"] for e in analysis["overactive"]}
    assert "erector_spinae" in {e["muscle"] for e in analysis["underactive"]}


def test_findings_are_compared_with_the_static_patterns(client: TestClient) -> None:
    analysis = _analyse(client, "overhead_squat", ("low_back_arches", None), ("excessive_forward_lean", None))
    patterns = analysis["patterns"]
    assert patterns[0]["pattern"] == "lower_crossed_syndrome"
    assert patterns[0]["score"] > 0.3
    assert "hip_flexor_complex" in patterns[0]["matched_overactive"]
    assert [p["score"] for p in patterns] == sorted((p["score"] for p in patterns), reverse=True)
