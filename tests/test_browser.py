"""The workbench in a real browser: Debian's chromium driven by Playwright through the real
server (uvicorn on a free loopback port) with a users file, over a registry built for the
journeys (`test_workbench.build_registry`): hepatitis_b 1.0.0 published, and two drafts
registered by ana, 1.1.0 (a longer cancer waiting period) and 1.2.0 (a higher sum
insured). People sign in through the login form: uwe, an underwriter (agent), carla, an
agent, bo, a reviewer, ana, the author (designer and reviewer), dora, an auditor.

Each journey saves a screenshot under ``out/screenshots/`` (git-ignored). Every
page is held to the workbench's promises: no request leaves the server, no
console error (a Content-Security-Policy violation is one). The underwriter's
journey runs by default; the others are marked slow.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from configurator import Environment

from .paths import ROOT
from .test_workbench import (
    AGE_ANCHOR,
    AGE_CLAUSE,
    PASSWORDS,
    broken_lines,
    broken_product,
    build_registry,
    users_text,
    write_users,
)

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
SHOTS = ROOT / "out" / "screenshots"
STRINGS = ROOT / "templates" / "workbench" / "strings"

pytestmark = pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs Debian's chromium")


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Path:
    return build_registry(tmp_path_factory.mktemp("registry"))


@pytest.fixture(scope="module")
def base(live_server, registry, tmp_path_factory) -> str:
    users = write_users(tmp_path_factory.mktemp("users") / "users.toml", users_text())
    return live_server(db=registry, users=users)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, base):
    """A fresh browser tab; afterwards: nothing was fetched from anywhere but the server,
    and no page logged an error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    tab = context.new_page()
    elsewhere: list[str] = []
    errors: list[str] = []
    tab.on("request", lambda r: None if r.url.startswith((base, "data:", "about:"))
           else elsewhere.append(r.url))
    # a page answered 4xx on purpose (a refusal, a broken product) makes chromium log
    # "Failed to load resource": those are left out here and every asset is checked instead
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error"
           and not m.text.startswith("Failed to load resource: the server responded with a "
                                     "status of 4") else None)
    tab.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400
           and r.request.resource_type != "document" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    yield tab
    context.close()
    assert not elsewhere, f"requests that left the server: {elsewhere}"
    assert not errors, f"errors in the browser console: {errors}"


def sign_in(tab, base: str, name: str, then: str = "/") -> None:
    """Sign `name` in through the login form (a signed-out page sends there first)."""
    tab.goto(base + then)
    assert "/login?next=" in tab.url
    tab.get_by_label("Name").fill(name)
    tab.get_by_label("Password").fill(PASSWORDS[name])
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(lambda url: url == base + then)


def sign_out(tab) -> None:
    tab.get_by_role("button", name="Sign out").click()
    tab.wait_for_url(re.compile(r"/login$"))


def shot(tab, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


# ------------------------------------------------------------ the underwriter


def test_underwriter_builds_a_declined_case_and_a_what_if_flips_it(page, base):
    sign_in(page, base, "uwe", "/products/hepatitis_b/case")
    assert "Signed in as uwe" in page.locator("header .who").inner_text()
    assert page.title().startswith("Case builder")
    page.get_by_label("Policy number").fill("LC-2026-000999")
    page.get_by_label("your age").fill("61")
    page.get_by_label("sex").select_option("male")
    page.get_by_label("hepatitis B status").select_option("small_three_positive")
    page.get_by_label("months HBsAg positive").fill("300")
    page.get_by_label(re.compile(r"^ALT ")).fill("41")
    page.get_by_label(re.compile(r"^HBV DNA ")).fill("180")
    page.get_by_label("AFP").fill("3.5")
    # the timeline editor: add a refill (by script), then decide
    page.get_by_label("Event type").select_option("antiviral_refill")
    page.get_by_role("button", name="Add an event").click()
    refill = page.locator("li.event").first
    refill.get_by_label("Date").fill("2026-01-01")
    refill.get_by_label("days_supply").fill("90")
    page.get_by_role("button", name="Decide").click()

    outcome = page.locator("section.outcome")
    assert outcome.locator(".badge").inner_text() == "Declined"
    reason = outcome.locator("li.reason").first
    assert "We accept people aged 18 to 60" in reason.inner_text()
    clause = reason.get_by_role("link", name=f"Clause {AGE_CLAUSE}")
    assert clause.get_attribute("href").endswith(f"/products/hepatitis_b#{AGE_ANCHOR}")
    assert "eligibility.age_outside_range" in reason.inner_text()
    assert page.locator("li.event").count() == 1  # the refill is kept with the case
    shot(page, "underwriter-declined")

    page.get_by_role("button", name="What if…").click()
    assert page.locator("section.base-summary .badge").inner_text() == "Declined"
    page.get_by_label("your age").fill("60")
    page.get_by_role("button", name="Compare").click()
    changes = page.locator("section.whatif-changes")
    row = changes.locator("tbody tr").first
    assert [c.inner_text() for c in row.locator("th, td").all()] == [
        "Decision", "Declined", "Accepted", "favourable"]
    assert "We accept people aged 18 to 60" in changes.locator("ul.reasons.gone").inner_text()
    shot(page, "underwriter-what-if")

    changes.get_by_role("link", name=f"Clause {AGE_CLAUSE}").first.click()
    clause_row = page.locator(f"#{AGE_ANCHOR}")
    assert "eligibility.age_outside_range" in clause_row.inner_text()
    assert "age < min_entry_age or age > max_entry_age" in clause_row.inner_text()


# ------------------------------------------------------------ the agent


@pytest.mark.slow
def test_agent_downloads_a_personalised_policy_that_is_recorded(page, base, registry,
                                                                tmp_path):
    sign_in(page, base, "carla", "/products/hepatitis_b@1.0.0/case")
    page.get_by_label("Start from an example case").select_option("fatty_liver_claim_refused")
    page.get_by_role("button", name="Load").click()
    assert page.get_by_label("Policy holder").input_value() == "Xu Gang"
    page.get_by_role("button", name="Decide").click()
    assert page.locator("section.outcome .badge").inner_text() == "Accepted"
    page.get_by_role("button", name="Issue the policy").click()

    assert page.title().startswith("Issue the policy")
    notice = page.locator(".notice").inner_text()
    assert "published" in notice and "recorded in the audit trail as issued by carla" in notice
    preview = page.frame_locator("iframe.policy-preview")
    assert "Xu Gang" in preview.locator("body").inner_text()
    shot(page, "agent-issue")
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Download the policy (PDF)").click()
    download = waiting.value
    assert download.suggested_filename == "policy-LC-2026-000212.pdf"
    pdf = tmp_path / "policy.pdf"
    download.save_as(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Xu Gang" in text and "LC-2026-000212" in text
    assert "Liver Care Hepatitis B Cover" in text
    assert "fatty liver" in text.lower()  # the exclusion underwriting added for this case

    with Environment(db=registry).store(readonly=True) as store:
        rows = list(store.db.query("SELECT * FROM documents"))
    assert [(r["kind"], r["product_version"], r["user"]) for r in rows] == [
        ("policy", "1.0.0", "carla")]
    assert "/audit" not in [a.get_attribute("href") for a in page.locator("nav a").all()]

    sign_out(page)  # the auditor reads the trail
    sign_in(page, base, "dora", "/audit")
    issued = page.locator("table.documents tbody tr").first
    cells = [c.inner_text() for c in issued.locator("td").all()]
    assert cells[2:4] == ["policy", "hepatitis_b@1.0.0"] and cells[-1] == "carla"
    page.get_by_role("button", name="Verify the audit trail").click()
    assert page.locator("section.verify .notice").inner_text() == "The audit trail is intact."
    shot(page, "agent-audit")


# ------------------------------------------------------------ the reviewer


@pytest.mark.slow
def test_reviewer_reads_the_redline_and_approves_and_the_authors_approval_is_refused(
        page, base):
    sign_in(page, base, "bo", "/registry")
    page.locator("#version-hepatitis_b-1-1-0").get_by_role(
        "link", name="Compare with the previous version").click()
    changes = page.locator("table.changes").inner_text()
    assert "waiting period for Liver cancer lengthened from 180 days to 200 days" in changes
    assert "unfavourable" in changes
    redline = page.locator(".redline")
    assert redline.locator("del").first.inner_text() == "180"
    assert redline.locator("ins").first.inner_text() == "200"
    impact = page.locator("table.impact").inner_text()
    assert "liver cancer on day 181 pays the full sum insured" in impact
    assert "hepatitis_b@1.1.0 is draft; registered by ana." in page.locator(
        "section.approve").inner_text()
    page.get_by_role("button", name="approve").click()
    assert page.locator("section.approve .notice").inner_text() == "hepatitis_b@1.1.0 was approved."
    shot(page, "reviewer-approved")

    sign_out(page)  # the author, who is a reviewer too, tries her own draft
    sign_in(page, base, "ana", "/compare?old=hepatitis_b@1.0.0&new=hepatitis_b@1.2.0")
    assert "sum insured" in page.locator("table.changes").inner_text()
    page.get_by_role("button", name="approve").click()
    refusal = page.locator("section.approve section.problems")
    assert "The registry refused to approve hepatitis_b@1.2.0" in refusal.inner_text()
    assert ("hepatitis_b@1.2.0 was registered by ana, who cannot also approve it (four eyes)"
            in refusal.inner_text())
    shot(page, "reviewer-own-approval-refused")

    page.goto(f"{base}/registry")
    rows = {v: page.locator(f"#version-hepatitis_b-{v}").locator("td").nth(0).inner_text()
            for v in ("1-0-0", "1-1-0", "1-2-0")}
    assert rows == {"1-0-0": "published", "1-1-0": "approved", "1-2-0": "draft"}


# ------------------------------------------------------------ the designer


@pytest.mark.slow
def test_designer_uploads_a_broken_product_and_sees_each_positioned_error(page, base,
                                                                          tmp_path):
    broken = tmp_path / "broken_product.yaml"
    broken.write_text(broken_product())
    sign_in(page, base, "ana", "/check")
    page.get_by_label("Product file").set_input_files(str(broken))
    page.get_by_role("button", name="Check").click()
    problems = page.locator("section.problems li.problem")
    assert problems.count() == 2
    first, second = (problems.nth(i).inner_text() for i in range(2))
    agee, reefer = broken_lines()
    assert f"broken_product.yaml:{agee}:17" in first and "eligibility[0].when" in first
    assert "unknown name 'min_entry_agee'" in first and "did you mean 'min_entry_age'?" in first
    assert "age < min_entry_agee or age > max_entry_age" in first  # the line itself
    assert f"broken_product.yaml:{reefer}:14" in second and "'reefer' is not allowed here" in second
    assert "2 problems in broken_product.yaml" in page.locator("section.problems h2").inner_text()
    shot(page, "designer-broken-product")


# ------------------------------------------------------------ the Chinese workbench


def english_words() -> set[str]:
    """Words of the English wording that the Chinese wording does not also use (brand and
    format names such as PDF or YAML are the same in both)."""
    def words(path: Path) -> set[str]:
        return set(re.findall(r"[A-Za-z]{3,}", re.sub(r"#.*|\{[a-z_]+\}", " ",
                                                      path.read_text(encoding="utf-8"))))
    return words(STRINGS / "en.yaml") - words(STRINGS / "zh-CN.yaml") - {"key", "keys"}


def visible_words(tab) -> set[str]:
    """The words a reader sees on the page; identifiers with underscores count as one word.
    Left out: the language switch (it names English in English), code (identifiers,
    conditions, file positions) and what the product's authors wrote in one language,
    marked translate="no" (a suite's case names)."""
    text = tab.evaluate("""() => {
        const copy = document.body.cloneNode(true);
        copy.querySelectorAll('[hreflang], template, script, style, code, [translate=no]')
            .forEach(e => e.remove());
        return copy.innerText;
    }""")
    return set(re.findall(r"[A-Za-z][A-Za-z0-9_]*", text))


@pytest.mark.slow
def test_the_chinese_workbench_shows_no_english_wording(page, base):
    english = english_words()
    assert {"Declined", "Decide", "Clause", "Products"} <= english
    page.goto(f"{base}/login?lang=zh-CN")
    seen = {"login": visible_words(page)}
    page.get_by_label("用户名").fill("ana")  # a designer and reviewer: every page is hers
    page.get_by_label("密码").fill(PASSWORDS["ana"])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: url == base + "/")
    seen["home"] = visible_words(page)
    page.goto(f"{base}/products/hepatitis_b")  # the language is kept in a cookie
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    seen["product"] = visible_words(page)
    page.goto(f"{base}/products/hepatitis_b/case?example=age_61_declined")
    page.get_by_role("button", name="核保决定").click()
    assert page.locator("section.outcome .badge").inner_text() == "拒保"
    assert "投保时被保险人年龄须为18至60周岁" in page.locator("li.reason").first.inner_text()
    seen["case"] = visible_words(page)
    shot(page, "chinese-case")
    page.get_by_role("button", name="假设分析").click()
    page.get_by_label("年龄").fill("60")
    page.get_by_role("button", name="对比").click()
    assert "同意承保" in page.locator("section.whatif-changes").inner_text()
    seen["what-if"] = visible_words(page)
    for name in ("/check", "/compare?old=hepatitis_b@1.0.0&new=hepatitis_b@1.1.0",
                 "/registry", "/audit"):
        page.goto(base + name)
        seen[name] = visible_words(page)
        if name.startswith("/compare"):
            shot(page, "chinese-compare")
    shot(page, "chinese-audit")
    leaks = {name: sorted(words & english) for name, words in seen.items() if words & english}
    assert not leaks, f"English wording on Chinese pages: {leaks}"
