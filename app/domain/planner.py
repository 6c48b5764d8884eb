"""Analysis + template + screening -> a four-phase plan whose every line says why (domain.md F, G, I, J, K).

Overactive muscles get Inhibit (where rolling is safe) and Lengthen, underactive ones Activate, and Integrate
exercises are chosen to cover the compensations found. Each muscle is served once per phase; an exercise that
already serves a muscle (through its targets, their groups or members) takes it on instead of a second one.
"""

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from typing import NamedTuple

from app.domain.analysis import Analysis, Evidence, Implication, analyse, choose_ruleset, sort_sides
from app.domain.catalogue import Catalogue, integrate_rank
from app.domain.errors import UnknownId
from app.domain.model import PHASE_ORDER, Dosage, Exercise, ModeVariables, Phase, PhaseVariables, TemplateVersion
from app.domain.requests import PlanRequest, Preferences
from app.domain.screening import Notice, ScreeningOutcome, screen
from app.domain.templates import choose_template

MUSCLE_PHASES = {Phase.INHIBIT: "overactive", Phase.LENGTHEN: "overactive", Phase.ACTIVATE: "underactive"}


@dataclass(frozen=True, slots=True)
class Rationale:
    muscles: tuple[str, ...]
    findings: tuple[Evidence, ...]
    text: str


@dataclass(frozen=True, slots=True)
class PlannedExercise:
    exercise: Exercise
    muscles: tuple[str, ...]
    side: str | None  # left | right | both (a one-sided exercise done on each side) | None (both at once)
    prescription: Dosage
    rationale: Rationale
    seconds: int


@dataclass(frozen=True, slots=True)
class PlannedPhase:
    phase: Phase
    variables: PhaseVariables
    exercises: tuple[PlannedExercise, ...]


@dataclass(frozen=True, slots=True)
class Omission:
    reason: str
    phase: Phase | None
    detail: str
    muscle: str | None = None
    side: str | None = None
    exercise: str | None = None
    compensation: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    status: str  # plan | referral
    analysis: Analysis
    template: TemplateVersion
    mode: str
    phases: tuple[PlannedPhase, ...]
    estimated_minutes: int
    session_minutes: int | None
    frequency_per_week: str
    reassess_after_weeks: int
    warnings: tuple[Notice, ...]
    lifestyle: tuple[Notice, ...]
    omitted: tuple[Omission, ...]
    referral_reasons: tuple[Notice, ...] = ()
    referral_advice: str | None = None


class Need(NamedTuple):
    """A muscle one phase must serve, on these sides, because of this evidence. (A named tuple: a plan makes
    dozens, and a frozen dataclass costs three times as much to build.)"""

    muscle: str
    sides: tuple[str, ...]
    evidence: tuple[Evidence, ...]

    @property
    def one_side(self) -> bool:
        """Whether the findings point to one body side only (a one-sided exercise is then preferred)."""
        return len(self.sides) == 1 and self.sides[0] != "unspecified"


@dataclass(frozen=True, slots=True)
class Eligibility:
    excluded_tags: dict[str, tuple[str, ...]]
    equipment: frozenset[str] | None
    level: int
    tenant: str | None = None

    def visible(self, exercise: Exercise) -> bool:
        """A tenant's custom exercises serve only that tenant's plans."""
        return exercise.owner is None or exercise.owner == self.tenant

    @property
    def key(self) -> tuple[object, ...]:
        """Everything that decides which exercises the client may do, hashable."""
        return (tuple(sorted(self.excluded_tags)), self.equipment, self.level, self.tenant)

    def allows(self, exercise: Exercise) -> bool:
        """Whether the client sees the exercise and `failure` is None, without composing a reason."""
        if exercise.level > self.level or not self.visible(exercise):
            return False
        if self.excluded_tags and any(tag in self.excluded_tags for tag in exercise.tags):
            return False
        return self.equipment is None or self.equipment.issuperset(exercise.equipment)

    def failure(self, exercise: Exercise) -> tuple[str, str] | None:
        """Why the client may not do this exercise, as (reason code, detail), or None if they may."""
        blocked = sorted(tag for tag in exercise.tags if tag in self.excluded_tags) if self.excluded_tags else ()
        if blocked:
            causes = sorted({c for tag in blocked for c in self.excluded_tags[tag]})
            return "contraindication", f"{exercise.slug} is {'/'.join(blocked)}, excluded by {', '.join(causes)}"
        if self.equipment is not None and not self.equipment.issuperset(exercise.equipment):
            missing = sorted(set(exercise.equipment) - self.equipment)
            if missing:
                return "missing_equipment", f"{exercise.slug} needs {', '.join(missing)}"
        if exercise.level > self.level:
            return "above_level", f"{exercise.slug} is level {exercise.level}, above the client's {self.level}"
        return None


@dataclass(slots=True)
class _Entry:
    exercise: Exercise
    needs: list[Need]


class _Pick(NamedTuple):
    """The best exercise for a need (with every muscle it serves), or None and why not."""

    exercise: Exercise | None
    serves: frozenset[str]
    refusal: tuple[str, str]


def make_plan(catalogue: Catalogue, request: PlanRequest) -> Plan:
    ruleset = choose_ruleset(catalogue, request.ruleset)
    analysis = analyse(catalogue, ruleset, request.assessments)
    preferences = request.preferences
    template = choose_template(catalogue, preferences.template, request.tenant)
    mode = template.modes[preferences.mode]
    equipment = _check_equipment(catalogue, preferences)
    outcome = screen(catalogue, request.screening)
    lifestyle = _lifestyle(catalogue, analysis, outcome)
    if outcome.referral_reasons:
        policy = catalogue.screening
        return Plan(
            "referral",
            analysis,
            template,
            preferences.mode,
            (),
            0,
            preferences.session_minutes,
            mode.frequency_per_week,
            mode.reassess_after_weeks,
            outcome.warnings,
            lifestyle,
            (),
            outcome.referral_reasons,
            policy.referral_advice if policy else None,
        )
    eligibility = Eligibility(outcome.excluded_tags, equipment, preferences.level, request.tenant)
    builder = _Builder(catalogue, analysis, mode, eligibility)
    phases, omitted = builder.fit(preferences.session_minutes)
    minutes = _minutes(phases)
    warnings = outcome.warnings + builder.conflict_warnings()
    return Plan(
        "plan",
        analysis,
        template,
        preferences.mode,
        phases,
        minutes,
        preferences.session_minutes,
        mode.frequency_per_week,
        mode.reassess_after_weeks,
        warnings,
        lifestyle,
        builder.conflict_omissions() + omitted,
    )


def _check_equipment(catalogue: Catalogue, preferences: Preferences) -> frozenset[str] | None:
    if preferences.equipment is None:
        return None
    for index, slug in enumerate(sorted(preferences.equipment)):
        if slug not in catalogue.equipment:
            raise UnknownId("equipment", slug, field=f"preferences.equipment.{index}", allowed=catalogue.equipment)
    return preferences.equipment


def _minutes(phases: Iterable[PlannedPhase]) -> int:
    seconds = sum(item.seconds for phase in phases for item in phase.exercises)
    return math.ceil(seconds / 60)


def _lifestyle(catalogue: Catalogue, analysis: Analysis, outcome: ScreeningOutcome) -> tuple[Notice, ...]:
    found = set(analysis.compensations)
    overactive = {i.muscle for i in analysis.overactive}
    notes = [
        Notice(note.slug, f"{note.title}: {note.note}")
        for note in catalogue.lifestyle
        if note.always
        or found & set(note.when_compensations)
        or overactive & set(note.when_muscles_overactive)
        or (note.when_past_injury and outcome.past_injury)
    ]
    policy = catalogue.screening
    if outcome.past_injury and policy and not any(n.code == "past_injury" for n in notes):
        notes.append(Notice("past_injury", policy.past_injury_note))
    return tuple(notes)


class _Builder:
    def __init__(self, catalogue: Catalogue, analysis: Analysis, mode: ModeVariables, eligibility: Eligibility):
        self.catalogue = catalogue
        self.analysis = analysis
        self.mode = mode
        self.eligibility = eligibility
        self.eligibility_key = eligibility.key
        self.conflicts = {c.muscle: set(c.sides) for c in analysis.conflicts}
        self._needs_by_role: dict[str, tuple[list[tuple[Implication, Need | None]], list[Need]]] = {}
        # This client's picks, remembered for the snapshot: (phase, muscle, one side) -> the pick.
        self._picks: dict[tuple[Phase, str, bool], _Pick] = catalogue.memoised(("picks", self.eligibility_key), dict)

    # --- needs -------------------------------------------------------------------------------------------
    def _role_needs(self, role: str) -> tuple[list[tuple[Implication, Need | None]], list[Need]]:
        """Each implicated muscle of the role with what is left to serve (None: nothing, a conflict), in the
        analysis' order, and those needs most evidence first (ties by muscle); worked out once per plan."""
        cached = self._needs_by_role.get(role)
        if cached is None:
            implications = self.analysis.overactive if role == "overactive" else self.analysis.underactive
            listed = [(i, self._need(role, i)) for i in implications]
            # `listed` is in muscle order, so a stable sort on the evidence alone breaks ties by muscle.
            ranked = sorted((n for _, n in listed if n is not None), key=lambda n: -len(n.evidence))
            cached = self._needs_by_role[role] = (listed, ranked)
        return cached

    def needs(self, phase: Phase, dropped: frozenset[str]) -> tuple[list[Need], list[Omission]]:
        """The needs the phase serves, most evidence first, and the muscles it leaves out (in the analysis' order)."""
        listed, ranked = self._role_needs(MUSCLE_PHASES[phase])
        if not dropped and phase is not Phase.INHIBIT:
            return ranked, []  # nothing is left out: the common case
        omitted = []
        for implication, need in listed:
            if implication.muscle in dropped:
                omitted.append(
                    Omission(
                        "time_budget",
                        phase,
                        f"{implication.muscle} has the least evidence and did not fit the session time",
                        muscle=implication.muscle,
                    )
                )
            elif need is not None and phase is Phase.INHIBIT and not self.catalogue.muscles[need.muscle].smr_safe:
                omitted.append(
                    Omission(
                        "unsafe_to_roll",
                        phase,
                        f"{need.muscle} is never rolled (lumbar or cervical spine, abdomen or front of the neck)",
                        muscle=need.muscle,
                    )
                )
        if not omitted:
            return ranked, omitted
        left_out = {omission.muscle for omission in omitted}
        return [need for need in ranked if need.muscle not in left_out], omitted

    def _need(self, role: str, implication: Implication) -> Need | None:
        conflict = self.conflicts.get(implication.muscle) if role == "overactive" else None
        if not conflict:  # the sides stay as the analysis sorted them
            return Need(implication.muscle, implication.sides, implication.evidence) if implication.sides else None
        # Same-side conflicts get activation only until a mobility test decides (domain.md K.5).
        sides = set(implication.sides) - conflict
        if not sides:
            return None
        return Need(implication.muscle, sort_sides(sides), implication.evidence)

    def conflict_omissions(self) -> tuple[Omission, ...]:
        return tuple(
            Omission(
                "conflict",
                phase,
                f"{c.muscle} is both overactive and underactive on {', '.join(c.sides)}: "
                "no rolling or stretching there until a mobility test decides",
                muscle=c.muscle,
                side=",".join(c.sides),
            )
            for c in self.analysis.conflicts
            for phase in (Phase.INHIBIT, Phase.LENGTHEN)
        )

    def conflict_warnings(self) -> tuple[Notice, ...]:
        return tuple(
            Notice(
                f"conflict:{c.muscle}",
                f"{c.muscle} shows as both overactive and underactive "
                f"({', '.join(c.sides)}). Only activation is planned for it; confirm with a mobility test "
                "before lengthening or strengthening it further.",
            )
            for c in self.analysis.conflicts
        )

    # --- choosing -----------------------------------------------------------------------------------------
    def _pick(self, phase: Phase, need: Need) -> _Pick:
        """The best exercise for the need, or None and why. Remembered per snapshot: the answer depends only
        on the phase, the muscle, whether one side is asked for, and who the client is."""
        key = (phase, need.muscle, need.one_side)
        pick = self._picks.get(key)
        if pick is None:
            pick = self._picks[key] = self._pick_uncached(*key)
        return pick

    def _pick_uncached(self, phase: Phase, muscle: str, one_side: bool) -> _Pick:
        for exercise in self.catalogue.ranked_serving(phase, muscle, one_side):
            if self.eligibility.allows(exercise):
                return _Pick(exercise, self.catalogue.serves(exercise), ("", ""))
        return _Pick(None, frozenset(), self._refusal(phase, muscle))

    def _refusal(self, phase: Phase, muscle: str) -> tuple[str, str]:
        """Why no exercise serves the muscle: none in the library, else the first refusal of the gravest kind."""
        visible = [e for e in self.catalogue.serving_profiles(phase, muscle) if self.eligibility.visible(e)]
        if not visible:
            return "no_exercise", f"the library has no {phase} exercise for {muscle}"
        failures = [f for f in map(self.eligibility.failure, visible) if f is not None]  # all: none is allowed
        order = ("contraindication", "missing_equipment", "above_level")
        return min(failures, key=lambda f: order.index(f[0]))

    def muscle_phase(self, phase: Phase, dropped: frozenset[str]) -> tuple[list[_Entry], list[Omission]]:
        needs, omitted = self.needs(phase, dropped)
        variables = self.mode.phases[phase]
        entries: list[_Entry] = []
        serving: dict[str, _Entry] = {}  # muscle -> the first chosen exercise that serves it
        full = f"the template allows {variables.max_exercises} {phase} exercises in this mode"
        for need in needs:
            entry = serving.get(need.muscle)
            if entry is not None:
                entry.needs.append(need)
                continue
            exercise, serves, (reason, detail) = self._pick(phase, need)
            if exercise is None:
                omitted.append(Omission(reason, phase, detail, muscle=need.muscle, side=",".join(need.sides)))
            elif len(entries) >= variables.max_exercises:
                omitted.append(Omission("phase_limit", phase, full, need.muscle, None, exercise.slug))
            else:
                entry = _Entry(exercise, [need])
                entries.append(entry)
                for muscle in serves:
                    serving.setdefault(muscle, entry)
        return entries, omitted

    def _integrate_options(self) -> list[tuple[frozenset[str], Exercise]]:
        """For each set of compensations an integrate exercise covers, the best one the client may do; best first."""
        options = []
        for cover, group in self.catalogue.integrate_by_cover.items():
            chosen = next((exercise for exercise in group if self.eligibility.allows(exercise)), None)
            if chosen is not None:
                options.append((cover, chosen))
        options.sort(key=lambda option: integrate_rank(option[1]))
        return options

    def _integrate_refusal(self, compensation: str) -> tuple[str, str] | None:
        """Why the first integrate exercise for the compensation that the client may not do is out, if any is."""
        for exercise in self.catalogue.integrate_for.get(compensation, ()):
            if self.eligibility.visible(exercise):
                failure = self.eligibility.failure(exercise)
                if failure is not None:
                    return failure
        return None

    def integrate_phase(self, limit: int) -> tuple[list[_Entry], list[Omission]]:
        evidence = {
            e.compensation: e for i in (*self.analysis.overactive, *self.analysis.underactive) for e in i.evidence
        }
        uncovered = set(self.analysis.compensations)
        entries: list[_Entry] = []
        # Per client, remembered for the snapshot: the options, and refusals as they are asked for.
        options, refusals = self.catalogue.memoised(
            ("integrate", self.eligibility_key), lambda: (self._integrate_options(), {})
        )
        while uncovered and len(entries) < limit:
            best, most = None, 0
            for cover, exercise in options:  # best first, so on a tie of coverage the first stays
                overlap = len(cover & uncovered)
                if overlap > most:
                    best, most = (cover, exercise), overlap
            if best is None:
                break
            covered = sorted(best[0] & uncovered)
            uncovered.difference_update(covered)
            findings = tuple(evidence[c] for c in covered if c in evidence)
            entries.append(_Entry(best[1], [Need(c, ("left", "right"), findings) for c in covered]))
        omitted = []
        for slug in sorted(uncovered):
            if limit == 0:
                reason, detail = "phase_limit", "this mode has no integrate phase"
            else:
                if slug not in refusals:
                    refusals[slug] = self._integrate_refusal(slug)
                reason, detail = refusals[slug] or ("phase_limit", f"the template allows {limit} integrate exercises")
            omitted.append(Omission(reason, Phase.INTEGRATE, detail, compensation=slug))
        return entries, omitted

    # --- assembling ------------------------------------------------------------------------------------------
    def build(self, dropped: frozenset[str], integrate_limit: int) -> tuple[tuple[PlannedPhase, ...], list[Omission]]:
        phases, omitted = [], []
        for phase in PHASE_ORDER:
            if phase is Phase.INTEGRATE:
                entries, missing = self.integrate_phase(integrate_limit)
            else:
                entries, missing = self.muscle_phase(phase, dropped)
            variables = self.mode.phases[phase]
            planned = tuple(self._planned(phase, entry, variables) for entry in entries)
            phases.append(PlannedPhase(phase, variables, planned))
            omitted += missing
        return tuple(phases), omitted

    def fit(self, session_minutes: int | None) -> tuple[tuple[PlannedPhase, ...], tuple[Omission, ...]]:
        """Build the plan; over the time budget, drop the muscles with the least evidence first."""
        integrate_limit = self.mode.phases[Phase.INTEGRATE].max_exercises
        dropped: frozenset[str] = frozenset()
        phases, omitted = self.build(dropped, integrate_limit)
        if session_minutes is None:
            return phases, tuple(omitted)
        for muscle in self._drop_order():
            if _minutes(phases) <= session_minutes:
                break
            dropped |= {muscle}
            phases, omitted = self.build(dropped, integrate_limit)
        while _minutes(phases) > session_minutes and integrate_limit > 0:
            integrate_limit -= 1
            phases, omitted = self.build(dropped, integrate_limit)
            omitted = [
                replace(o, reason="time_budget", detail="did not fit the session time")
                if o.phase is Phase.INTEGRATE and o.reason == "phase_limit"
                else o
                for o in omitted
            ]
        return phases, tuple(omitted)

    def _drop_order(self) -> list[str]:
        evidence: dict[str, int] = {}
        for implication in (*self.analysis.overactive, *self.analysis.underactive):
            evidence[implication.muscle] = evidence.get(implication.muscle, 0) + len(implication.evidence)
        return sorted(evidence, key=lambda m: (evidence[m], m))

    def _planned(self, phase: Phase, entry: _Entry, variables: PhaseVariables) -> PlannedExercise:
        exercise, needs = entry.exercise, entry.needs
        sides: Collection[str]
        muscles: tuple[str, ...]
        if len(needs) == 1:  # the common case: one need, whose sides and evidence are already distinct
            need = needs[0]
            sides, findings, muscles = need.sides, need.evidence, (need.muscle,)
        else:
            sides = {s for need in needs for s in need.sides}
            # One analysis makes one Evidence per finding, so equal evidence is the same object: compare ids,
            # not the dataclass' hash.
            findings = tuple({id(e): e for need in needs for e in need.evidence}.values())
            muscles = tuple(need.muscle for need in needs)
        side = _side(exercise, sides)
        prescription = _prescription(exercise, variables)
        return PlannedExercise(
            exercise,
            muscles if phase is not Phase.INTEGRATE else exercise.targets,
            side,
            prescription,
            _rationale(phase, muscles, findings),
            _seconds(prescription, variables, 2 if side == "both" else 1, self.mode.transition_seconds),
        )


def _side(exercise: Exercise, sides: Collection[str]) -> str | None:
    """The side of a one-sided exercise: the findings' only body side, else both. `sides` are distinct."""
    if not exercise.unilateral:
        return None
    if len(sides) == 1 and "unspecified" not in sides:
        return next(iter(sides))
    return "both"


def _prescription(exercise: Exercise, variables: PhaseVariables) -> Dosage:
    if exercise.modality == variables.modality:
        return variables.dosage
    # Another technique (an active stretch, a positional isometric) keeps its own repetitions and holds.
    own = exercise.defaults
    return Dosage(variables.sets, own.reps, own.hold_seconds, own.tempo, variables.rest_seconds)


def _seconds(prescription: Dosage, variables: PhaseVariables, sides: int, transition: int) -> int:
    hold = prescription.hold_seconds or 0
    work = prescription.reps * max(variables.seconds_per_rep, hold) if prescription.reps else hold
    return sides * prescription.sets * (work + prescription.rest_seconds) + transition


# How a muscle phase's rationale opens: "Inhibit overactive", "Lengthen overactive", "Activate underactive".
_RATIONALE_OPENING = {phase: f"{phase.capitalize()} {role}" for phase, role in MUSCLE_PHASES.items()}


def _rationale(phase: Phase, muscles: tuple[str, ...], findings: tuple[Evidence, ...]) -> Rationale:
    # Most exercises answer one finding; several may share a citation only in principle, but keep it once.
    one = len(findings) == 1
    seen = findings[0].citation if one else ", ".join(dict.fromkeys([e.citation for e in findings]))
    if phase is Phase.INTEGRATE:
        text = f"Re-trains the movement pattern behind {', '.join(muscles)}: {seen}."
    else:
        text = f"{_RATIONALE_OPENING[phase]} {', '.join(muscles)}: found with {seen}."
    return Rationale(muscles, findings, text)
