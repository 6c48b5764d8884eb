"""Ten plans of varied intakes, as a person reads them: `python -m tests.audit.samples.render` writes PLANS.md here.

The requests are in requests.json beside this file; the plans are made in-process on the seeded catalogue (the
audit's harness), so the file shows what the current code and seed answer. A specialist reads these before a planner
change is called done.
"""

import json
from pathlib import Path
from typing import Any

from tests.audit.report import answer, seeded_catalogue

HERE = Path(__file__).parent
Json = dict[str, Any]


def _dose(item: Json) -> str:
    sets = f"{item['sets']} set{'s' if item['sets'] > 1 else ''}"
    if item["reps"] and item["hold_seconds"]:
        return f"{sets} of {item['reps']}, each held {item['hold_seconds']} s"
    if item["reps"]:
        return f"{sets} of {item['reps']} ({item['tempo']})"
    return f"{sets}, hold {item['hold_seconds']} s"


def _plan(plan: Json) -> list[str]:
    lines = [f"*{plan['mode'].replace('_', ' ')}, about {plan['estimated_minutes']} minutes*", ""]
    for phase in plan["phases"]:
        if not phase["exercises"]:
            continue
        lines.append(f"**{phase['phase'].capitalize()}**")
        for item in phase["exercises"]:
            exercise = item["exercise"]
            side = f" {item['side_text']}" if item["side_text"] else ""
            lines.append(f"- {exercise['name']}: {_dose(item)}.{side}")
            lines.append(f"  - Why: {item['rationale']['text']}")
            for note in item["notes"]:
                lines.append(f"  - Note: {note}")
            for key in ("progression", "regression"):
                if item[key]:
                    lines.append(f"  - {key.capitalize()}: {item[key]['name']}, {item[key]['when']}.")
        lines.append("")
    for warning in plan["warnings"]:
        lines.append(f"> {warning['message']}")
    if plan["warnings"]:
        lines.append("")
    lines += [f"- Lifestyle: {note['message']}" for note in plan["lifestyle"]]
    lines += [f"- Left out of {o['phase']} ({o['reason']}): {o['detail']}" for o in plan["omitted"]]
    return lines


def _referral(plan: Json) -> list[str]:
    referral = plan["referral"]
    lines = [f"- Reason: {r['message']}" for r in referral["reasons"]]
    lines.append(f"- Advice: {referral['advice']}")
    lines += [f"- For the clinician: {finding}" for finding in referral["findings"]]
    lines += [f"- Urgent if: {sign}" for sign in referral["urgent_signs"]]
    return lines


def main() -> None:
    cases = json.loads((HERE / "requests.json").read_text())
    body: list[str] = []
    stop_rule = ""
    with seeded_catalogue() as catalogue:
        for number, case in enumerate(cases, 1):
            _, plan, _ = answer(catalogue, case["request"])
            assert plan is not None
            body += [f"## {number}. {case['title']}", "", "```json", json.dumps(case["request"]), "```", ""]
            body += _referral(plan) if plan["status"] == "referral" else _plan(plan)
            body.append("")
            items = [i for p in plan.get("phases", []) for i in p["exercises"]]
            stop_rule = stop_rule or (items[0]["stop_rule"] if items else "")
    head = ["# Ten plans of varied intakes", "", "Written by `python -m tests.audit.samples.render`.", ""]
    head += [f"Every exercise carries the same stop rule: *{stop_rule}*", ""]
    (HERE / "PLANS.md").write_text("\n".join(head + body))


if __name__ == "__main__":
    main()
