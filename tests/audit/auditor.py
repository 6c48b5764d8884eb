"""The auditor: does a plan answer keep the rules a corrective-exercise specialist grades by?

The rules are those of the issue-11 working contract ("Rules a plan must keep" and the answer shape), with the
facts of shared/domain.md (K, M, G, F). Everything is re-derived from the seed YAML files, the request and the
JSON answer; nothing of app.domain or app.services decides whether a rule holds.

    knowledge = Knowledge.load(Path("seed"))
    violations = audit(request_dict, answer_dict, knowledge)   # [] when the plan keeps every rule

Each rule is one small function yielding `Violation(rule, detail)`; `RULES` lists the codes.
"""

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Json = dict[str, Any]

BODY_SIDES = ("left", "right")
PHASES = ("inhibit", "lengthen", "activate", "integrate")
STATIC_POSTURE = "static_posture"


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.detail}"


# Every rule code, with what it checks. The codes are stable: tests, reports and notes refer to them.
# Below two spare minutes the auditor cannot tell unused time from a full session: one more exercise with its
# transition (a set per side of a 30 s hold, say) takes a minute or more, and estimates are whole minutes. A 6-minute
# session with 5 used, the first such case found, had one minute left and nothing left that fits it.
MIN_SPARE_MINUTES = 2

RULES: dict[str, str] = {
    "shape": "a field the contract requires is missing or of the wrong kind, or names something the seed lacks",
    "unsafe_for_intake": "a planned exercise carries a risk tag the intake excludes, an isometric is not capped, "
    "or a plan was made despite a red flag",
    "works_weak_muscle": "an inhibit or lengthen exercise works a muscle underactive (or in conflict) on its side",
    "activates_tight_muscle": "an activate exercise works a muscle overactive and not underactive on its side",
    "time_unused": "time_budget or phase_limit omissions while the session has 10% or more, and at least "
    f"{MIN_SPARE_MINUTES} minutes, to spare",
    "over_time": "estimated_minutes above the session_minutes asked for",
    "id_in_text": "a snake_case id appears in text written for people",
    "side_text": "a one-sided exercise whose side_text does not name its side, or whose instructions send the "
    "client to the other side",
    "level_claim": "'above the client's level' wording although the request gave no level",
    "conflict_warning": "an analysis conflict without a warning naming a mobility test, or a warning claiming "
    "activation that is not planned",
    "omission_duplicate": "more than one omission for a (phase, muscle)",
    "omission_contradicts_plan": "an omission for a muscle the phase serves on a side the omission names",
    "missing_equipment_claim": "a missing_equipment omission although an otherwise allowed exercise for it needs "
    "nothing missing",
    "screening_notice": "not_screened / assumed_equipment warnings do not follow the request",
    "referral_shape": "a referral with plan fields, or without findings and urgent signs in words",
    "order": "a phase's exercises not grouped floor, then seated on a chair, then standing",
    "lifestyle_presumed": "a lifestyle note about sitting, desk work or running the client did not report",
    "pattern_contradicts_intake": "the static pattern entered is not the first listed, or a pattern matches one "
    "muscle or none",
    "needs_missing_equipment": "a planned exercise needs equipment the client does not have",
    "above_client_level": "an activate or integrate exercise above the level asked for (level 1 when none is given)",
    "next_step": "a planned exercise without a stop rule, or whose progression or regression the intake, the "
    "equipment or the level rules out",
    "request_rejected": "a valid request was refused (used by the property test and the report, not by audit())",
}

# --- issue-11 constants ----------------------------------------------------------------------------------------
# CONTRACT CONSTANTS: used only where the seed does not (yet) say it. issue 11 "Derived risk tags" and
# "Conditions"; domain.md M.1-M.4. Knowledge.fallbacks records every place they were used.
CONTRACT_FLOOR_POSITIONS = ("seated_floor", "half_kneeling", "kneeling", "quadruped", "supine", "prone", "side_lying")
CONTRACT_POSITION_TAGS: dict[str, tuple[str, ...]] = {
    "standing": (),
    "seated_chair": (),
    "seated_floor": ("floor",),
    "half_kneeling": ("floor", "kneeling"),
    "kneeling": ("floor", "kneeling"),
    "quadruped": ("floor", "quadruped"),
    "supine": ("floor", "supine"),
    "prone": ("floor", "prone"),
    "side_lying": ("floor", "side_lying"),
}
CONTRACT_POSITION_GROUP: dict[str, int] = dict.fromkeys(CONTRACT_FLOOR_POSITIONS, 1) | {
    "seated_chair": 2,
    "standing": 3,
}
CONTRACT_STANCE_TAGS: dict[str, tuple[str, ...]] = {"single_leg": ("single_leg",)}
CONTRACT_UNSUPPORTED_STANCE_TAGS: dict[str, tuple[str, ...]] = {
    "narrow": ("unsupported_balance",),
    "single_leg": ("unsupported_balance",),
    "moving": ("unsupported_balance",),
}
CONTRACT_EFFORT_TAGS: dict[str, tuple[str, ...]] = {"maximal": ("maximal_isometric",)}
CONTRACT_EFFORT_RANK: dict[str, int] = {"light": 1, "moderate": 2, "maximal": 3}
CONTRACT_CAP_EFFORT = "moderate"
CONTRACT_CAP_CONDITIONS = ("controlled_hypertension",)
CONTRACT_CONDITION_EXCLUDES: dict[str, tuple[str, ...]] = {
    "difficulty_getting_to_floor": ("floor",),
    "fall_risk": ("unsupported_balance", "free_squat"),
    "elderly_frail": ("unsupported_balance", "free_squat", "high_impact"),
    "controlled_hypertension": ("head_below_heart",),
}
CONTRACT_PREGNANCY_EXCLUDES: dict[int, tuple[str, ...]] = {
    1: (),
    2: ("supine", "prone", "unsupported_balance", "high_impact", "smr_lower_limb", "head_below_heart"),
    3: ("supine", "prone", "unsupported_balance", "high_impact", "smr_lower_limb", "head_below_heart"),
}
# Tags only the new vocabulary has: a seed list naming none of them (and differing from the contract) is stale.
NEW_ONLY_TAGS = frozenset(
    {"floor", "unsupported_balance", "free_squat", "kneeling", "quadruped", "side_lying", "maximal_isometric"}
)
# Contract "Omission reasons".
OMISSION_REASONS = frozenset(
    {
        "contraindication",
        "above_level",
        "missing_equipment",
        "time_budget",
        "phase_limit",
        "conflict",
        "unsafe_to_roll",
        "no_exercise",
        "works_weak_muscle",
        "not_in_mode",
    }
)
REFERRAL_FORBIDDEN_KEYS = (
    "phases",
    "template",
    "mode",
    "estimated_minutes",
    "session_minutes",
    "frequency_per_week",
    "reassess_after_weeks",
    "lifestyle",
    "omitted",
)
SITTING_HOURS = 6  # the brief: a sitting note needs sitting_hours >= 6 ...
SITTING_ACTIVITIES = ("desk_work", "driving")  # ... or a reported activity done sitting
LEVELLED_PHASES = ("activate", "integrate")  # rolling and stretching are not levelled (tests/api/test_plan_properties)

# --- the seed, as the auditor reads it ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Muscle:
    slug: str
    name: str
    member_of: tuple[str, ...]
    smr_safe: bool


@dataclass(frozen=True, slots=True)
class Compensation:
    slug: str
    name: str
    lateral: bool
    excludes: tuple[str, ...]
    assessments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Condition:
    slug: str
    name: str
    action: str  # refer | exclude | caution
    excludes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ExerciseFacts:
    slug: str
    name: str
    phase: str
    modality: str
    targets: tuple[str, ...]
    equipment: tuple[str, ...]
    level: int
    unilateral: bool
    tags: tuple[str, ...]  # declared
    position: str | None
    stance: str | None
    supported: bool
    effort: str | None
    instructions: tuple[str, ...]
    for_compensations: tuple[str, ...]
    inferred: tuple[str, ...] = ()  # fields the old-seed fallback inferred (position, stance, supported, effort)


@dataclass(frozen=True, slots=True)
class Safety:
    """What positions, stances and efforts mean (seed/exercise_safety.yaml, else the contract constants)."""

    position_tags: dict[str, tuple[str, ...]]
    position_group: dict[str, int]
    stance_tags: dict[str, tuple[str, ...]]
    unsupported_stance_tags: dict[str, tuple[str, ...]]
    effort_tags: dict[str, tuple[str, ...]]
    effort_rank: dict[str, int]
    cap_effort: str
    cap_conditions: tuple[str, ...]
    cap_pregnancy: bool
    source: str

    def derived_tags(self, facts: ExerciseFacts) -> tuple[str, ...]:
        tags: list[str] = []
        if facts.position is not None:
            tags += self.position_tags.get(facts.position, ())
        if facts.stance is not None:
            tags += self.stance_tags.get(facts.stance, ())
            if not facts.supported:
                tags += self.unsupported_stance_tags.get(facts.stance, ())
        if facts.effort is not None:
            tags += self.effort_tags.get(facts.effort, ())
        return tuple(tags)


CONTRACT_SAFETY = Safety(
    position_tags=CONTRACT_POSITION_TAGS,
    position_group=CONTRACT_POSITION_GROUP,
    stance_tags=CONTRACT_STANCE_TAGS,
    unsupported_stance_tags=CONTRACT_UNSUPPORTED_STANCE_TAGS,
    effort_tags=CONTRACT_EFFORT_TAGS,
    effort_rank=CONTRACT_EFFORT_RANK,
    cap_effort=CONTRACT_CAP_EFFORT,
    cap_conditions=CONTRACT_CAP_CONDITIONS,
    cap_pregnancy=True,
    source="issue-11 constants (seed/exercise_safety.yaml absent)",
)


_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: the seed is ~6,000 lines


def _read(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_LOADER)


def _read_folder(folder: Path) -> list[Any]:
    items: list[Any] = []
    for path in sorted(folder.glob("*.yaml")):
        loaded = _read(path)
        items.extend(loaded if isinstance(loaded, list) else [loaded])
    return items


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _tagged(value: Any) -> tuple[str, ...]:
    """A tag list of a `{key: {tags: [...]}}` entry."""
    return _strings(value.get("tags")) if isinstance(value, dict) else ()


def _safety(path: Path) -> Safety:
    if not path.exists():
        return CONTRACT_SAFETY
    data = _read(path) or {}
    positions: Mapping[str, Any] = data.get("positions") or {}
    stances: Mapping[str, Any] = data.get("stances") or {}
    efforts: Mapping[str, Any] = data.get("efforts") or {}
    caps: Mapping[str, Any] = data.get("effort_caps") or {}
    return Safety(
        position_tags={p: _tagged(v) for p, v in positions.items()} or CONTRACT_POSITION_TAGS,
        position_group={p: int(v["group"]) for p, v in positions.items() if isinstance(v, dict) and "group" in v}
        or CONTRACT_POSITION_GROUP,
        stance_tags={s: _tagged(v) for s, v in stances.items()} or CONTRACT_STANCE_TAGS,
        unsupported_stance_tags={
            s: _strings(v.get("unsupported_tags")) for s, v in stances.items() if isinstance(v, dict)
        }
        or CONTRACT_UNSUPPORTED_STANCE_TAGS,
        effort_tags={e: _tagged(v) for e, v in efforts.items()} or CONTRACT_EFFORT_TAGS,
        effort_rank={e: int(v["rank"]) for e, v in efforts.items() if isinstance(v, dict) and "rank" in v}
        or CONTRACT_EFFORT_RANK,
        cap_effort=str(caps.get("effort", CONTRACT_CAP_EFFORT)),
        cap_conditions=_strings(caps.get("for_conditions")) if "for_conditions" in caps else CONTRACT_CAP_CONDITIONS,
        cap_pregnancy=bool(caps.get("for_pregnancy", True)),
        source=str(path.name),
    )


# OLD-SEED FALLBACK: a seed written before issue-11 has no position, stance, supported or effort. For such an
# exercise they are inferred from its declared tags and the wording of its instructions, so the BEFORE figures
# still mean something. An exercise of the new seed never goes through this.
_POSITION_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (position, re.compile(pattern, re.IGNORECASE))
    for position, pattern in (
        ("supine", r"\b(lie|lying)\b[^.]{0,20}\bon (your|the) back\b|\bsupine\b"),
        ("prone", r"\b(lie|lying)\b[^.]{0,12}\bface ?down\b|\bprone\b|\b(lie|lying) on your (stomach|front)\b"),
        ("side_lying", r"\b(lie|lying) on (your|one) side\b|\bside-lying\b"),
        ("quadruped", r"\bhands and knees\b|\bquadruped\b|\ball fours\b|\bpush-up position\b"),
        ("half_kneeling", r"\bkneel\w* on one knee\b|\bhalf-kneel"),
        ("kneeling", r"\bkneel"),
        (
            "seated_floor",
            r"\bsit\w*\b[^.]{0,15}\bon the floor\b|\bsit\w*\b[^.]{0,30}\broller\b|\bsit with your legs straight\b"
            r"|\bsoles of the feet together\b|\bhands on the floor behind\b",
        ),
        ("seated_chair", r"\bsit\w*\b"),
        ("standing", r"\bstand|\bwall\b|\bsquat\b|\bface (it|the machine)\b|\bfacing\b"),
        ("seated_floor", r"\broller\b"),
    )
)
_MOVING = re.compile(
    r"\b(step(s|ping)? (up|onto|sideways|to the side)|step-ups?|lunges?|lunging|side-?steps?"
    r"|walk(s|ing)? (forward|sideways|side to side)|tube walk\w*|hops?|hopping|jump\w*)\b",
    re.IGNORECASE,
)
_STAGGERED = re.compile(
    r"\b(split stance|staggered|one foot (back|forward|in front)|step one foot back|long stride)\b", re.IGNORECASE
)
_NARROW = re.compile(r"\b(feet together|cross (your|one) (foot|leg|ankle)|heel-to-toe|tandem)\b", re.IGNORECASE)
_SUPPORT_THING = re.compile(r"\b(wall|chair|rail|counter|door frame)\b", re.IGNORECASE)
_SUPPORT_CONTACT = re.compile(
    r"\b(hand|hands|fingertips|forearm|hold|holding|back against|back to|back and (a|the)|lean\w*)\b", re.IGNORECASE
)


def _supported(instructions: tuple[str, ...]) -> bool:
    sentences = [s for step in instructions for s in re.split(r"[.;]", step)]
    return any(_SUPPORT_THING.search(s) and _SUPPORT_CONTACT.search(s) for s in sentences)


def _inferred_place(tags: tuple[str, ...], instructions: tuple[str, ...]) -> tuple[str | None, str | None, bool]:
    text = " ".join(instructions[:2])
    position = "supine" if "supine" in tags else "prone" if "prone" in tags else None
    if position is None:
        position = next((p for p, words in _POSITION_WORDS if words.search(text)), "seated_chair")
    stance = "none"
    if position == "standing":
        everything = " ".join(instructions)
        if "single_leg" in tags:
            stance = "single_leg"
        elif _MOVING.search(everything):
            stance = "moving"
        elif _NARROW.search(everything):
            stance = "narrow"
        elif _STAGGERED.search(everything):
            stance = "staggered"
        else:
            stance = "bilateral"
    return position, stance, _supported(instructions)


def _exercise(raw: Mapping[str, Any]) -> ExerciseFacts:
    tags = _strings(raw.get("tags"))
    instructions = _strings(raw.get("instructions"))
    position, stance = raw.get("position"), raw.get("stance")
    supported, effort = bool(raw.get("supported", False)), raw.get("effort")
    inferred: list[str] = []
    if position is None:
        position, stance, supported = _inferred_place(tags, instructions)
        inferred += ["position", "stance", "supported"]
    if effort is None and raw.get("modality") == "positional_isometric" and "position" in inferred:
        effort = "maximal"  # F.1: positional isometrics build 25 -> 50 -> 75 -> 100 %
        inferred.append("effort")
    return ExerciseFacts(
        slug=str(raw["slug"]),
        name=str(raw.get("name", raw["slug"])),
        phase=str(raw.get("phase", "")),
        modality=str(raw.get("modality", "")),
        targets=_strings(raw.get("targets")),
        equipment=_strings(raw.get("equipment")),
        level=int(raw.get("level", 1)),
        unilateral=bool(raw.get("unilateral", False)),
        tags=tags,
        position=position if isinstance(position, str) else None,
        stance=stance if isinstance(stance, str) else None,
        supported=supported,
        effort=effort if isinstance(effort, str) else None,
        instructions=instructions,
        for_compensations=_strings(raw.get("for_compensations")),
        inferred=tuple(inferred),
    )


def _closure_below(muscles: Mapping[str, Muscle]) -> dict[str, frozenset[str]]:
    """Each muscle with all its members, transitively (member_of points up: X.member_of = [group])."""
    members: dict[str, set[str]] = {slug: set() for slug in muscles}
    for muscle in muscles.values():
        for group in muscle.member_of:
            members.setdefault(group, set()).add(muscle.slug)
    below: dict[str, frozenset[str]] = {}
    for slug in members:
        seen, todo = {slug}, [slug]
        while todo:
            for member in members.get(todo.pop(), ()):
                if member not in seen:
                    seen.add(member)
                    todo.append(member)
        below[slug] = frozenset(seen)
    return below


def _conditions(raw: list[Json], fallbacks: list[str]) -> dict[str, Condition]:
    """conditions.yaml; a contract condition whose list is stale (old tags only) gets the contract's list."""
    conditions = {}
    for c in raw:
        slug, excludes = str(c["slug"]), _strings(c.get("excludes"))
        contract = CONTRACT_CONDITION_EXCLUDES.get(slug)
        if contract is not None and set(excludes) != set(contract) and not set(excludes) & NEW_ONLY_TAGS:
            fallbacks.append(f"conditions.yaml {slug} excludes {list(excludes)} look stale: contract {list(contract)}")
            excludes = contract
        conditions[slug] = Condition(slug, str(c.get("name", slug)), str(c.get("action", "")), excludes)
    return conditions


def _pregnancy_excludes(pregnancy: Mapping[str, Any], fallbacks: list[str]) -> dict[int, frozenset[str]]:
    """screening.yaml pregnancy.excludes_by_trimester; a stale trimester gets the contract's list."""
    by_trimester = {int(t): _strings(tags) for t, tags in (pregnancy.get("excludes_by_trimester") or {}).items()}
    excludes: dict[int, frozenset[str]] = {}
    for trimester, contract_tags in CONTRACT_PREGNANCY_EXCLUDES.items():
        tags = by_trimester.get(trimester)
        if tags is None or (set(tags) != set(contract_tags) and not set(tags) & NEW_ONLY_TAGS):
            fallbacks.append(
                f"screening.yaml trimester {trimester} excludes {tags} look stale: contract {list(contract_tags)}"
            )
            tags = contract_tags
        excludes[trimester] = frozenset(tags)
    return excludes


def _ids(kinds: Mapping[str, set[str]]) -> dict[str, str]:
    """Every snake_case id -> what it is; later kinds win (a slug that is a muscle is called a muscle)."""
    ids: dict[str, str] = {}
    for kind, slugs in kinds.items():
        ids.update({slug: kind for slug in slugs if "_" in slug})
    return ids


@dataclass(frozen=True, eq=False)
class Knowledge:
    """What the seed says, read once. `fallbacks` lists every contract constant or inference that stood in."""

    seed_dir: Path
    muscles: dict[str, Muscle]
    below: dict[str, frozenset[str]]
    compensations: dict[str, Compensation]
    assessments: tuple[str, ...]
    rulesets: dict[str, frozenset[tuple[str, str]]]  # slug -> (assessment, compensation) rows
    default_ruleset: str
    equipment: tuple[str, ...]
    conditions: dict[str, Condition]
    pregnancy_excludes: dict[int, frozenset[str]]
    pregnancy_refers_without_clearance: bool
    recent_injury_weeks: int
    exercises: dict[str, ExerciseFacts]
    worked: dict[str, frozenset[str]]  # exercise -> its targets and all their members
    risk: dict[str, frozenset[str]]  # exercise -> declared + derived risk tags
    templates: dict[str, Json]
    lifestyle_codes: tuple[str, ...]
    mobility_tests: tuple[str, ...]  # names of seed/mobility_tests.yaml (lower case), if the file exists
    safety: Safety
    ids: dict[str, str]  # every snake_case id of the seed -> what it is
    fallbacks: tuple[str, ...]

    @classmethod
    def load(cls, seed_dir: Path) -> "Knowledge":
        fallbacks: list[str] = []
        muscles = {
            str(m["slug"]): Muscle(
                str(m["slug"]),
                str(m.get("name", m["slug"])),
                _strings(m.get("member_of")),
                bool(m.get("smr_safe", True)),
            )
            for m in _read(seed_dir / "muscles.yaml")
        }
        compensations = {
            str(c["slug"]): Compensation(
                str(c["slug"]),
                str(c.get("name", c["slug"])),
                bool(c.get("lateral", False)),
                _strings(c.get("excludes")),
                tuple(str(a["assessment"]) for a in c.get("assessments") or [] if isinstance(a, dict)),
            )
            for c in _read(seed_dir / "compensations.yaml")
        }
        rulesets: dict[str, frozenset[tuple[str, str]]] = {}
        default_ruleset = "nasm_ces_2011"
        for ruleset in _read_folder(seed_dir / "rulesets"):
            rows = ruleset.get("rows") or []
            rulesets[str(ruleset["slug"])] = frozenset((str(r["assessment"]), str(r["compensation"])) for r in rows)
            if ruleset.get("default"):
                default_ruleset = str(ruleset["slug"])
        conditions = _conditions(_read(seed_dir / "conditions.yaml"), fallbacks)
        screening = _read(seed_dir / "screening.yaml") or {}
        pregnancy = screening.get("pregnancy") or {}
        pregnancy_excludes = _pregnancy_excludes(pregnancy, fallbacks)
        safety = _safety(seed_dir / "exercise_safety.yaml")
        if safety is CONTRACT_SAFETY:
            fallbacks.append("seed/exercise_safety.yaml absent: issue-11 derivation constants used")
        exercises = {e.slug: e for e in map(_exercise, _read_folder(seed_dir / "exercises"))}
        guessed = sorted(e.slug for e in exercises.values() if e.inferred)
        if guessed:
            fallbacks.append(f"{len(guessed)} exercises without position/stance: inferred from tags and instructions")
        below = _closure_below(muscles)
        worked = {
            e.slug: frozenset().union(*(below.get(t, frozenset({t})) for t in e.targets)) for e in exercises.values()
        }
        risk = {e.slug: frozenset(e.tags) | frozenset(safety.derived_tags(e)) for e in exercises.values()}
        templates = {str(t["slug"]): t for t in _read_folder(seed_dir / "templates") if isinstance(t, dict)}
        lifestyle_codes = tuple(str(n["slug"]) for n in _read(seed_dir / "lifestyle.yaml") or [])
        equipment = tuple(str(e["slug"]) for e in _read(seed_dir / "equipment.yaml"))
        tests_file = seed_dir / "mobility_tests.yaml"
        tests = (_read(tests_file) or {}).get("tests") or [] if tests_file.exists() else []
        mobility_tests = tuple(str(t["name"]).lower() for t in tests if isinstance(t, dict) and t.get("name"))
        assessments = tuple(str(a["slug"]) for a in _read(seed_dir / "assessments.yaml"))
        ids = _ids(
            {
                "modality": {e.modality for e in exercises.values()},
                "position": set(safety.position_tags) | set(CONTRACT_POSITION_TAGS),
                "risk tag": {t for tags in risk.values() for t in tags} | NEW_ONLY_TAGS,
                "lifestyle code": set(lifestyle_codes),
                "template": set(templates),
                "ruleset": set(rulesets),
                "assessment": set(assessments),
                "condition": set(conditions),
                "equipment": set(equipment),
                "exercise": set(exercises),
                "compensation": set(compensations),
                "muscle": set(muscles) | set(below),
            }
        )
        return cls(
            seed_dir=seed_dir,
            muscles=muscles,
            below=below,
            compensations=compensations,
            assessments=assessments,
            rulesets=rulesets,
            default_ruleset=default_ruleset,
            equipment=equipment,
            conditions=conditions,
            pregnancy_excludes=pregnancy_excludes,
            pregnancy_refers_without_clearance=pregnancy.get("without_clearance", "refer") == "refer",
            recent_injury_weeks=int(screening.get("recent_injury_weeks", 26)),
            exercises=exercises,
            worked=worked,
            risk=risk,
            templates=templates,
            lifestyle_codes=lifestyle_codes,
            mobility_tests=mobility_tests,
            safety=safety,
            ids=ids,
            fallbacks=tuple(fallbacks),
        )

    def members(self, muscle: str) -> frozenset[str]:
        """The muscle and all its members (transitively)."""
        return self.below.get(muscle, frozenset({muscle}))

    def touches(self, worked: frozenset[str], muscle: str) -> bool:
        """contract §2: M touches the worked set when M or any member of M is in it."""
        return not worked.isdisjoint(self.members(muscle))

    def muscle_words(self, muscle: str) -> tuple[str, ...]:
        """Ways a text may name a muscle: its seed name (and the part before a comma), its slug in words."""
        found = self.muscles.get(muscle)
        words = {muscle.replace("_", " ")}
        if found is not None:
            words |= {found.name.lower(), found.name.split(",")[0].split("(")[0].strip().lower()}
        return tuple(sorted(w for w in words if w))


# --- reading an answer --------------------------------------------------------------------------------------------


def _object(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[Json]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _sides_worked(side: Any) -> frozenset[str]:
    """contract §2: left -> {left}; right -> {right}; both or null -> both."""
    return frozenset({side}) if side in BODY_SIDES else frozenset(BODY_SIDES)


def _body_sides(sides: Any) -> set[str]:
    """An analysis item's sides; `unspecified` counts on both."""
    found: set[str] = set()
    for side in sides if isinstance(sides, list) else []:
        found |= set(BODY_SIDES) if side not in BODY_SIDES else {side}
    return found


def _by_muscle(items: Any) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for item in _dicts(items):
        if isinstance(item.get("muscle"), str):
            found.setdefault(item["muscle"], set()).update(_body_sides(item.get("sides")))
    return found


@dataclass(frozen=True, slots=True)
class Planned:
    phase: str
    index: int
    item: Json
    slug: str | None
    facts: ExerciseFacts | None
    sides: frozenset[str]
    worked: frozenset[str]

    @property
    def where(self) -> str:
        return f"{self.phase}[{self.index}] {self.slug}"

    @property
    def muscles(self) -> list[str]:
        return [m for m in self.item.get("muscles") or [] if isinstance(m, str)]

    @property
    def position(self) -> str | None:
        """The position the answer gives: on the planned item, or on its exercise (contract: either reads well)."""
        exercise = self.item.get("exercise")
        found = self.item.get("position", exercise.get("position") if isinstance(exercise, dict) else None)
        return found if isinstance(found, str) else None


@dataclass(frozen=True, eq=False)
class Case:
    """One request and its answer, with what several rules read prepared once."""

    request: Json
    answer: Json
    knowledge: Knowledge
    planned: tuple[Planned, ...]
    overactive: dict[str, set[str]]
    underactive: dict[str, set[str]]
    conflicts: dict[str, set[str]]

    @classmethod
    def of(cls, request: Json, answer: Json, knowledge: Knowledge) -> "Case":
        planned = []
        phases = _dicts(answer.get("phases")) if answer.get("status") == "plan" else []
        for phase in phases:
            for index, item in enumerate(_dicts(phase.get("exercises"))):
                exercise = item.get("exercise")
                slug = exercise.get("slug") if isinstance(exercise, dict) else None
                slug = slug if isinstance(slug, str) else None
                facts = knowledge.exercises.get(slug) if slug else None
                worked = knowledge.worked.get(slug, frozenset()) if slug else frozenset()
                planned.append(
                    Planned(str(phase.get("phase")), index, item, slug, facts, _sides_worked(item.get("side")), worked)
                )
        analysis = _object(answer.get("analysis"))
        return cls(
            request,
            answer,
            knowledge,
            tuple(planned),
            _by_muscle(analysis.get("overactive")),
            _by_muscle(analysis.get("underactive")),
            _by_muscle(analysis.get("conflicts")),
        )

    @property
    def is_plan(self) -> bool:
        return self.answer.get("status") == "plan"

    @property
    def screening(self) -> Json | None:
        screening = self.request.get("screening")
        return screening if isinstance(screening, dict) else None

    @property
    def preferences(self) -> Json:
        preferences = self.request.get("preferences")
        return preferences if isinstance(preferences, dict) else {}

    @property
    def equipment(self) -> set[str] | None:
        equipment = self.preferences.get("equipment")
        return set(equipment) if isinstance(equipment, list) else None

    @property
    def conditions(self) -> list[str]:
        return [c for c in (self.screening or {}).get("conditions") or [] if isinstance(c, str)]

    @property
    def cleared_trimester(self) -> int | None:
        pregnancy = (self.screening or {}).get("pregnancy")
        if isinstance(pregnancy, dict) and pregnancy.get("cleared_by_physician") is True:
            trimester = pregnancy.get("trimester")
            return trimester if isinstance(trimester, int) else None
        return None

    def omissions(self) -> list[Json]:
        return _dicts(self.answer.get("omitted"))

    def warnings(self) -> list[Json]:
        return _dicts(self.answer.get("warnings"))

    def in_phase(self, phase: str) -> list[Planned]:
        return [p for p in self.planned if p.phase == phase]

    def texts(self) -> Iterator[tuple[str, str]]:
        """Every text written for people, with where it is."""
        for p in self.planned:
            rationale = p.item.get("rationale")
            if isinstance(rationale, dict) and isinstance(rationale.get("text"), str):
                yield f"{p.where} rationale", rationale["text"]
            for n, note in enumerate(p.item.get("notes") or []):
                if isinstance(note, str):
                    yield f"{p.where} notes[{n}]", note
            if isinstance(p.item.get("side_text"), str):
                yield f"{p.where} side_text", p.item["side_text"]
        for key in ("warnings", "lifestyle"):
            for n, notice in enumerate(_dicts(self.answer.get(key))):
                if isinstance(notice.get("message"), str):
                    yield f"{key}[{n}] ({notice.get('code')})", notice["message"]
        for n, omission in enumerate(self.omissions()):
            if isinstance(omission.get("detail"), str):
                yield f"omitted[{n}] ({omission.get('reason')})", omission["detail"]
        referral = self.answer.get("referral")
        if isinstance(referral, dict):
            for n, reason in enumerate(_dicts(referral.get("reasons"))):
                if isinstance(reason.get("message"), str):
                    yield f"referral.reasons[{n}]", reason["message"]
            if isinstance(referral.get("advice"), str):
                yield "referral.advice", referral["advice"]
            for key in ("findings", "urgent_signs"):
                for n, text in enumerate(referral.get(key) or []):
                    if isinstance(text, str):
                        yield f"referral.{key}[{n}]", text


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- the rules ----------------------------------------------------------------------------------------------------

Check = Callable[[Case], Iterable[Violation]]


def _kind_ok(value: Any, kinds: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


def _missing(obj: Json, where: str, fields: Mapping[str, tuple[type, ...]]) -> Iterator[Violation]:
    for key, kinds in fields.items():
        if key not in obj:
            yield Violation("shape", f"{where}: `{key}` is missing")
        elif not _kind_ok(obj[key], kinds):
            yield Violation(
                "shape", f"{where}: `{key}` is {type(obj[key]).__name__}, not {'/'.join(k.__name__ for k in kinds)}"
            )


NONE = type(None)
TOP_FIELDS: dict[str, tuple[type, ...]] = {
    "plan_id": (str,),
    "status": (str,),
    "ruleset": (dict,),
    "analysis": (dict,),
    "warnings": (list,),
}
PLAN_FIELDS: dict[str, tuple[type, ...]] = {
    "template": (dict,),
    "mode": (str,),
    "phases": (list,),
    "estimated_minutes": (int,),
    "session_minutes": (int, NONE),
    "frequency_per_week": (str,),
    "reassess_after_weeks": (int,),
    "lifestyle": (list,),
    "omitted": (list,),
}
ANALYSIS_FIELDS: dict[str, tuple[type, ...]] = {
    "overactive": (list,),
    "underactive": (list,),
    "conflicts": (list,),
    "patterns": (list,),
}
PHASE_FIELDS: dict[str, tuple[type, ...]] = {"phase": (str,), "modalities": (list,), "exercises": (list,)}
ITEM_FIELDS: dict[str, tuple[type, ...]] = {
    "exercise": (dict,),
    "muscles": (list,),
    "side": (str, NONE),
    "modality": (str,),
    "side_text": (str, NONE),
    "effort": (str, NONE),
    "notes": (list,),
    "rationale": (dict,),
}
OMISSION_FIELDS: dict[str, tuple[type, ...]] = {
    "reason": (str,),
    "phase": (str, NONE),
    "detail": (str,),
    "muscle": (str, NONE),
}
NOTICE_FIELDS: dict[str, tuple[type, ...]] = {"code": (str,), "message": (str,)}


def check_shape(case: Case) -> Iterator[Violation]:
    answer = case.answer
    yield from _missing(answer, "answer", TOP_FIELDS)
    if answer.get("status") not in ("plan", "referral"):
        yield Violation("shape", f"answer: status {answer.get('status')!r} is neither plan nor referral")
    if isinstance(answer.get("analysis"), dict):
        yield from _missing(answer["analysis"], "analysis", ANALYSIS_FIELDS)
    for n, notice in enumerate(answer.get("warnings") or []):
        if isinstance(notice, dict):
            yield from _missing(notice, f"warnings[{n}]", NOTICE_FIELDS)
        else:
            yield Violation("shape", f"warnings[{n}] is not an object")
    if answer.get("status") == "referral":
        if not isinstance(answer.get("referral"), dict):
            yield Violation("shape", "referral: `referral` is missing or not an object")
        return
    if answer.get("status") != "plan":
        return
    yield from _missing(answer, "plan", PLAN_FIELDS)
    for n, notice in enumerate(answer.get("lifestyle") or []):
        if isinstance(notice, dict):
            yield from _missing(notice, f"lifestyle[{n}]", NOTICE_FIELDS)
    phases = _dicts(answer.get("phases"))
    if [p.get("phase") for p in phases] != list(PHASES):
        yield Violation("shape", f"phases are {[p.get('phase') for p in phases]}, not {list(PHASES)}")
    for phase in phases:
        yield from _missing(phase, f"phase {phase.get('phase')}", PHASE_FIELDS)
        used = list(dict.fromkeys(i.get("modality") for i in _dicts(phase.get("exercises"))))
        if isinstance(phase.get("modalities"), list) and phase["modalities"] != used:
            yield Violation(
                "shape", f"phase {phase.get('phase')}: modalities {phase['modalities']}, exercises use {used}"
            )
    for p in case.planned:
        yield from _missing(p.item, p.where, ITEM_FIELDS)
        if p.slug is None:
            yield Violation("shape", f"{p.where}: exercise has no slug")
            continue
        if p.facts is None:
            yield Violation("shape", f"{p.where}: exercise {p.slug} is not in the seed")
            continue
        if p.facts.phase != p.phase:
            yield Violation("shape", f"{p.where}: a {p.facts.phase} exercise planned in {p.phase}")
        if "modality" in p.item and p.item["modality"] != p.facts.modality:
            yield Violation("shape", f"{p.where}: modality {p.item['modality']!r}, the seed says {p.facts.modality!r}")
        if p.position is None:
            yield Violation("shape", f"{p.where}: `position` is missing (neither on the item nor on its exercise)")
        elif "position" not in p.facts.inferred and p.position != p.facts.position:
            yield Violation("shape", f"{p.where}: position {p.position!r}, the seed says {p.facts.position!r}")
        if p.item.get("side") not in ("left", "right", "both", None):
            yield Violation("shape", f"{p.where}: side {p.item.get('side')!r}")
        if p.item.get("effort") not in (None, *CONTRACT_EFFORT_RANK):
            yield Violation(
                "shape", f"{p.where}: effort {p.item.get('effort')!r}; contract: null, light, moderate, maximal"
            )
        if isinstance(p.item.get("rationale"), dict) and not isinstance(p.item["rationale"].get("text"), str):
            yield Violation("shape", f"{p.where}: rationale has no text")
    for n, omission in enumerate(answer.get("omitted") or []):
        if not isinstance(omission, dict):
            yield Violation("shape", f"omitted[{n}] is not an object")
            continue
        yield from _missing(omission, f"omitted[{n}]", OMISSION_FIELDS)
        if omission.get("reason") not in OMISSION_REASONS:
            yield Violation("shape", f"omitted[{n}]: reason {omission.get('reason')!r} is not a contract reason")


def _excluded_tags(case: Case) -> dict[str, list[str]]:
    """Risk tag -> what in the intake excludes it."""
    excluded: dict[str, list[str]] = {}
    for slug in case.conditions:
        condition = case.knowledge.conditions.get(slug)
        if condition is not None and condition.action == "exclude":
            for tag in condition.excludes:
                excluded.setdefault(tag, []).append(slug)
    trimester = case.cleared_trimester
    if trimester is not None:
        for tag in case.knowledge.pregnancy_excludes.get(trimester, frozenset()):
            excluded.setdefault(tag, []).append(f"pregnancy (trimester {trimester})")
    return excluded


def _red_flags(case: Case) -> list[str]:
    screening, k = case.screening or {}, case.knowledge
    flags = []
    if screening.get("current_pain") is True:
        flags.append("current pain")
    if screening.get("numbness") is True:
        flags.append("numbness")
    flags += [f"condition {c}" for c in case.conditions if getattr(k.conditions.get(c), "action", "") == "refer"]
    for injury in _dicts(screening.get("injuries")):
        weeks = injury.get("weeks_ago")
        if isinstance(weeks, int) and weeks <= k.recent_injury_weeks:
            flags.append(f"{injury.get('kind')} {weeks} weeks ago")
    pregnancy = screening.get("pregnancy")
    uncleared = isinstance(pregnancy, dict) and pregnancy.get("cleared_by_physician") is False
    if uncleared and k.pregnancy_refers_without_clearance:
        flags.append("pregnancy without clearance")
    return flags


BREATHE_OUT = re.compile(r"\bbreath(e|es|ing)? out\b|\bexhal(e|es|ing)\b", re.IGNORECASE)


def check_unsafe_for_intake(case: Case) -> Iterator[Violation]:
    if not case.is_plan:
        return
    flags = _red_flags(case)
    if flags:
        yield Violation("unsafe_for_intake", f"a plan, not a referral, despite {', '.join(flags)}")
    excluded = _excluded_tags(case)
    k = case.knowledge
    capped = any(c in k.safety.cap_conditions for c in case.conditions) or (
        k.safety.cap_pregnancy and case.cleared_trimester is not None
    )
    cap_rank = k.safety.effort_rank.get(k.safety.cap_effort, 2)
    for p in case.planned:
        if p.facts is None or p.slug is None:
            continue
        for tag in sorted(k.risk[p.slug] & set(excluded)):
            yield Violation("unsafe_for_intake", f"{p.where} is {tag}, excluded by {', '.join(excluded[tag])}")
        effort = p.facts.effort
        if not capped or p.facts.modality != "positional_isometric" or effort is None:
            continue
        if k.safety.effort_rank.get(effort, cap_rank + 1) > cap_rank:
            notes = [n for n in p.item.get("notes") or [] if isinstance(n, str)]
            if p.item.get("effort") != k.safety.cap_effort:
                yield Violation(
                    "unsafe_for_intake",
                    f"{p.where}: a {effort} isometric for this intake with effort {p.item.get('effort')!r}, "
                    f"not {k.safety.cap_effort!r}",
                )
            if not any(BREATHE_OUT.search(n) for n in notes):
                yield Violation("unsafe_for_intake", f"{p.where}: a capped isometric with no note to breathe out")


def _weak(case: Case) -> dict[str, set[str]]:
    """Muscle -> body sides it is underactive or in conflict on."""
    weak = {m: set(s) for m, s in case.underactive.items()}
    for muscle, sides in case.conflicts.items():
        weak.setdefault(muscle, set()).update(sides)
    return weak


def check_works_weak_muscle(case: Case) -> Iterator[Violation]:
    weak, k = _weak(case), case.knowledge
    for p in case.planned:
        if p.phase not in ("inhibit", "lengthen"):
            continue
        for muscle, sides in weak.items():
            on = sorted(sides & p.sides)
            if on and k.touches(p.worked, muscle):
                yield Violation(
                    "works_weak_muscle",
                    f"{p.where} (side {p.item.get('side')}) works {muscle}, "
                    f"underactive or in conflict on {', '.join(on)}",
                )


def check_activates_tight_muscle(case: Case) -> Iterator[Violation]:
    k, tight = case.knowledge, _tight(case)
    for p in case.in_phase("activate"):
        for muscle, sides in tight.items():
            on = sorted(sides & p.sides)
            if on and k.touches(p.worked, muscle):
                yield Violation(
                    "activates_tight_muscle",
                    f"{p.where} (side {p.item.get('side')}) works {muscle}, overactive and not underactive on "
                    f"{', '.join(on)}",
                )


def _session_minutes(case: Case) -> int | None:
    minutes = case.preferences.get("session_minutes")
    return minutes if isinstance(minutes, int) and not isinstance(minutes, bool) else None


def check_over_time(case: Case) -> Iterator[Violation]:
    minutes, estimated = _session_minutes(case), case.answer.get("estimated_minutes")
    if case.is_plan and minutes is not None and isinstance(estimated, int) and estimated > minutes:
        yield Violation("over_time", f"estimated {estimated} min, session {minutes} min")


def check_time_unused(case: Case) -> Iterator[Violation]:
    minutes, estimated = _session_minutes(case), case.answer.get("estimated_minutes")
    if not case.is_plan or minutes is None or not isinstance(estimated, int):
        return
    for n, omission in enumerate(case.omissions()):
        reason = omission.get("reason")
        spare = minutes - estimated
        if reason in ("time_budget", "phase_limit") and spare >= max(0.1 * minutes, MIN_SPARE_MINUTES):
            yield Violation(
                "time_unused",
                f"omitted[{n}] {reason} ({omission.get('phase')}, "
                f"{omission.get('muscle') or omission.get('compensation')}) with {estimated} of {minutes} min used",
            )
        elif reason == "phase_limit":
            yield Violation("time_unused", f"omitted[{n}] phase_limit although session_minutes ({minutes}) was given")


SNAKE = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+(?![A-Za-z0-9_])")


def check_id_in_text(case: Case) -> Iterator[Violation]:
    for where, text in case.texts():
        for token in dict.fromkeys(SNAKE.findall(text)):
            kind = case.knowledge.ids.get(token.lower(), "id-like token")
            yield Violation("id_in_text", f"{where}: {kind} `{token}` in {_short(text)!r}")


OTHER_SIDE = re.compile(
    r"\b(switch|change|swap)(es|ing)?\s+(sides|legs|arms|feet|hands)\b"
    r"|\b(repeat|switch|change|swap|do the same|then)\b[^.;]{0,40}\b(other|opposite)\s+"
    r"(side|leg|arm|foot|hand|hip|knee|shoulder)\b"
    r"|\b(repeat|do the same)\b[^.;]{0,30}\b(each|both)\s+(side|sides|leg|legs|arm|arms)\b",
    re.IGNORECASE,
)


def check_side_text(case: Case) -> Iterator[Violation]:
    for p in case.planned:
        side = p.item.get("side")
        if side not in BODY_SIDES:
            continue
        text = p.item.get("side_text")
        if not isinstance(text, str) or not re.search(rf"\b{side}\b", text, re.IGNORECASE):
            yield Violation("side_text", f"{p.where} is {side} only, side_text {text!r} does not say so")
        exercise = p.item.get("exercise")
        shown = exercise.get("instructions") if isinstance(exercise, dict) else None
        instructions = shown if isinstance(shown, list) else list(p.facts.instructions if p.facts else ())
        for step in instructions:
            if isinstance(step, str) and OTHER_SIDE.search(step):
                yield Violation("side_text", f"{p.where} is {side} only, an instruction says {_short(step)!r}")


LEVEL_CLAIM = re.compile(
    r"\babove\b[^.;]{0,40}\blevel\b|\blevel\s*\d\b[^.;]{0,30}\babove\b|\b(client|person|user)'?s?\s+(level|\d)\b"
    r"|\b(their|your)\s+level\b",
    re.IGNORECASE,
)


def check_level_claim(case: Case) -> Iterator[Violation]:
    if case.preferences.get("level") is not None:
        return
    for where, text in case.texts():
        if LEVEL_CLAIM.search(text):
            yield Violation("level_claim", f"{where}: {_short(text)!r} although the request gave no level")


_NEGATION = re.compile(r"\b(no|not|never|nor|neither|without)\b|n't\b", re.IGNORECASE)
_ACTIVATION_PLANNED = re.compile(
    r"\bactivat\w*\b[^.;:]*\b(planned|included|scheduled|kept|given|prescribed)\b"
    r"|\b(planned|included|scheduled|only)\b[^.;:]*\bactivat\w*|\bactivation only\b|\bwe activate\b|\bis activated\b",
    re.IGNORECASE,
)


def _claims_activation(text: str) -> bool:
    return any(
        _ACTIVATION_PLANNED.search(clause) and not _NEGATION.search(clause) for clause in re.split(r"[.;:!?]", text)
    )


def _names_a_test(message: str, knowledge: Knowledge) -> bool:
    """A mobility test is named: the word test (retest, testing) or a name of seed/mobility_tests.yaml."""
    lowered = message.lower()
    return "test" in lowered or any(name in lowered for name in knowledge.mobility_tests)


def check_conflict_warning(case: Case) -> Iterator[Violation]:
    if not case.is_plan:
        return  # a referral plans nothing: its warnings are the intake's
    k = case.knowledge
    warnings = [w for w in case.warnings() if "conflict" in str(w.get("code", ""))]
    for muscle, sides in case.conflicts.items():
        words = k.muscle_words(muscle)
        naming = [
            w
            for w in warnings
            if muscle in str(w.get("code", "")) or any(word in str(w.get("message", "")).lower() for word in words)
        ]
        if not naming:
            yield Violation("conflict_warning", f"no conflict warning names {muscle} ({', '.join(sorted(sides))})")
            continue
        served = any(
            muscle in p.muscles or k.touches(p.worked, muscle) for p in case.in_phase("activate") if p.sides & sides
        )
        for warning in naming:
            message = str(warning.get("message", ""))
            if not _names_a_test(message, k):
                yield Violation(
                    "conflict_warning", f"warning {warning.get('code')} names no mobility test: {_short(message)!r}"
                )
            if case.is_plan and not served and _claims_activation(message):
                yield Violation(
                    "conflict_warning",
                    f"warning {warning.get('code')} claims activation for {muscle}, none is planned: "
                    f"{_short(message)!r}",
                )


def _omission_key(omission: Json) -> tuple[Any, ...] | None:
    if isinstance(omission.get("muscle"), str):
        return (omission.get("phase"), omission["muscle"])
    if omission.get("reason") == "not_in_mode":
        return (omission.get("phase"), "(not_in_mode)")
    return None


def check_omission_duplicate(case: Case) -> Iterator[Violation]:
    counted = Counter(key for key in map(_omission_key, case.omissions()) if key is not None)
    for (phase, muscle), count in counted.items():
        if count > 1:
            reasons = [o.get("reason") for o in case.omissions() if _omission_key(o) == (phase, muscle)]
            yield Violation("omission_duplicate", f"{count} omissions for ({phase}, {muscle}): {reasons}")


def _omitted_sides(omission: Json) -> frozenset[str]:
    """An omission's body sides: its `side` ("left", "left,right", ...); none given means both."""
    side = omission.get("side")
    named = {s.strip() for s in side.split(",")} & set(BODY_SIDES) if isinstance(side, str) else set()
    return frozenset(named or BODY_SIDES)


def check_omission_contradicts_plan(case: Case) -> Iterator[Violation]:
    for n, omission in enumerate(case.omissions()):
        muscle, phase = omission.get("muscle"), omission.get("phase")
        if not isinstance(muscle, str):
            continue
        sides = _omitted_sides(omission)
        serving = [p.slug for p in case.in_phase(str(phase)) if muscle in p.muscles and p.sides & sides]
        if serving:
            yield Violation(
                "omission_contradicts_plan",
                f"omitted[{n}] {omission.get('reason')} for ({phase}, {muscle}), "
                f"which {', '.join(map(str, serving))} serves",
            )


def _client_level(case: Case) -> int:
    level = case.preferences.get("level")
    return level if isinstance(level, int) and not isinstance(level, bool) else 1


def _tight(case: Case) -> dict[str, set[str]]:
    """Muscle -> body sides it is overactive and not underactive on."""
    return {m: sides - case.underactive.get(m, set()) for m, sides in case.overactive.items()}


def _allowed(case: Case, exercise: ExerciseFacts, sides: frozenset[str]) -> bool:
    """Whether the other rules would let this exercise into the plan on these sides (equipment aside). A two-sided
    exercise works both sides whatever side is wanted."""
    k = case.knowledge
    worked = k.worked[exercise.slug]
    sides = sides if exercise.unilateral else frozenset(BODY_SIDES)
    if k.risk[exercise.slug] & set(_excluded_tags(case)):
        return False
    if exercise.phase in LEVELLED_PHASES and exercise.level > _client_level(case):
        return False
    guarded = {"inhibit": _weak, "lengthen": _weak, "activate": _tight}.get(exercise.phase)
    return guarded is None or not any(on & sides and k.touches(worked, muscle) for muscle, on in guarded(case).items())


def check_missing_equipment_claim(case: Case) -> Iterator[Violation]:
    """A missing_equipment omission is false when an exercise of that phase for it needs nothing the client lacks
    and would be allowed otherwise (safe for the intake, within the level, not working a weak or tight muscle)."""
    has, k = case.equipment, case.knowledge
    if has is None or not case.is_plan:
        return
    for n, omission in enumerate(case.omissions()):
        if omission.get("reason") != "missing_equipment":
            continue
        phase, muscle, compensation = omission.get("phase"), omission.get("muscle"), omission.get("compensation")
        sides = _omitted_sides(omission)
        candidates = [
            e
            for e in k.exercises.values()
            if e.phase == phase
            and (
                (isinstance(muscle, str) and muscle in k.worked[e.slug])
                or (muscle is None and isinstance(compensation, str) and compensation in e.for_compensations)
            )
        ]
        fine = sorted(e.slug for e in candidates if set(e.equipment) <= has and _allowed(case, e, sides))
        if fine:
            yield Violation(
                "missing_equipment_claim",
                f"omitted[{n}] missing_equipment for ({phase}, {muscle or compensation}) but {', '.join(fine[:3])} "
                f"needs nothing the client lacks and is otherwise allowed",
            )


def check_screening_notice(case: Case) -> Iterator[Violation]:
    codes = [str(w.get("code")) for w in case.warnings()]
    if case.screening is None and (not codes or codes[0] != "not_screened"):
        yield Violation("screening_notice", f"no screening block, but warnings[0] is {codes[:1] or 'absent'}")
    if case.screening is not None and "not_screened" in codes:
        yield Violation("screening_notice", "a not_screened warning although the request had a screening block")
    if case.is_plan:
        if case.equipment is None and "assumed_equipment" not in codes:
            yield Violation("screening_notice", "no equipment list, and no assumed_equipment warning")
        if case.equipment is not None and "assumed_equipment" in codes:
            yield Violation("screening_notice", "an assumed_equipment warning although the request listed equipment")


def _words(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) and v.strip() for v in value)


def check_referral_shape(case: Case) -> Iterator[Violation]:
    if case.answer.get("status") != "referral":
        return
    for key in REFERRAL_FORBIDDEN_KEYS:
        if key in case.answer:
            yield Violation("referral_shape", f"a referral with `{key}`")
    referral = case.answer.get("referral")
    if not isinstance(referral, dict):
        yield Violation("referral_shape", "a referral without a `referral` object")
        return
    for key in ("findings", "urgent_signs"):
        if not _words(referral.get(key)):
            yield Violation("referral_shape", f"referral.{key} is {referral.get(key)!r}, not a non-empty list of words")
    reasons = referral.get("reasons")
    if (
        not isinstance(reasons, list)
        or not reasons
        or any(
            not isinstance(r, dict) or not isinstance(r.get("code"), str) or not isinstance(r.get("message"), str)
            for r in reasons
        )
    ):
        yield Violation("referral_shape", f"referral.reasons is {reasons!r}, not a non-empty list of {{code, message}}")
    if not isinstance(referral.get("advice"), str) or not referral["advice"].strip():
        yield Violation("referral_shape", "referral.advice is missing or empty")


def check_order(case: Case) -> Iterator[Violation]:
    groups = case.knowledge.safety.position_group
    for phase in PHASES:
        highest, after = 0, ""
        for p in case.in_phase(phase):
            position = p.facts.position if p.facts and p.facts.position else p.position
            group = groups.get(position) if position is not None else None
            if group is None:
                continue
            if group < highest:
                yield Violation("order", f"{p.where} ({position}) comes after {after}")
            if group > highest:
                highest, after = group, f"{p.slug} ({position})"


RUNNING_WORDS = re.compile(r"\brunn(ing|er|ers)\b|\bruns\b", re.IGNORECASE)
DESK_WORDS = re.compile(r"\b(desk|office)\b", re.IGNORECASE)


def check_lifestyle_presumed(case: Case) -> Iterator[Violation]:
    """Notes follow what the client reported (domain.md M.5, J): sitting needs sitting_hours >= 6 or a sitting
    activity (desk work, driving); computer work needs desk_work; running needs running. A note's own words about
    desk or office work, or running, need desk_work or running too."""
    if not case.is_plan:
        return
    reported = _object(case.request.get("lifestyle"))
    sitting = reported.get("sitting_hours")
    activities = set(reported.get("activities") or [])
    hours = isinstance(sitting, int | float) and not isinstance(sitting, bool) and sitting >= SITTING_HOURS
    sits = hours or bool(activities & set(SITTING_ACTIVITIES))
    for n, note in enumerate(_dicts(case.answer.get("lifestyle"))):
        code, message = str(note.get("code", "")), str(note.get("message", ""))
        where = f"lifestyle[{n}] ({code})"
        if code == "prolonged_sitting" and not sits:
            yield Violation(
                "lifestyle_presumed",
                f"{where}: sitting_hours reported {sitting!r} (not >= {SITTING_HOURS}), no sitting activity",
            )
        if code == "computer_work" and "desk_work" not in activities:
            yield Violation("lifestyle_presumed", f"{where}: desk_work not reported")
        if "running" in code and "running" not in activities:
            yield Violation("lifestyle_presumed", f"{where}: running not reported")
        if "running" not in code and "running" not in activities and RUNNING_WORDS.search(message):
            yield Violation("lifestyle_presumed", f"{where} speaks of running, not reported: {_short(message)!r}")
        if code != "computer_work" and "desk_work" not in activities and DESK_WORDS.search(message):
            yield Violation("lifestyle_presumed", f"{where} speaks of desk work, not reported: {_short(message)!r}")


def check_pattern_contradicts_intake(case: Case) -> Iterator[Violation]:
    entered = {
        f.get("compensation")
        for a in _dicts(case.request.get("assessments"))
        if a.get("type") == STATIC_POSTURE
        for f in _dicts(a.get("findings"))
    }
    analysis = _object(case.answer.get("analysis"))
    patterns = _dicts(analysis.get("patterns"))
    if entered and (not patterns or patterns[0].get("pattern") not in entered):
        first = patterns[0].get("pattern") if patterns else None
        yield Violation(
            "pattern_contradicts_intake", f"entered {sorted(map(str, entered))}, first pattern listed {first!r}"
        )
    for pattern in patterns:
        matched = len(pattern.get("matched_overactive") or []) + len(pattern.get("matched_underactive") or [])
        if matched < 2:
            yield Violation(
                "pattern_contradicts_intake", f"pattern {pattern.get('pattern')} listed on {matched} muscle(s)"
            )


def check_needs_missing_equipment(case: Case) -> Iterator[Violation]:
    has = case.equipment
    if has is None:
        return
    for p in case.planned:
        if p.facts is not None and not set(p.facts.equipment) <= has:
            yield Violation("needs_missing_equipment", f"{p.where} needs {sorted(set(p.facts.equipment) - has)}")


def check_above_client_level(case: Case) -> Iterator[Violation]:
    level = _client_level(case)
    for p in case.planned:
        if p.phase in LEVELLED_PHASES and p.facts is not None and p.facts.level > level:
            yield Violation("above_client_level", f"{p.where} is level {p.facts.level}, the client {level}")


def check_next_step(case: Case) -> Iterator[Violation]:
    """M.5: every exercise has a stop rule; a progression or regression offered is one the client may do."""
    if not case.is_plan:
        return
    k, excluded, level, has = case.knowledge, _excluded_tags(case), _client_level(case), case.equipment
    for p in case.planned:
        if not str(p.item.get("stop_rule") or "").strip():
            yield Violation("next_step", f"{p.where} has no stop rule")
        for field in ("progression", "regression"):
            step = p.item.get(field)
            if not isinstance(step, dict):
                continue
            slug = step.get("slug")
            facts = k.exercises.get(str(slug))
            if facts is None:
                yield Violation("next_step", f"{p.where}: {field} {slug!r} is not in the seed")
                continue
            if not str(step.get("when") or "").strip():
                yield Violation("next_step", f"{p.where}: {field} {slug} says not when")
            for tag in sorted(k.risk[facts.slug] & set(excluded)):
                yield Violation("next_step", f"{p.where}: {field} {slug} is {tag}, excluded by {excluded[tag]}")
            if has is not None and not set(facts.equipment) <= has:
                yield Violation("next_step", f"{p.where}: {field} {slug} needs {sorted(set(facts.equipment) - has)}")
            if p.phase in LEVELLED_PHASES and facts.level > level:
                yield Violation("next_step", f"{p.where}: {field} {slug} is level {facts.level}, the client {level}")


CHECKS: tuple[Check, ...] = (
    check_shape,
    check_unsafe_for_intake,
    check_works_weak_muscle,
    check_activates_tight_muscle,
    check_time_unused,
    check_over_time,
    check_id_in_text,
    check_side_text,
    check_level_claim,
    check_conflict_warning,
    check_omission_duplicate,
    check_omission_contradicts_plan,
    check_missing_equipment_claim,
    check_screening_notice,
    check_referral_shape,
    check_order,
    check_lifestyle_presumed,
    check_pattern_contradicts_intake,
    check_needs_missing_equipment,
    check_above_client_level,
    check_next_step,
)


def audit(request: Json, answer: Json, knowledge: Knowledge) -> list[Violation]:
    """Every rule the answer breaks; [] when it keeps them all. Never raises on a malformed answer."""
    if not isinstance(answer, dict):
        return [Violation("shape", f"the answer is {type(answer).__name__}, not an object")]
    case = Case.of(request, answer, knowledge)
    found: list[Violation] = []
    for check in CHECKS:
        try:
            found.extend(check(case))
        except Exception as error:  # a malformed answer must show as a violation, not crash the audit
            found.append(Violation("shape", f"{check.__name__} could not read the answer: {error!r}"))
    return found
