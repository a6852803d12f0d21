"""Golden check: the behaviour of every bundled example and suite case, byte for byte.

`python -m tests.golden.capture --write` records, for every example case and
every suite case of every bundled product, the Outcome exactly as
`configurator evaluate --json` prints it, plus the sha256 of the rendered
policy documents (specimen in each language, and a personalised one per
product). `--check` (and `tests/test_golden.py`) compares the current code
against those files and names every case whose output changed.

A change that is meant to alter behaviour regenerates the files with
`--write`; the diff of `tests/golden/` in that commit is the behaviour change,
for review.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
OUTCOMES = HERE / "outcomes"
DOCUMENTS = HERE / "documents.json"


def _api():
    from configurator import compile_product, evaluate, load, load_case
    from configurator.runs.suites import load_suite

    return load, compile_product, evaluate, load_case, load_suite


def _product_files() -> list[Path]:
    """The bundled products as the repository names them (`products/x.yaml`), so every
    position in an Outcome reads the same from any checkout (run from the repository)."""
    if Path.cwd().resolve() != ROOT:
        raise SystemExit(f"run the golden check from {ROOT}")
    return sorted(Path("products").glob("*.yaml"))


def outcomes() -> dict[str, str]:
    """Relative name -> the Outcome JSON text `evaluate --json` prints."""
    load, compile_product, evaluate, load_case, load_suite = _api()
    found: dict[str, str] = {}
    for product_file in _product_files():
        product = load(product_file)
        compiled = compile_product(product)
        folder = product_file.with_suffix("")
        for path in sorted(folder.glob("*.yaml")):
            rel = path.relative_to("products")
            if path.name.endswith(".suite.yaml"):
                for index, scenario in enumerate(load_suite(path, product)):
                    outcome = evaluate(compiled, scenario.case, explain=True)
                    found[f"{rel.with_suffix('')}.{index:03d}.json"] = outcome.dumps()
            else:
                outcome = evaluate(compiled, load_case(path, product), explain=True)
                found[f"{rel.with_suffix('')}.json"] = outcome.dumps()
    return found


PERSONALISED = {"hepatitis_b": "adherent_two_years", "copd": "mild_copd_standard_terms",
                "oral_health": "first_year_healthy", "senior_checkup": "all_normal_full_cover"}


def documents() -> dict[str, str]:
    """Document name -> sha256 of its PDF bytes (and of its HTML), for the recorded products."""
    from configurator import load, load_case
    from configurator.environment import Environment

    env = Environment()
    found = {}
    for product_file in _product_files():
        product = load(product_file)
        if product.id not in PERSONALISED:
            continue  # a product added since: its documents were never recorded
        case = load_case(product_file.with_suffix("") / f"{PERSONALISED[product.id]}.yaml",
                         product)
        for locale in product.languages:
            for kind, the_case in (("specimen", None), ("personal", case)):
                name = f"{product.id}.{kind}.{locale}"
                html = env.render_html(product, the_case, locale=locale)
                pdf = env.render_pdf(product, the_case, locale=locale)
                found[f"{name}.html"] = hashlib.sha256(html.encode()).hexdigest()
                found[f"{name}.pdf"] = hashlib.sha256(pdf).hexdigest()
    return found


def write() -> None:
    OUTCOMES.mkdir(parents=True, exist_ok=True)
    for old in OUTCOMES.rglob("*.json"):
        old.unlink()
    for name, text in outcomes().items():
        target = OUTCOMES / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text + "\n", encoding="utf-8")
    DOCUMENTS.write_text(json.dumps(documents(), indent=2, sort_keys=True) + "\n")


def differences(with_documents: bool = True) -> list[str]:
    """Every recorded Outcome or document the current code no longer reproduces (or no
    longer produces), one line each. Cases added since are not differences."""
    found = []
    now = outcomes()
    recorded = {str(p.relative_to(OUTCOMES)): p.read_text(encoding="utf-8")
                for p in OUTCOMES.rglob("*.json")}
    for name in sorted(set(now) | set(recorded)):
        if name not in now:
            found.append(f"{name}: no longer produced")
        elif name not in recorded:
            continue  # a case added since (a new product or suite case) is not a regression
        elif now[name] + "\n" != recorded[name]:
            found.append(f"{name}: the Outcome changed")
    if with_documents:
        docs, saved = documents(), json.loads(DOCUMENTS.read_text())
        found += [f"documents: {name} changed" for name in sorted(saved)
                  if docs.get(name) != saved[name]]
    return found


def main() -> int:
    os.chdir(ROOT)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the current behaviour")
    args = parser.parse_args()
    if args.write:
        write()
        return 0
    problems = differences()
    print("\n".join(problems) or "golden: every Outcome and document is unchanged")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
