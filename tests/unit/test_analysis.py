"""Findings to probable overactive/underactive muscles per side (domain.md K), on a small in-memory catalogue."""

import pytest

from app.domain.analysis import analyse, choose_ruleset
from app.domain.errors import DomainError
from app.domain.requests import AssessmentResult, Finding
from tests.builders import small_catalogue

CATALOGUE = small_catalogue()


def _analyse(*findings: tuple[str, str | None], assessment: str = "squat"):  # type: ignore[no-untyped-def]
    ruleset = choose_ruleset(CATALOGUE, None)
    result = AssessmentResult(assessment, tuple(Finding(c, s) for c, s in findings))
    return analyse(CATALOGUE, ruleset, (result,))


def _sides(implications, muscle: str) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    return next(i.sides for i in implications if i.muscle == muscle)


def test_bilateral_and_unsided_findings_count_for_both_sides() -> None:
    for side in ("bilateral", None):
        analysis = _analyse(("knees_in", side))
        assert _sides(analysis.overactive, "adductor_group") == ("left", "right")
        assert _sides(analysis.underactive, "gluteus_medius") == ("left", "right")


def test_groups_are_kept_at_table_granularity() -> None:
    analysis = _analyse(("knees_in", "left"))
    assert [i.muscle for i in analysis.overactive] == ["adductor_group", "tensor_fasciae_latae"]


def test_weight_shift_maps_same_opposite_and_unstated_sides() -> None:
    analysis = _analyse(("shift", "left"))
    assert _sides(analysis.overactive, "adductor_group") == ("left",)
    assert _sides(analysis.underactive, "adductor_group") == ("right",)
    assert _sides(analysis.overactive, "soleus") == ("right",)
    assert _sides(analysis.underactive, "gluteus_medius") == ("unspecified",)
    # Across sides is not a conflict: laterality resolves it (K.5).
    assert analysis.conflicts == ()


def test_same_side_overactive_and_underactive_is_a_conflict_with_both_evidences() -> None:
    analysis = _analyse(("knees_out", "left"), ("back_arches", None))
    conflict = next(c for c in analysis.conflicts if c.muscle == "gluteus_medius")
    assert conflict.sides == ("left",)
    assert [e.compensation for e in conflict.overactive_evidence] == ["knees_out"]
    assert [e.compensation for e in conflict.underactive_evidence] == ["back_arches"]


def test_evidence_lists_each_finding_once_per_muscle() -> None:
    analysis = _analyse(("knees_in", "left"), ("back_arches", None))
    evidence = next(i.evidence for i in analysis.underactive if i.muscle == "gluteus_medius")
    assert [(e.compensation, e.side) for e in evidence] == [("knees_in", "left"), ("back_arches", None)]


@pytest.mark.parametrize(
    ("findings", "code", "field"),
    [
        ((("knees_wobble", "left"),), "unknown_compensation", "assessments.0.findings.0.compensation"),
        (
            (("knees_in", "left"), ("knees_out", "bilateral")),
            "invalid_findings",
            "assessments.0.findings.1.compensation",
        ),
        ((("knees_in", "left"), ("knees_in", None)), "invalid_findings", "assessments.0.findings.1.side"),
        ((("back_arches", "left"),), "invalid_findings", "assessments.0.findings.0.side"),
    ],
)
def test_unusable_findings_are_rejected_naming_the_field(
    findings: tuple[tuple[str, str | None], ...], code: str, field: str
) -> None:
    with pytest.raises(DomainError) as raised:
        _analyse(*findings)
    assert raised.value.code == code
    assert raised.value.field == field


def test_knees_in_on_one_side_and_out_on_the_other_is_allowed() -> None:
    analysis = _analyse(("knees_in", "left"), ("knees_out", "right"))
    assert _sides(analysis.overactive, "gluteus_medius") == ("right",)
