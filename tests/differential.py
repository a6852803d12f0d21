"""Differential check (issue 14): the optimised paths decide exactly as before.

`tests/fixtures/differential/outcomes.txt` holds the sha256 of the Outcome JSON
(`Outcome.dumps()`, trace included) of every suite case and of 5,000 generated
timelines (1,250 per bundled product, seeded), as the code before issue 14's
throughput work produced them. It was captured by running this file with that
code's interpreter, e.g. from a checkout of the older commit:

    /path/to/old/.venv/bin/python tests/differential.py --write

(run as a script, so `configurator` is the one that interpreter has installed).
`tests/test_differential.py` compares the current code against it, case by case.
Generation uses `random.Random` only (no Hypothesis), so both runs see the same cases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "differential" / "outcomes.txt"
PER_PRODUCT = 1250
PRODUCTS = ("copd", "hepatitis_b", "oral_health", "senior_checkup")


def _value(rng: random.Random, spec, marks: list[float]):
    if spec.type == "boolean":
        return rng.random() < 0.5
    if spec.type == "enum":
        return rng.choice(spec.values or [""])
    if spec.type in ("string", "date"):
        return spec.default
    low = float(spec.min) if spec.min is not None else 0.0
    high = float(spec.max) if spec.max is not None else max(low + 100.0, 1000.0)
    near = [m + d for m in marks for d in (-1, 0, 1) if low <= m + d <= high]
    if near and rng.random() < 0.5:
        value = rng.choice(near)
    else:
        value = rng.uniform(low, high)
    if spec.type == "integer":
        return max(int(low) if spec.min is not None else 0, min(int(round(value)), int(high)))
    return round(value, 1)


def _marks(product) -> list[float]:
    found = set()
    for parameter in product.parameters.values():
        values = [parameter.value] if parameter.values is None else [
            v.value for v in parameter.values]
        found |= {float(v) for v in values if isinstance(v, (int, float))
                  and not isinstance(v, bool)}
    return sorted(found)


def generated(product, people: list[dict], count: int, seed: int) -> list[dict]:
    """`count` cases as plain data: half with an accepted example's applicant, timelines of
    up to 30 events over up to three years, some events before cover or after as_of."""
    rng = random.Random(seed)
    marks = _marks(product)
    kinds = sorted(product.events)
    out = []
    for _ in range(count):
        start = product.effective_from + dt.timedelta(days=rng.randint(0, 400))
        as_of = start + dt.timedelta(days=rng.randint(0, 365 * 3))
        if people and rng.random() < 0.6:
            person = dict(rng.choice(people))
        else:
            person = {name: _value(rng, spec, marks) for name, spec in product.inputs.items()
                      if not spec.personal}
        events = []
        for _ in range(rng.randint(0, 30)):
            kind = rng.choice(kinds)
            day = start + dt.timedelta(days=rng.randint(-20, (as_of - start).days + 20))
            event = {"date": day.isoformat(), "type": kind}
            for name, spec in product.events[kind].fields.items():
                event[name] = _value(rng, spec, marks)
            events.append(event)
        out.append({"policy": {"start": start.isoformat()}, "as_of": as_of.isoformat(),
                    "applicant": person, "events": events})
    return out


def accepted_people(product, compiled, folder: Path) -> list[dict]:
    from configurator import evaluate, load_case

    people = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name.endswith(".suite.yaml"):
            continue
        case = load_case(path, product)
        if evaluate(compiled, case).decision == "accept":
            people.append({k: v for k, v in case.applicant.items()})
    return people


def digests() -> list[tuple[str, str]]:
    """(name, sha256 of the Outcome JSON) of every suite case and generated timeline."""
    from configurator import case_from_data, compile_product, evaluate, load
    from configurator.errors import CaseError
    from configurator.runs.suites import load_suite

    found = []
    os.chdir(ROOT)  # products named `products/x.yaml`: sources read the same in any checkout
    for index, product_id in enumerate(PRODUCTS):
        product_file = Path("products") / f"{product_id}.yaml"
        product = load(product_file)
        compiled = compile_product(product)
        folder = product_file.with_suffix("")
        for path in sorted(folder.glob("*.suite.yaml")):
            for number, scenario in enumerate(load_suite(path, product)):
                text = evaluate(compiled, scenario.case).dumps()
                found.append((f"{product_id}/{path.stem}.{number:03d}", _sha(text)))
        people = accepted_people(product, compiled, folder)
        for number, data in enumerate(generated(product, people, PER_PRODUCT, 1400 + index)):
            try:
                case = case_from_data(data, product)
            except CaseError as exc:
                found.append((f"{product_id}/gen.{number:04d}", "refused " + _sha(str(exc))))
                continue
            found.append((f"{product_id}/gen.{number:04d}", _sha(evaluate(compiled, case).dumps())))
    return found


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_fixture() -> dict[str, str]:
    lines = FIXTURE.read_text().splitlines()
    return dict(line.split(" ", 1) for line in lines if line and not line.startswith("#"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    found = digests()
    if args.write:
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text("# name sha256-of-Outcome-JSON (see tests/differential.py)\n"
                           + "".join(f"{name} {digest}\n" for name, digest in found))
        print(f"wrote {len(found)} digests to {FIXTURE}")
        return
    expected = read_fixture()
    changed = [name for name, digest in found if expected.get(name) != digest]
    print(f"{len(found)} cases, {len(changed)} changed: {changed[:10]}")
    sys.exit(1 if changed or len(found) != len(expected) else 0)


if __name__ == "__main__":
    main()
