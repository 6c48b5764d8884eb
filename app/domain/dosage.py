"""How much of each exercise: the acute variables of its own technique, and the seconds it takes (domain.md F)."""

from app.domain.model import Dosage, Exercise, PhaseVariables


def prescription(exercise: Exercise, variables: PhaseVariables, sets: int | None = None) -> Dosage:
    """The template's dose for the phase's technique; another technique (an active stretch, a positional
    isometric) keeps its own repetitions and holds. `sets` overrides the template's when time allows more."""
    count = sets or variables.sets
    if exercise.modality == variables.modality:
        dose = variables.dosage
        return (
            dose if count == dose.sets else Dosage(count, dose.reps, dose.hold_seconds, dose.tempo, dose.rest_seconds)
        )
    own = exercise.defaults
    return Dosage(count, own.reps, own.hold_seconds, own.tempo, variables.rest_seconds)


def seconds(dose: Dosage, variables: PhaseVariables, sides: int, transition: int) -> int:
    """Time on the clock: every set on every side, with its rest, and the change-over to the exercise."""
    return sides * dose.sets * set_seconds(dose, variables) + transition


def set_seconds(dose: Dosage, variables: PhaseVariables) -> int:
    hold = dose.hold_seconds or 0
    work = dose.reps * max(variables.seconds_per_rep, hold) if dose.reps else hold
    return work + dose.rest_seconds
