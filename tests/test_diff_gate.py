"""diff for gatekeeping (issue 15 item 2): --fail-on, new lint findings, --force, the
impact report in plain words with money totals. Through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from configurator import load
from configurator.cli import main
from configurator.compliance.diff import diff
from configurator.product.clauses import clause_numbers

from .paths import CASES, PRODUCT, PRODUCTS_DIR

EXCLUSION = """exclusions:
  - id: other_virus_illness
    name: {en: Illness from another virus, zh-CN: 其他病毒所致疾病}
    when: cause == 'other_virus'
    applies_to: [liver_cancer, decompensated_cirrhosis, severe_hepatitis]
    text:
      en: We do not pay if the illness was caused by another virus.
      zh-CN: 因其他病毒导致的疾病，我们不承担保险责任。
"""


def variant(folder: Path, name: str, version: str, *edits: tuple[str, str]) -> Path:
    text = PRODUCT.read_text(encoding="utf-8").replace("version: 1.0.0", f"version: {version}", 1)
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("versions")
    return {
        "waiting_240": variant(folder, "waiting_240", "2.0.0", (
            "cancer_waiting_days: {value: 180,", "cancer_waiting_days: {value: 240,")),
        "higher_limit": variant(folder, "higher_limit", "1.1.0", (
            "checkup_claim_limit: {value: 500,", "checkup_claim_limit: {value: 600,")),
        "lower_limit": variant(folder, "lower_limit", "2.0.0", (
            "checkup_claim_limit: {value: 500,", "checkup_claim_limit: {value: 400,")),
        "exclusion": variant(folder, "exclusion", "2.0.0", ("exclusions:\n", EXCLUSION)),
    }


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("gates, code", [
    ((), 0), (("lint",), 1), (("unfavourable",), 1), (("major",), 1),
    (("unfavourable", "lint"), 1)])
def test_fail_on_exit_codes_for_a_waiting_period_over_the_limit(capsys, versions, gates,
                                                                code) -> None:
    flags = [part for gate in gates for part in ("--fail-on", gate)]
    got, out, err = run(capsys, "diff", PRODUCT, versions["waiting_240"], *flags)
    assert got == code
    assert "New lint findings (CN profile): 1" in out
    assert "WAITING_PERIOD: waiting period of benefit liver_cancer is 240 days" in out
    for gate in gates:
        assert f"--fail-on {gate}: " in err


def test_a_favourable_change_passes_every_gate(capsys, versions) -> None:
    code, out, err = run(capsys, "diff", PRODUCT, versions["higher_limit"], "--fail-on",
                         "unfavourable", "--fail-on", "major", "--fail-on", "lint")
    assert code == 0 and err == ""
    assert "New lint findings (CN profile): none" in out


def test_different_products_are_refused_unless_forced(capsys) -> None:
    copd = PRODUCTS_DIR / "copd.yaml"
    code, out, err = run(capsys, "diff", PRODUCT, copd)
    assert code == 2 and out == ""
    assert "is product 'hepatitis_b' but" in err and "is product 'copd'" in err
    assert "--force compares them anyway" in err
    code, out, _ = run(capsys, "diff", PRODUCT, copd, "--force", "--json")
    assert code == 0 and json.loads(out)["new"]["id"] == "copd"


def test_help_documents_the_exit_codes(capsys) -> None:
    code, out, _ = run(capsys, "diff", "--help")
    assert code == 0 and "--fail-on [unfavourable|major|lint]" in out
    assert "1  a --fail-on condition holds" in out and "2  bad input" in out
    assert "--force" in out


def test_a_change_to_every_case_is_one_line(capsys, monkeypatch, versions) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one line on a wide terminal (80 columns wraps it)
    code, out, _ = run(capsys, "diff", PRODUCT, versions["exclusion"], "--impact", CASES)
    assert code == 0
    number = clause_numbers(load(versions["exclusion"]))["exclusion.other_virus_illness"]
    impact = out[out.index("Impact:"):]
    line = next(x for x in impact.splitlines() if "cases, all alike" in x or "every case" in x)
    assert line.endswith(f"the exclusion Illness from another virus (clause {number}) now "
                         f"applies")
    assert "other_virus_illness" not in impact  # the title, never the id
    assert "\n  - " not in impact  # no case listed one by one


def test_the_impact_totals_payable_amounts_in_plain_words(versions) -> None:
    old, new = load(PRODUCT), load(versions["lower_limit"])
    result = diff(old, new, [str(CASES)])
    summary, = result.summaries
    group, = result.impact.groups
    payable = [d for entry in group.cases for d in entry.differences if d.aspect == "payable"]
    assert summary.claims == len(payable) > 1
    assert summary.payable_before == sum(d.old[1] for d in payable)
    assert summary.payable_after == sum(d.new[1] for d in payable)
    assert summary.payable_after < summary.payable_before
    assert summary.totals().startswith(f"payable over {len(payable)} claims: RMB ")
    number = clause_numbers(new)["benefit.checkup_costs"]
    assert summary.because == [f"{number} Liver check-up costs: limit per claim of Liver "
                               f"check-up costs lowered from RMB 500 to RMB 400"]
    for difference in payable:
        assert f"(Liver check-up costs, {number}): " in difference.words
        assert "monitoring_visit" not in difference.words
        assert "partly_paid" not in difference.words


def test_the_report_files_carry_the_new_sections(tmp_path: Path, capsys, versions) -> None:
    html, data = tmp_path / "r.html", tmp_path / "r.json"
    for path in (html, data):
        code, out, _ = run(capsys, "diff", PRODUCT, versions["waiting_240"], "--impact", CASES,
                           "-o", path)
        assert code == 0 and "diff sha256 " in out
    page = html.read_text(encoding="utf-8")
    assert "New lint findings" in page and "WAITING_PERIOD" in page
    assert "payable over 2 claims: RMB 400,000 before, RMB 0 after (RMB 400,000 less)" in page
    report = json.loads(data.read_text(encoding="utf-8"))
    assert [f["code"] for f in report["new_lint_findings"]] == ["WAITING_PERIOD"]
    assert report["sha256"] == out.split("diff sha256 ")[1].strip()
    assert report["impact_summary"][0]["payable_before"] == "400000.00"
