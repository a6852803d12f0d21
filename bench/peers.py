"""Peers: hepatitis B eligibility in configurator against GoRules zen-engine.

    python bench/peers.py [--cases 40000] [--rounds 5] [--batch 20000]

The product's eligibility rules (and the check-up its applicant facts can
trigger) are built as one zen-engine decision table (hit policy "collect"; each
row one rule, the condition one expression with the product's parameter values
written in), then both engines decide the same generated applicants in this one
process. Prints CPU µs per case for both (medians over rounds, `time.process_time`):

- single case: `evaluate` on a checked case against `ZenDecision.evaluate` on the
  same applicant (inputs with their defaults) plus the decision from its rows;
- batch rows: `run_batch` over a JSON lines file (one worker: read, check,
  decide, write a summary row) against a loop that reads each line, evaluates it
  with zen and writes a result line;

the count of applicants whose decision or fired rules differ (must be 0), and a
last line ``ratio configurator/zen eligibility cpu: X.XX``. Needs `zen-engine`
(`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine import START, applicant, per_case_us  # noqa: E402

from configurator import case_from_data, compile_product, evaluate, load  # noqa: E402
from configurator.runs.batch import run_batch  # noqa: E402

try:
    import zen
except ImportError:  # pragma: no cover - a bench, not a test
    sys.exit("bench/peers.py needs zen-engine: pip install -e '.[bench]'")

ALT_ULN = "(sex == 'male' ? {alt_uln_male} : {alt_uln_female})"
# rule id, outcome, condition in zen's expression language ({parameter} filled in)
RULES = [
    ("eligibility.age_outside_range", "decline", "age < {min_entry_age} or age > {max_entry_age}"),
    ("eligibility.not_chronic_infection", "decline",
     "hbv_status == 'resolved' or hbsag_positive_months < {chronic_infection_min_months}"),
    ("eligibility.advanced_liver_disease", "decline",
     "cirrhosis or hcc_history or liver_transplant"),
    ("eligibility.other_liver_disease", "decline",
     "hcv_or_hdv_coinfection or alcoholic_liver_disease"),
    ("eligibility.alt_too_high", "decline", "alt / " + ALT_ULN + " > {alt_entry_max_ratio}"),
    ("eligibility.chronic_hepatitis_not_controlled", "decline",
     "hbv_status == 'chronic_hepatitis' and (not on_antivirals or antiviral_months < "
     "{chb_min_antiviral_months} or hbv_dna >= {chb_dna_max})"),
    ("eligibility.wide_portal_vein", "decline", "portal_vein_mm > {portal_vein_max_mm}"),
    ("eligibility.high_viral_load_untreated", "refer",
     "hbv_dna > {hbv_dna_max_untreated} and not on_antivirals"),
    ("eligibility.afp_raised", "refer", "afp > {afp_max}"),
    ("eligibility.liver_nodule_found", "refer", "liver_nodule"),
    ("eligibility.big_three_positive_loading", "loading", "hbv_status == 'big_three_positive'"),
    ("eligibility.chronic_hepatitis_loading", "loading",
     "hbv_status == 'chronic_hepatitis' and on_antivirals and antiviral_months >= "
     "{chb_min_antiviral_months} and hbv_dna < {chb_dna_max}"),
    ("eligibility.fatty_liver_exclusion", "exclusion", "fatty_liver"),
    ("trigger.viral_load_report", "checkup",
     "alt / " + ALT_ULN + " > {alt_dna_report_ratio} and hbv_dna_test_months > "
     "{dna_report_max_age_months}"),
]


def decision_table(product) -> str:
    """The JDM graph: input -> one "collect" decision table -> output."""
    values = {name: p.value for name, p in product.parameters.items() if p.values is None}
    rows = [{"_id": f"r{n}", "c": when.format(**values), "rule": json.dumps(rule),
             "outcome": json.dumps(outcome)} for n, (rule, outcome, when) in enumerate(RULES)]
    table = {"hitPolicy": "collect", "inputs": [{"id": "c", "name": "condition", "field": ""}],
             "outputs": [{"id": "rule", "name": "rule", "field": "rule"},
                         {"id": "outcome", "name": "outcome", "field": "outcome"}],
             "rules": rows}
    spot = {"x": 0, "y": 0}
    return json.dumps({
        "nodes": [{"id": "in", "type": "inputNode", "name": "request", "position": spot},
                  {"id": "table", "type": "decisionTableNode", "name": "eligibility",
                   "position": spot, "content": table},
                  {"id": "out", "type": "outputNode", "name": "response", "position": spot}],
        "edges": [{"id": "a", "sourceId": "in", "targetId": "table", "type": "edge"},
                  {"id": "b", "sourceId": "table", "targetId": "out", "type": "edge"}]})


def zen_decide(decision, facts: dict) -> tuple[str, list[str]]:
    fired = decision.evaluate(facts)["result"]
    outcomes = {row["outcome"] for row in fired}
    verdict = ("decline" if "decline" in outcomes else "refer" if "refer" in outcomes
               else "accept")
    return verdict, sorted(row["rule"] for row in fired)


def ours(compiled, case) -> tuple[str, list[str]]:
    outcome = evaluate(compiled, case)
    return outcome.decision, sorted(r.rule for r in outcome.reasons)


def cpu_us(run, items, rounds: int) -> float:
    """Median over rounds of CPU µs per item."""
    return per_case_us(run, items, rounds, clock=time.process_time)


def batch_us(product, decision, count: int, rounds: int) -> tuple[float, float]:
    """CPU µs per row: configurator's batch (one worker) and zen's read-evaluate-write loop."""
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder:
        cases = Path(folder) / "cases.jsonl"
        with cases.open("w") as out:
            for number in range(count):
                out.write(json.dumps({"name": f"case {number}",
                                      "policy": {"start": START.isoformat()},
                                      "as_of": START.isoformat(),
                                      "applicant": applicant(rng)}) + "\n")
        defaults = {n: s.default for n, s in product.inputs.items() if s.default is not None}

        def zen_file() -> None:
            with cases.open() as lines, (Path(folder) / "zen.jsonl").open("w") as out:
                for line in lines:
                    row = json.loads(line)
                    verdict, rules = zen_decide(decision, {**defaults, **row["applicant"]})
                    out.write(json.dumps({"name": row["name"], "decision": verdict,
                                          "reasons": rules}) + "\n")

        def configurator_file() -> None:
            run_batch(product, cases, Path(folder) / "out.jsonl")

        return (cpu_us(lambda _: configurator_file(), [None], rounds) / count,
                cpu_us(lambda _: zen_file(), [None], rounds) / count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40000)
    parser.add_argument("--batch", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    product = load(ROOT / "products" / "hepatitis_b.yaml")
    compiled = compile_product(product)
    decision = zen.ZenEngine().create_decision(decision_table(product))
    rng = random.Random(5)
    cases = [case_from_data({"policy": {"start": START.isoformat()}, "as_of": START.isoformat(),
                             "applicant": applicant(rng)}, product) for _ in range(args.cases)]
    facts = [dict(case.applicant) for case in cases]
    differ = sum(ours(compiled, c) != zen_decide(decision, f)
                 for c, f in zip(cases, facts, strict=True))
    for case, fact in zip(cases[:500], facts[:500], strict=True):  # warm both
        evaluate(compiled, case)
        decision.evaluate(fact)
    mine = cpu_us(lambda c: evaluate(compiled, c), cases, args.rounds)
    theirs = cpu_us(lambda f: zen_decide(decision, f), facts, args.rounds)
    batch_mine, batch_zen = batch_us(product, decision, args.batch, max(1, args.rounds // 2))
    decided = Counter(ours(compiled, c)[0] for c in cases[:5000])
    print(f"hepatitis_b {product.version} eligibility, {args.cases} applicants "
          f"({', '.join(f'{k} {v / sum(decided.values()):.0%}' for k, v in decided.items())}); "
          f"CPU time, median of {args.rounds} rounds")
    print(f"  single case   configurator {mine:7.1f} µs   zen-engine {theirs:7.1f} µs")
    print(f"  batch row     configurator {batch_mine:7.1f} µs   zen-engine {batch_zen:7.1f} µs"
          f"   ({args.batch} JSON lines, one process)")
    print(f"  decisions or fired rules that differ: {differ} of {args.cases}")
    print(f"ratio configurator/zen batch row cpu: {batch_mine / batch_zen:.2f}")
    print(f"ratio configurator/zen eligibility cpu: {mine / theirs:.2f}")


if __name__ == "__main__":
    main()
