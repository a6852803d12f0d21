"""The workbench's pages through FastAPI's TestClient, in English and Chinese.

Two servers: a local one (no users file: everyone is the local user with every
role) and one with a users file, whose people sign in through the login form
and whose forms carry the session's CSRF token. Both run over a registry
holding hepatitis_b 1.0.0 (published) and two drafts, 1.1.0 and 1.2.0,
registered by ana (a designer and reviewer, so the registry, not the page,
must refuse her own approval).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from configurator import Environment
from configurator.cases.case import case_from_data
from configurator.product.clauses import clause_numbers
from configurator.product.source import load_file
from configurator.registry.audit import record_batch, record_evaluation
from configurator.server import ServerConfig, create_app
from configurator.server import users as accounts

from .paths import CASES, PRODUCT

PASSWORDS = {"ana": "ana-secret-111", "bo": "bo-secret-2222", "carla": "carla-secret-33",
             "uwe": "uwe-secret-444", "dora": "dora-secret-55"}
ROLES = {"ana": ("designer", "reviewer"),  # the author of the drafts
         "bo": ("reviewer",), "carla": ("agent",),
         "uwe": ("agent",),  # an underwriter: decides cases
         "dora": ("auditor",)}
LANGS = ("en", "zh-CN")
# the age rule's clause, as the policy numbers it (declines are items of one clause)
AGE_CLAUSE = clause_numbers(Environment().load(PRODUCT))["eligibility.age_outside_range"]
AGE_ANCHOR = "clause-" + AGE_CLAUSE.replace(".", "-")
APP_NAME = {"en": "Configurator workbench", "zh-CN": "产品配置器工作台"}


# ------------------------------------------------------------ what the servers run over


def users_text() -> str:
    """A users file's text for the people above (argon2 is slow on purpose: once a module)."""
    found = accounts.Users()
    for name, password in PASSWORDS.items():
        found = found.add(name, ROLES[name], password)
    return found.dumps()


def write_users(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


def version(text: str, number: str, *edits: tuple[str, str]) -> str:
    text = text.replace("version: 1.0.0", f"version: {number}", 1)
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    return text


def build_registry(folder: Path) -> Path:
    """hepatitis_b 1.0.0 published (registered by ana, approved by bo) for 2026; from 2027
    two drafts by ana: 1.1.0 (a longer cancer waiting period), 1.2.0 (a higher sum
    insured)."""
    source = PRODUCT.read_text(encoding="utf-8")
    longer = folder / "hepatitis_b-1.1.0.yaml"
    longer.write_text(version(source, "1.1.0", ("cancer_waiting_days: {value: 180",
                                                "cancer_waiting_days: {value: 200")))
    higher = folder / "hepatitis_b-1.2.0.yaml"
    higher.write_text(version(source, "1.2.0", ("sum_insured: {value: 200000",
                                                "sum_insured: {value: 250000")))
    db = folder / "registry.db"
    first, later = dt.date(2026, 1, 1), dt.date(2027, 1, 1)
    with Environment(db=db).store(create=True) as store:
        store.publish(PRODUCT, by="ana", effective_from=first,
                      effective_to=later - dt.timedelta(days=1))
        store.approve("hepatitis_b@1.0.0", by="bo")
        store.publish("hepatitis_b@1.0.0", by="ana")
        store.publish(longer, by="ana", effective_from=later)
        store.publish(higher, by="ana", effective_from=later)
    return db


def case_data(name: str, **applicant: object) -> dict:
    """An example case of hepatitis_b as plain JSON data, with `applicant` changed."""
    data = json.loads(json.dumps(load_file(CASES / f"{name}.yaml").data, default=str))
    data["applicant"].update(applicant)
    return data


def fields(data: dict) -> dict[str, str]:
    """A case as the case builder's form posts it."""
    policy = data["policy"]
    found = {"name": data.get("name", ""), "policy.number": policy.get("number", ""),
             "policy.start": policy["start"], "policy.holder": policy.get("holder", ""),
             "as_of": data.get("as_of", "")}
    for key, value in data["applicant"].items():
        found[f"applicant.{key}"] = str(value).lower() if isinstance(value, bool) else str(value)
    for index, event in enumerate(data.get("events") or []):
        for key, value in event.items():
            found[f"events.{index}.{key}"] = str(value)
    return found


# ------------------------------------------------------------ fixtures and helpers


@pytest.fixture(scope="module")
def users_file(tmp_path_factory) -> Path:
    return write_users(tmp_path_factory.mktemp("users") / "users.toml", users_text())


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_registry(tmp_path)


@pytest.fixture
def local(db: Path) -> TestClient:
    """The local server: no users file."""
    return TestClient(create_app(ServerConfig(db=db)), follow_redirects=False)


@pytest.fixture
def served(db: Path, users_file: Path) -> TestClient:
    """A server with users; nobody signed in yet."""
    return TestClient(create_app(ServerConfig(db=db, users=users_file)),
                      follow_redirects=False)


def sign_in(client: TestClient, name: str) -> str:
    """Sign `name` in through the login form; the CSRF token their pages carry."""
    answer = client.post("/login", data={"name": name, "password": PASSWORDS[name],
                                         "next": "/registry"})
    assert answer.status_code == 303 and answer.headers["location"] == "/registry"
    return csrf_of(client.get("/registry"))


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]*)">', page.text)
    assert found, page.text[:500]
    return found.group(1)


def text_of(page: httpx.Response) -> str:
    """What a reader sees of a page, roughly: its text without tags, entities decoded."""
    body = re.sub(r"<(script|style|template)\b.*?</\1>", " ", page.text, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def is_page(answer: httpx.Response, status: int) -> str:
    """`answer` is an HTML page with `status` (never JSON, never a trace); its text."""
    assert answer.status_code == status, (answer.status_code, text_of(answer)[:800])
    assert answer.headers["content-type"].startswith("text/html")
    assert "Traceback" not in answer.text and 'File "' not in answer.text
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    return text_of(answer)


# ------------------------------------------------------------ every page, both languages

PAGES = ["/", "/products/hepatitis_b", "/products/hepatitis_b@1.1.0",
         "/products/hepatitis_b/what-if",
         "/products/hepatitis_b/case", "/products/hepatitis_b/case?example=age_61_declined",
         "/products/hepatitis_b/what-if?example=age_61_declined", "/check", "/compare",
         "/compare?old=hepatitis_b@1.0.0&new=hepatitis_b@1.1.0", "/registry", "/audit",
         "/audit/verify", "/login"]


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_is_drawn_in_both_languages(local, lang):
    for path in PAGES:
        answer = local.get(path + ("&" if "?" in path else "?") + "lang=" + lang)
        text = is_page(answer, 200)
        assert f'<html lang="{lang}">' in answer.text, path
        assert f"· {APP_NAME[lang]}</title>" in answer.text, path
        assert APP_NAME[lang] in text
        if lang == "zh-CN":  # the wording, not just the frame, is Chinese
            for english in ("Products", "Registry", "Audit trail", "Sign in", "Decide"):
                assert english not in text, (path, english)


def test_the_language_is_kept_in_a_cookie(local):
    local.get("/", params={"lang": "zh-CN"})
    assert local.cookies.get("lang") == "zh-CN"
    assert '<html lang="zh-CN">' in local.get("/registry").text
    local.get("/", params={"lang": "en"})
    assert '<html lang="en">' in local.get("/registry").text
    assert '<html lang="en">' in local.get("/registry", params={"lang": "xx"}).text


def test_the_product_page_shows_clauses_beside_their_rules_and_dated_parameters(local):
    text = is_page(local.get("/products/hepatitis_b"), 200)
    page = local.get("/products/hepatitis_b").text
    clause = page[page.index(f'id="{AGE_ANCHOR}"'):][:4000]
    assert "eligibility.age_outside_range" in clause
    assert "age &lt; min_entry_age or age &gt; max_entry_age" in clause
    assert re.search(r"hepatitis_b\.yaml:\d+:\d+", clause)
    assert "/work/" not in page and str(PRODUCT.parent) not in page  # no server paths
    assert "cancer_waiting_days" in text and "2026-01-01" in text


def test_a_product_page_in_chinese_shows_the_chinese_clauses(local):
    text = is_page(local.get("/products/hepatitis_b", params={"lang": "zh-CN"}), 200)
    assert "投保时被保险人年龄须为18至60周岁" in text


@pytest.mark.parametrize(("ref", "status"), [
    ("nope", 404), ("hepatitis_b@9.9.9", 404), ("hepatitis_b@2019-01-01", 404),
    ("products", 404), ("tests", 404),  # folders in the working folder: never paths
    ("hepatitis_b@1.0.0;drop", 400), ("%2E%2E%5Cetc", 400)])
def test_an_unknown_product_is_a_page_not_a_trace(local, ref, status):
    for suffix in ("", "/case", "/what-if"):
        answer = local.get(f"/products/{ref}{suffix}")
        text = is_page(answer, status)
        assert 'class="problems"' in answer.text and "internal error" not in text
        assert str(PRODUCT.parent) not in text  # no server paths either


def test_a_path_in_place_of_a_product_is_not_found_never_read(local):
    answer = local.get("/products/..%2F..%2Fetc%2Fpasswd")  # no such route
    assert answer.status_code == 404 and "root:" not in answer.text
    assert "Traceback" not in answer.text


def test_an_unknown_product_is_404_in_both_languages(local):
    for lang, heading in (("en", "Something is wrong"), ("zh-CN", "出现问题")):
        text = is_page(local.get("/products/nope/case", params={"lang": lang}), 404)
        assert heading in text and "nope" in text
    assert is_page(local.get("/products/hepatitis_b/case?example=nothing"), 404)


# ------------------------------------------------------------ deciding a case


@pytest.mark.parametrize(("lang", "declined"), [("en", "Declined"), ("zh-CN", "拒保")])
def test_a_case_from_the_form_is_declined_with_its_reason_and_clause(local, lang, declined):
    data = case_data("age_61_declined")
    answer = local.post(f"/products/hepatitis_b/case?lang={lang}", data=fields(data))
    text = is_page(answer, 200)
    assert re.search(r'<span class="badge[^"]*">\s*' + declined, answer.text)
    assert f'href="/products/hepatitis_b#{AGE_ANCHOR}"' in answer.text
    assert "eligibility.age_outside_range" in text
    reason = ("We accept people aged 18 to 60" if lang == "en"
              else "投保时被保险人年龄须为18至60周岁")
    assert reason in text


def test_a_case_that_does_not_check_shows_each_problem_beside_its_field(local):
    posted = fields(case_data("age_61_declined", age="sixty", sex="robot"))
    answer = local.post("/products/hepatitis_b/case", data=posted)
    is_page(answer, 422)
    bad = re.findall(r'<div class="field[^"]*field-bad">.*?</div>', answer.text, re.S)
    names = {re.search(r'name="([^"]+)"', b).group(1) for b in bad}
    assert {"applicant.age", "applicant.sex"} <= names
    assert 'class="outcome' not in answer.text  # nothing decided


def test_the_timeline_editor_works_without_the_script(local):
    posted = fields(case_data("age_61_declined")) | {"op": "add",
                                                     "add_type": "antiviral_refill"}
    answer = local.post("/products/hepatitis_b/case", data=posted)
    is_page(answer, 200)
    assert 'name="events.0.type" value="antiviral_refill"' in answer.text
    removed = local.post("/products/hepatitis_b/case",
                         data=posted | {"events.0.type": "antiviral_refill",
                                        "events.0.date": "2026-01-01", "op": "remove:0"})
    assert 'name="events.0.type"' not in removed.text


def test_a_what_if_names_what_changes_and_why(local):
    base = case_data("age_61_declined")
    answer = local.post("/products/hepatitis_b/what-if",
                        data=fields(base) | {"applicant.age": "60", "op": "compare",
                                             "base": json.dumps(base)})
    text = is_page(answer, 200)
    changes = answer.text[answer.text.index('class="whatif-changes"'):]
    row = re.search(r"<tr>.*?</tr>", changes[changes.index("<tbody>"):], re.S).group(0)
    assert [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[hd][^>]*>.*?</t[hd]>", row, re.S)] == [
        "Decision", "Declined", "Accepted", "favourable"]
    assert "We accept people aged 18 to 60" in text
    broken = local.post("/products/hepatitis_b/what-if",
                        data=fields(base) | {"op": "compare", "base": "{not json"})
    assert "is not JSON" in is_page(broken, 400)


# ------------------------------------------------------------ issuing the policy


def test_a_bundled_products_policy_is_a_preview_not_recorded(local, db):
    data = case_data("fatty_liver_claim_refused")
    page = local.post("/products/hepatitis_b/issue", data={"case": json.dumps(data)})
    text = is_page(page, 200)
    assert "Xu Gang" in html.unescape(page.text)  # in the preview's srcdoc
    assert "not recorded" in text
    pdf = local.post("/products/hepatitis_b/policy.pdf", data={"case": json.dumps(data)})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["x-configurator-recorded"] == "no"
    assert 'filename="preview-LC-2026-000212.pdf"' in pdf.headers["content-disposition"]
    with Environment(db=db).store(readonly=True) as store:
        assert list(store.db.query("SELECT * FROM documents")) == []


def test_an_agent_issues_a_published_version_and_the_audit_trail_names_them(served, db):
    token = sign_in(served, "carla")
    data = {"case": json.dumps(case_data("fatty_liver_claim_refused")), "csrf_token": token}
    page = served.post("/products/hepatitis_b@1.0.0/issue", data=data)
    assert "recorded in the audit trail as issued by carla" in is_page(page, 200)
    pdf = served.post("/products/hepatitis_b@1.0.0/policy.pdf", data=data)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["x-configurator-recorded"] == "yes"
    assert 'filename="policy-LC-2026-000212.pdf"' in pdf.headers["content-disposition"]
    with Environment(db=db).store(readonly=True) as store:
        rows = list(store.db.query("SELECT * FROM documents"))
    assert [(r["product_id"], r["product_version"], r["user"]) for r in rows] == [
        ("hepatitis_b", "1.0.0", "carla")]
    # the auditor sees the row with the agent's name
    served.cookies.clear()
    sign_in(served, "dora")
    audit = served.get("/audit")
    documents = audit.text[audit.text.index('class="grid documents"'):]
    assert re.search(r"<td>hepatitis_b@1\.0\.0</td>.*?<td class=\"user\">carla</td>",
                     documents, re.S)


def test_the_auditor_lists_one_batch_and_follows_its_link(served, db):
    """A portfolio's run among the trail's rows: the batch filter, and each row's batch
    linking to the rest of its batch."""
    env = Environment(db=db)
    product = env.load("hepatitis_b@1.0.0")
    case = case_from_data(case_data("fatty_liver_claim_refused"), product)
    outcome = env.evaluate(product, case)
    with env.store() as store:
        record_batch(store, product, "renewal 2027/a", [(1, case, outcome), (2, case, outcome)])
        record_evaluation(store, product, case, outcome)  # no batch's
        record_batch(store, product, "renewal 2027/b", [(1, case, outcome)])
    sign_in(served, "dora")
    everything = served.get("/audit")
    assert len(re.findall(r"<tr><td>\d+</td>", everything.text)) == 4
    link = re.search(r'<a href="(/audit\?batch=[^"]+)">renewal 2027/a#1</a>', everything.text)
    assert link and link.group(1) == "/audit?batch=renewal%202027/a"
    batch = served.get(html.unescape(link.group(1)))
    text = is_page(batch, 200)
    assert re.findall(r"<tr><td>(\d+)</td>", batch.text) == ["1", "2"]
    assert "renewal 2027/a#2" in text and "renewal 2027/b" not in text
    assert 'name="batch" maxlength="256" value="renewal 2027/a"' in batch.text
    assert "No recorded decisions match." in is_page(served.get("/audit?batch=other"), 200)
    assert served.get(f"/audit?batch={'x' * 257}").status_code == 422


# ------------------------------------------------------------ checking a product


def broken_product() -> str:
    return (PRODUCT.read_text(encoding="utf-8")
            .replace("when: age < min_entry_age or", "when: age < min_entry_agee or")
            .replace("    outcome: refer\n", "    outcome: reefer\n", 1))


def broken_lines() -> tuple[int, int]:
    """The lines of the two mistakes `broken_product` makes."""
    lines = broken_product().splitlines()
    return (next(n for n, line in enumerate(lines, 1) if "min_entry_agee" in line),
            next(n for n, line in enumerate(lines, 1) if "outcome: reefer" in line))


@pytest.mark.parametrize("lang", LANGS)
def test_a_broken_product_upload_shows_each_positioned_problem_with_its_line(local, lang):
    answer = local.post(f"/check?lang={lang}",
                        files={"file": ("../../etc/broken.yaml", broken_product().encode())})
    is_page(answer, 422)
    problems = re.findall(r'<li class="problem" data-line="(\d+)">(.*?)</li>', answer.text, re.S)
    agee, reefer = broken_lines()
    assert [line for line, _ in problems] == [str(agee), str(reefer)]
    first, second = (html.unescape(re.sub(r"<[^>]+>", "", p)) for _, p in problems)
    assert f"broken.yaml:{agee}:17" in first and "eligibility[0].when" in first
    assert "unknown name 'min_entry_agee'" in first
    assert "age < min_entry_agee or age > max_entry_age" in first  # the line itself
    assert f"broken.yaml:{reefer}:14" in second and "'reefer' is not allowed here" in second
    assert "etc/" not in answer.text  # the upload's base name only


def test_a_good_product_checks_and_shows_its_lint_findings(local):
    answer = local.post("/check", data={"yaml": PRODUCT.read_text(encoding="utf-8")})
    text = is_page(answer, 200)
    assert "hepatitis_b" in text and "1.0.0" in text


@pytest.mark.parametrize(("upload", "status", "says"), [
    (b"\xff\xfe not utf-8", 400, "is not UTF-8 text"),
    (b"", 400, "give a product's YAML"),
    (b"x: " + b"a" * (4 * 1024 * 1024), 413, "larger than"),
    (b"id: [unclosed\n", 422, "1 problem"),
])
def test_bad_uploads_are_refused_as_pages(local, upload, status, says):
    answer = local.post("/check", files={"file": ("p.yaml", upload)} if upload else None,
                        data={} if upload else {"yaml": " "})
    assert says in is_page(answer, status)


# ------------------------------------------------------------ comparing and approving


def test_compare_shows_the_changes_the_redline_and_the_impact(local):
    answer = local.get("/compare", params={"old": "hepatitis_b@1.0.0",
                                           "new": "hepatitis_b@1.1.0"})
    text = is_page(answer, 200)
    assert "waiting period for Liver cancer lengthened from 180 days to 200 days" in text
    assert "<del>180</del>" in answer.text and "<ins>200</ins>" in answer.text
    assert "liver cancer on day 181 pays the full sum insured" in text
    assert 'id="move-approve"' in answer.text
    report = local.get("/compare/report", params={"old": "hepatitis_b@1.0.0",
                                                  "new": "hepatitis_b@1.1.0"})
    assert report.status_code == 200 and "sandbox" in report.headers["content-security-policy"]
    other = local.get("/compare", params={"old": "hepatitis_b", "new": "copd"})
    assert "different products" in is_page(other, 400)


def test_the_author_cannot_approve_but_another_reviewer_can(served):
    token = sign_in(served, "ana")
    own = served.post("/registry/approve", data={"ref": "hepatitis_b@1.1.0",
                                                 "old": "hepatitis_b@1.0.0",
                                                 "csrf_token": token})
    text = is_page(own, 409)
    assert "The registry refused to approve hepatitis_b@1.1.0" in text
    assert "registered by ana, who cannot also approve it (four eyes)" in text
    served.post("/logout", data={"csrf_token": token})
    token = sign_in(served, "bo")
    done = served.post("/registry/approve", data={"ref": "hepatitis_b@1.1.0",
                                                  "csrf_token": token})
    assert done.status_code == 303
    assert done.headers["location"] == "/registry?done=approve&ref=hepatitis_b@1.1.0"
    registry = served.get(done.headers["location"])
    assert "hepatitis_b@1.1.0 was approved." in is_page(registry, 200)
    row = registry.text[registry.text.index('id="version-hepatitis_b-1-1-0"'):]
    assert 'status-approved"' in row[:800] and "<td>bo<br>" in row[:1500]


def test_the_audit_trail_verifies(local):
    text = is_page(local.get("/audit/verify"), 200)
    assert "intact" in text.lower() or "verified" in text.lower(), text[-1500:]


# ------------------------------------------------------------ signing in, CSRF and roles


def test_a_server_with_users_sends_the_signed_out_to_the_login_page(served):
    for path in ("/", "/products/hepatitis_b", "/registry", "/check"):
        answer = served.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/login?next=" + path
    answer = served.get("/compare?old=hepatitis_b@1.0.0&new=hepatitis_b@1.1.0")
    assert answer.headers["location"] == (
        "/login?next=/compare%3Fold%3Dhepatitis_b%401.0.0%26new%3Dhepatitis_b%401.1.0")
    text = is_page(served.get("/login"), 200)
    assert 'action="/login"' in served.get("/login").text and "Password" in text
    assert "Sign out" not in text


def test_signing_in_and_out_through_the_form(served):
    wrong = served.post("/login", data={"name": "carla", "password": "not-hers-at-all"})
    text = is_page(wrong, 401)
    assert "Wrong name or password." in text and 'value="carla"' in wrong.text
    chinese = served.post("/login?lang=zh-CN", data={"name": "carla", "password": "nope"})
    assert "用户名或密码错误" in is_page(chinese, 401)
    away = served.post("/login", data={"name": "carla", "password": PASSWORDS["carla"],
                                       "next": "//evil.example/"})
    assert away.status_code == 303 and away.headers["location"] == "/"
    home = served.get("/?lang=en")
    text = is_page(home, 200)
    assert "Signed in as carla" in text and "Sign out" in text
    token = csrf_of(home)
    assert served.post("/logout").status_code == 403  # a form without its token
    out = served.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert served.get("/").status_code == 303


def test_the_local_server_needs_no_sign_in(local):
    text = is_page(local.get("/"), 200)
    assert "Signed in as local" in text and "Sign out" not in text
    assert "no users file" in is_page(local.get("/login"), 200)
    assert is_page(local.post("/login", data={"name": "x", "password": "y"}), 409)


def test_a_form_posted_without_its_csrf_token_is_refused(served, db):
    sign_in(served, "carla")
    posted = fields(case_data("age_61_declined"))
    refused = served.post("/products/hepatitis_b/case", data=posted)
    assert "CSRF token" in is_page(refused, 403)
    forged = served.post("/products/hepatitis_b/case", data=posted | {"csrf_token": "x" * 40})
    is_page(forged, 403)
    data = {"case": json.dumps(case_data("fatty_liver_claim_refused"))}
    assert served.post("/products/hepatitis_b@1.0.0/policy.pdf", data=data).status_code == 403
    with Environment(db=db).store(readonly=True) as store:
        assert list(store.db.query("SELECT * FROM documents")) == []  # nothing issued
    token = csrf_of(served.get("/"))
    assert served.post("/products/hepatitis_b/case",
                       data=posted | {"csrf_token": token}).status_code == 200


@pytest.mark.parametrize(("name", "method", "path", "data"), [
    ("carla", "get", "/check", None),
    ("carla", "get", "/compare", None),
    ("carla", "get", "/audit", None),
    ("bo", "post", "/products/hepatitis_b@1.0.0/issue", {"case": "{}"}),
    ("dora", "post", "/products/hepatitis_b/case", {}),
    ("carla", "post", "/registry/approve", {"ref": "hepatitis_b@1.1.0"}),
    ("dora", "post", "/registry/retire", {"ref": "hepatitis_b@1.0.0"}),
])
def test_a_page_needing_a_role_is_refused_to_a_user_without_it(served, db, name, method,
                                                              path, data):
    token = sign_in(served, name)
    if method == "get":
        answer = served.get(path)
    else:
        answer = served.post(path, data=data | {"csrf_token": token})
    text = is_page(answer, 403)
    assert f"{name} may not do this" in text
    with Environment(db=db).store(readonly=True) as store:
        assert {r.ref: r.status for r in store.history("hepatitis_b")} == {
            "hepatitis_b@1.0.0": "published", "hepatitis_b@1.1.0": "draft",
            "hepatitis_b@1.2.0": "draft"}


def test_pages_offer_only_what_the_users_roles_allow(served):
    sign_in(served, "carla")  # an agent
    home = served.get("/").text
    assert 'href="/check"' not in home and 'href="/audit"' not in home
    assert 'href="/registry"' in home
    registry = served.get("/registry").text
    assert 'action="/registry/approve"' not in registry
    assert 'action="/registry/retire"' not in registry
    product = served.get("/products/hepatitis_b").text
    assert "/what-if" in product and "/compare?old=" not in product
    served.cookies.clear()
    sign_in(served, "bo")  # a reviewer
    registry = served.get("/registry").text
    assert 'action="/registry/approve"' in registry
    assert 'href="/audit"' in registry and 'href="/check"' not in registry
    served.cookies.clear()
    sign_in(served, "dora")  # an auditor: reads, decides nothing
    case = served.get("/products/hepatitis_b/case?example=age_61_declined")
    assert 'value="decide"' not in case.text
    assert "Deciding a case needs the role" in is_page(case, 200)


# ------------------------------------------------------------ assets


def test_assets_are_served_from_here_and_nothing_else_is(local):
    css = local.get("/static/workbench.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert local.get("/static/workbench.js").status_code == 200
    for name in ("..%2Fbase.html.j2", "nope.css", "strings"):
        assert local.get(f"/static/{name}").status_code == 404
    page = local.get("/").text
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing from elsewhere


@pytest.mark.parametrize(("lang", "any_of", "each"), [
    ("en", "(checked on any of: flare-up recorded by the health team, emergency care or "
           "hospital stay for a flare-up)", "with the health team In each quarter of the "
           "policy year by the last day of the quarter cat_score"),
    ("zh-CN", "（于以下任一事件时判断：健康管理团队记录的急性加重、因急性加重急诊或住院）",
     "健康管理团队呼吸评估 保单年度内每季度一次 季度最后一天前完成 cat_score")])
def test_the_product_page_shows_triggers_on_any_event_and_in_each_part_of_the_year(
        local, lang, any_of, each):
    """Issue 13's triggers: copd's review after flare-ups is set off by either event type,
    its breathing check falls due in each quarter (the check-ups table, through HTTP)."""
    text = " ".join(is_page(local.get("/products/copd", params={"lang": lang}), 200).split())
    text = re.sub(r" (?=[,)、）])|(?<=[：（、]) ", "", text)  # spaces the tags left by punctuation
    assert any_of in text and each in text  # the check-ups table's cells, in clause order
    assert text.index(each) > text.index(any_of)
