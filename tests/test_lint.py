"""lint: every code has a fixture that trips it and a near miss that does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from configurator import load, loads
from configurator.cli import main
from configurator.compliance.lint import RULES, Finding, lint

from .paths import PRODUCT_FILES

FIXTURES = Path(__file__).parent / "fixtures" / "lint"


def profile_for(code: str) -> str:
    return "CN" if "CN" in RULES[code].profiles else "US"


def bad_fixtures() -> list[tuple[str, Path]]:
    return [(code, path) for code in RULES for path in sorted(FIXTURES.glob(f"{code}_bad*.yaml"))]


# The renderer highlights every attention item itself, so no product file can trip
# HIGHLIGHT; its failing case breaks the document model instead (see below).
NO_BAD_PRODUCT = {"HIGHLIGHT"}


@pytest.mark.parametrize("code", sorted(set(RULES) - NO_BAD_PRODUCT))
def test_every_code_has_a_bad_and_an_ok_fixture(code):
    assert list(FIXTURES.glob(f"{code}_bad*.yaml")), f"no {code}_bad.yaml"
    assert (FIXTURES / f"{code}_ok.yaml").exists(), f"no {code}_ok.yaml"


@pytest.mark.parametrize("code, path", bad_fixtures(), ids=lambda x: getattr(x, "stem", x))
def test_a_bad_fixture_trips_its_code_and_nothing_else(code, path):
    findings = lint(load(path), profile_for(code))
    assert findings, f"{path.name}: no finding"
    assert {f.code for f in findings} == {code}
    for finding in findings:
        assert finding.span.file == str(path) and finding.span.line > 1
        assert finding.severity == RULES[code].severity


@pytest.mark.parametrize("code", sorted(set(RULES) - NO_BAD_PRODUCT))
def test_the_near_miss_is_clean(code):
    assert lint(load(FIXTURES / f"{code}_ok.yaml"), profile_for(code)) == []


@pytest.mark.parametrize("profile", ["CN", "US"])
def test_the_clean_base_is_clean(profile):
    assert lint(load(FIXTURES / "clean.yaml"), profile) == []


@pytest.mark.parametrize("product", PRODUCT_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("profile", ["CN", "US"])
def test_bundled_products_lint_clean(product, profile, env):
    loaded = load(product)
    assert [str(f) for f in lint(loaded, profile, env.illustration(loaded))] == []


def test_the_us_profile_leaves_out_chinese_regulation():
    product = load(FIXTURES / "WAITING_PERIOD_bad.yaml")
    assert [f.code for f in lint(product, "CN")] == ["WAITING_PERIOD"]
    assert lint(product, "US") == []
    assert {"WAITING_PERIOD", "HEALTH_MGMT_COST", "RENEWAL_DISCLOSURE", "RENEWAL_PROMISE",
            "COOLING_OFF", "PRE_EXISTING"} <= {c for c, r in RULES.items() if r.profiles ==
                                               {"CN"}}


def test_findings_point_at_the_value_and_read_like_a_compiler():
    product = load(FIXTURES / "COOLING_OFF_bad.yaml")
    finding, = lint(product)
    assert str(finding) == (f"{FIXTURES / 'COOLING_OFF_bad.yaml'}:14:19: COOLING_OFF: a long-term "
                            "product needs a cooling-off period of at least 15 days, not 10")
    assert finding.to_json()["line"] == 14


def test_waiting_period_names_the_parameter_and_the_article():
    finding, = lint(load(FIXTURES / "WAITING_PERIOD_bad.yaml"))
    assert "181 days (parameter waiting_days)" in finding.message
    assert "健康保险管理办法 2019 Art. 27" in finding.message


def test_renewal_promise_is_found_in_both_languages_but_not_inside_bu_baozheng():
    findings = lint(load(FIXTURES / "RENEWAL_PROMISE_bad.yaml"))
    assert sorted(f.message.split("'")[1] for f in findings) == ["renew automatically", "自动续保"]
    # "不保证续保" (not guaranteed) contains "保证续保" but is the required disclosure
    assert lint(load(FIXTURES / "clean.yaml")) == []


def test_overlap_is_a_warning_naming_both_rules():
    finding, = lint(load(FIXTURES / "OVERLAP_bad.yaml"))
    assert finding.severity == "warning"
    assert "too_old (decline)" in finding.message and "older_loading (loading)" in finding.message


def test_never_fires_sees_a_contradiction_inside_one_condition():
    finding, = lint(load(FIXTURES / "NEVER_FIRES_bad_contradiction.yaml"))
    assert "age < 30 and age > max_age" in finding.message


def test_highlight_finds_an_exclusion_the_document_does_not_highlight(monkeypatch):
    import configurator.compliance.lint_document as lint_document

    real = lint_document.build_policy

    def unhighlighted(product, locale="en", *args, **kwargs):
        built = real(product, locale, *args, **kwargs)
        for clause in built.clauses():
            if clause.key == "exclusion.alcohol":
                clause.attention = False
                for block in clause.blocks:
                    block.attention = False
        built.attention = [g for g in built.attention if "lcohol" not in g.text
                           and "酒" not in g.text]
        return built

    product = load(FIXTURES / "clean.yaml")
    assert [f for f in lint(product) if f.code == "HIGHLIGHT"] == []
    monkeypatch.setattr(lint_document, "build_policy", unhighlighted)
    findings = [f for f in lint(product) if f.code == "HIGHLIGHT"]
    assert all("is an exclusion but is not highlighted" in f.message for f in findings)
    assert sorted(f.message.rsplit("(", 1)[1] for f in findings) == ["en)", "zh-CN)"]


def test_us_readability_uses_flesch():
    product = load(FIXTURES / "READABILITY_bad.yaml")
    assert [f.code for f in lint(product, "US")] == []  # Chinese length is a CN rule
    long_english = (FIXTURES / "clean.yaml").read_text().replace(
        "The days after cover starts during which we do not pay.",
        "The consecutive calendar days immediately subsequent to commencement of coverage, "
        "notwithstanding renewal, throughout which indemnification obligations are suspended.")
    finding, = [f for f in lint(loads(long_english, "long.yaml"), "US")
                if f.code == "READABILITY"]
    assert "scores Flesch" in finding.message and finding.span.line > 1


def test_an_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="unknown profile"):
        lint(load(FIXTURES / "clean.yaml"), "EU")


def test_finding_prints_like_a_compiler_message():
    from configurator.errors import Span

    found = Finding(Span("p.yaml", 3, 4), "X", "message")
    assert str(found) == "p.yaml:3:4: X: message"


# ------------------------------------------------------------ CLI


def test_cli_exit_codes(capsys):
    assert main(["lint", str(FIXTURES / "clean.yaml")]) == 0
    assert capsys.readouterr().out == ""
    assert main(["lint", str(FIXTURES / "clean.yaml"), str(FIXTURES / "OVERLAP_bad.yaml")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and ": OVERLAP: " in out[0] and out[0].startswith(str(FIXTURES))
    assert main(["lint", str(FIXTURES / "missing.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_cli_profile_and_json(capsys):
    bad = str(FIXTURES / "WAITING_PERIOD_bad.yaml")
    assert main(["lint", bad, "--profile", "US"]) == 0
    capsys.readouterr()
    assert main(["lint", bad, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [d["code"] for d in data] == ["WAITING_PERIOD"]
    assert set(data[0]) == {"file", "line", "column", "code", "severity", "message"}


def test_cli_help_has_an_example(capsys):
    assert main(["lint", "--help"]) == 0
    assert "Example:" in capsys.readouterr().out


def with_definition(term_en: str, term_zh: str) -> str:
    text = (FIXTURES / "clean.yaml").read_text()
    return text.replace("eligibility:\n", f"""  - id: extra
    term: {{en: "{term_en}", zh-CN: "{term_zh}"}}
    text: {{en: A word we define., zh-CN: 我们定义的词。}}
eligibility:
""")


def test_a_term_with_a_gloss_is_used_by_either_part():
    text = with_definition("drinking (alcohol)", "酒精（乙醇）")
    assert lint(loads(text, "gloss.yaml")) == []  # "alcohol" / "酒精" are in the exclusion


def test_terms_the_schedule_states_count_as_used_when_the_product_has_the_feature():
    assert lint(loads(with_definition("sum insured", "保险金额"), "si.yaml")) == []
    found = lint(loads(with_definition("deductible", "免赔额"), "ded.yaml"))
    assert [f.code for f in found] == ["TERM_UNUSED", "TERM_UNUSED"]  # no benefit has one


@pytest.mark.parametrize("text, term, locale, used", [
    ("You may need home oxygen after the waiting period.", "need for home oxygen", "en", True),
    ("We cannot cover very severe COPD.", "how severe your COPD is", "en", True),
    ("Ask us about oxygen.", "need for home oxygen", "en", False),
    ("It takes off the tartar.", "scaling", "en", False),
    ("Waiting periods apply.", "waiting period", "en", True),
    ("我们按保额给付。", "保额", "zh-CN", True),
    ("极重度慢阻肺者不予承保。", "慢阻肺严重程度", "zh-CN", False),
])
def test_how_a_defined_term_counts_as_used(text, term, locale, used):
    from configurator.compliance.lint_regulation import uses_term

    assert uses_term(text, term, locale) is used
