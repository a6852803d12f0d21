"""The HTTP API through FastAPI's TestClient: every endpoint, with good input and bad.

One server (bundled products, a registry in a temporary folder, a users
file) serves the whole module; hepatitis_b 1.0.0 is registered by a
designer, approved by a reviewer and published once, so recording, issuing
and diffing have a version of record. Everyone signs in with an API token
(`as_user`): requests whose user does not matter are made by olga, who holds
every role; the others hold one or two, so roles and four eyes are tested
through the real authentication.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from ruamel.yaml import YAML

from configurator.cli import main
from configurator.product.model import json_schema
from configurator.registry.store import Store
from configurator.server import ServerConfig, create_app
from configurator.server import users as accounts

from .paths import CASE, CASES, PRODUCT, ROOT

BROKEN = ROOT / "tests" / "fixtures" / "broken"
LINT = ROOT / "tests" / "fixtures" / "lint"
V1 = "hepatitis_b@1.0.0"
V2 = "hepatitis_b@1.1.0"
HOLDER = "Wang Fang"
PEOPLE = {  # who may sign in, and with which roles
    "olga": accounts.ROLES,  # every role: the default, for requests whose user does not matter
    "dora": ("designer",),
    "rita": ("reviewer",),
    "ada": ("agent",),
    "aud": ("auditor",),
    "pat": ("designer", "reviewer"),  # may approve, but never what she registered herself
}
TOKENS: dict[str, str] = {}  # each person's API token, made by the `users` fixture


def case_data(path: Path = CASE) -> dict[str, Any]:
    """A case file as the JSON a client sends (dates as text)."""
    return json.loads(json.dumps(YAML(typ="safe").load(path.read_text()), default=str))


def version_two() -> str:
    """hepatitis_b 1.1.0: the oldest age accepted falls from 60 to 55."""
    text = PRODUCT.read_text(encoding="utf-8")
    text = text.replace("version: 1.0.0", "version: 1.1.0", 1)
    return text.replace("max_entry_age: {value: 60,", "max_entry_age: {value: 55,", 1)


def as_user(name: str) -> dict[str, str]:
    """The headers of a request signed in as `name` (by its API token)."""
    return {"Authorization": f"Bearer {TOKENS[name]}"}


@pytest.fixture(scope="module")
def users(tmp_path_factory) -> Path:
    """A users file with `PEOPLE`, each with an API token (hashed once per module: argon2 is
    slow on purpose)."""
    found = accounts.Users()
    for name, roles in PEOPLE.items():
        found = found.add(name, roles, f"{name}-password-1")
        found, TOKENS[name] = found.with_token(name)
    path = tmp_path_factory.mktemp("users") / "users.toml"
    path.write_text(found.dumps())
    path.chmod(0o600)
    return path


def start(db: Path, users: Path, **options: Any) -> Iterator[TestClient]:
    """A server on `db` with the `users` file, its requests made by olga unless they say."""
    app = create_app(ServerConfig(db=db, users=users, **options))
    with TestClient(app, headers=as_user("olga")) as client:
        yield client


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("server") / "registry.db"


@pytest.fixture(scope="module")
def client(db: Path, users: Path) -> Iterator[TestClient]:
    yield from start(db, users, max_body_bytes=256 * 1024)


@pytest.fixture(scope="module")
def published(client: TestClient) -> dict[str, Any]:
    """hepatitis_b 1.0.0 registered by dora, approved by rita, published by dora."""
    answer = client.post("/api/v1/registry", headers=as_user("dora"), json={
        "product": "hepatitis_b", "effective_from": "2026-01-01", "effective_to": "2026-12-31"})
    assert answer.status_code == 201, answer.text
    assert client.post(f"/api/v1/registry/{V1}/approve", headers=as_user("rita")).status_code \
        == 200
    answer = client.post(f"/api/v1/registry/{V1}/publish", headers=as_user("dora"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def problems(answer) -> list[dict[str, Any]]:
    """The problem records of an error answer, which never holds a trace."""
    assert "Traceback" not in answer.text and 'File "' not in answer.text
    return answer.json()["problems"]


# ------------------------------------------------------------ products


def test_products_lists_bundled_products_with_versions_windows_and_languages(client):
    answer = client.get("/api/v1/products")
    assert answer.status_code == 200
    found = {p["ref"]: p for p in answer.json()}
    assert {"hepatitis_b", "copd", "oral_health", "senior_checkup"} <= set(found)
    hep = found["hepatitis_b"]
    assert (hep["source"], hep["version"], hep["effective_from"]) == ("bundled", "1.0.0",
                                                                      "2026-01-01")
    assert hep["languages"] == ["en", "zh-CN"] and hep["name"]["zh-CN"]


def test_products_list_registered_versions_with_their_status(client, published):
    found = {p["ref"]: p for p in client.get("/api/v1/products").json()}
    assert found[V1]["source"] == "registry" and found[V1]["status"] == "published"
    assert found[V1]["effective_to"] == "2026-12-31"


def test_product_structure_has_inputs_events_dated_parameters_and_rules(client):
    answer = client.get("/api/v1/products/hepatitis_b")
    assert answer.status_code == 200
    product = answer.json()
    age = next(i for i in product["inputs"] if i["name"] == "age")
    assert (age["type"], age["required"]) == ("integer", True)
    assert any(e["name"] == "antiviral_refill" and e["fields"] for e in product["events"])
    entry = next(p for p in product["parameters"] if p["name"] == "max_entry_age")
    assert entry["values"] == [{"from": "2026-01-01", "value": 60}]
    assert product["periods"][0]["from"] == "2026-01-01"
    rule = next(r for r in product["rules"] if r["id"].startswith("eligibility."))
    assert rule["clause"].startswith("2.") and rule["line"] > 0
    assert rule["source"].rsplit(":", 2)[1] == str(rule["line"])
    assert not any(r["id"].startswith("_seen") for r in product["rules"])
    assert product["clauses"][rule["id"]] == rule["clause"]


def test_unknown_and_path_like_product_refs(client):
    assert problems(client.get("/api/v1/products/hepatitis_x"))[0]["code"] == "missing"
    assert client.get("/api/v1/products/hepatitis_x").status_code == 404
    assert client.get("/api/v1/products/hepatitis_b@9.9.9").status_code == 404
    for ref in ("..%2F..%2Fetc%2Fpasswd", "Hepatitis_B", "hepatitis_b.yaml", "%2Ftmp%2Fx"):
        answer = client.get(f"/api/v1/products/{ref}")
        assert answer.status_code in (400, 404), ref
        if answer.status_code == 400:
            assert problems(answer)[0]["path"] == "product"


def test_case_schema_accepts_the_example_cases_and_refuses_a_wrong_value(client):
    schema = client.get("/api/v1/products/hepatitis_b/case-schema").json()
    assert jsonschema_rs.meta.is_valid(schema)
    validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
    cases = [path for path in sorted(CASES.glob("*.yaml")) if ".suite" not in path.name]
    for path in cases:
        validator.validate(case_data(path))
    wrong = case_data()
    wrong["applicant"]["hbv_status"] = "cured"
    with pytest.raises(jsonschema_rs.ValidationError):
        validator.validate(wrong)
    assert schema["properties"]["applicant"]["properties"]["age"]["maximum"] == 120


def test_product_format_schema_is_the_libraries(client):
    assert client.get("/api/v1/schema").json() == json.loads(json.dumps(json_schema()))


# ------------------------------------------------------------ validate and lint


def test_validate_a_good_product(client):
    answer = client.post("/api/v1/validate", content=PRODUCT.read_bytes(),
                         headers={"content-type": "text/yaml"})
    assert answer.json() == {"valid": True, "product": {
        "id": "hepatitis_b", "version": "1.0.0", "hash": answer.json()["product"]["hash"]},
        "problems": []}


@pytest.mark.parametrize("broken", sorted(BROKEN.glob("*.yaml"))[:12], ids=lambda p: p.stem)
def test_validate_a_broken_product_gives_the_clis_positioned_problems(client, capsys, broken):
    answer = client.post(f"/api/v1/validate?file={broken.name}", content=broken.read_bytes(),
                         headers={"content-type": "text/yaml"})
    assert answer.status_code == 200
    result = answer.json()
    assert result["valid"] is False and result["problems"]
    assert main(["validate", str(broken)]) == 2
    cli = capsys.readouterr().err.strip().splitlines()
    assert [p["text"] for p in result["problems"]] == [
        line.replace(str(broken), broken.name) for line in cli]
    expected = broken.with_suffix(".expect").read_text().splitlines()
    where = expected[0].replace(str(BROKEN.relative_to(ROOT)) + "/", "")
    assert any(p["text"].startswith(where) for p in result["problems"]), where


def test_validate_takes_json_with_a_name_and_refuses_other_bodies(client):
    text = (BROKEN / "condition_syntax.yaml").read_text()
    answer = client.post("/api/v1/validate", json={"yaml": text, "file": "../../etc/x.yaml"})
    record = answer.json()["problems"][0]
    assert (record["file"], record["line"], record["column"]) == ("x.yaml", 37, 19)
    assert record["path"] == "eligibility[1].when"
    assert client.post("/api/v1/validate", json={"yml": text}).status_code == 400
    assert client.post("/api/v1/validate", content=b'{"yaml": ',
                       headers={"content-type": "application/json"}).status_code == 400
    assert client.post("/api/v1/validate", content=b"x",
                       headers={"content-type": "image/png"}).status_code == 400
    not_utf8 = client.post("/api/v1/validate", content=b"id: \xff\xfe",
                           headers={"content-type": "text/yaml"}).json()
    assert not not_utf8["valid"] and "UTF-8" in not_utf8["problems"][0]["message"]


def test_validate_and_lint_refuse_an_empty_body(client):
    for path in ("/api/v1/validate", "/api/v1/lint"):
        answer = client.post(path, content=b"", headers={"content-type": "text/yaml"})
        assert answer.status_code == 400 and problems(answer)[0]["path"] == "yaml"
    named = client.post("/api/v1/validate", json={"yaml": "id: x", "file": "x" * 201})
    assert named.status_code == 400


def test_lint_finds_what_the_cli_finds(client, capsys):
    bad = LINT / "OVERLAP_bad.yaml"
    answer = client.post(f"/api/v1/lint?file={bad.name}", content=bad.read_bytes(),
                         headers={"content-type": "text/yaml"})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert main(["lint", str(bad), "--format", "json"]) == 1
    cli = json.loads(capsys.readouterr().out)
    assert [(f["code"], f["line"], f["message"]) for f in result["findings"]] == [
        (f["code"], f["line"], f["message"]) for f in cli]
    assert result["errors"] + result["warnings"] == len(cli) > 0
    assert all(f["file"] == bad.name for f in result["findings"])


def test_lint_of_a_product_by_reference_and_of_a_broken_one(client):
    clean = client.get("/api/v1/products/hepatitis_b/lint?profile=CN").json()
    assert clean["findings"] == [] and clean["profile"] == "CN"
    broken = client.post("/api/v1/lint", content=(BROKEN / "condition_syntax.yaml").read_bytes(),
                         headers={"content-type": "text/yaml"})
    assert broken.status_code == 422
    assert problems(broken)[0]["path"] == "eligibility[1].when"


# ------------------------------------------------------------ evaluate


def test_evaluate_is_byte_for_byte_what_evaluate_json_prints(client, capsys):
    answer = client.post("/api/v1/evaluate", json={"product": "hepatitis_b",
                                                   "case": case_data()})
    assert answer.status_code == 200
    assert main(["evaluate", "hepatitis_b", str(CASE), "--json"]) == 0
    assert answer.text + "\n" == capsys.readouterr().out
    assert answer.headers["content-type"] == "application/json"


def test_evaluate_in_chinese_and_without_explanations(client, capsys):
    answer = client.post("/api/v1/evaluate", json={
        "product": "hepatitis_b", "case": case_data(), "locale": "zh-CN", "explain": False})
    assert main(["evaluate", "hepatitis_b", str(CASE), "--lang", "zh-CN", "--explain"]) == 0
    capsys.readouterr()
    outcome = answer.json()
    assert not any("values" in r for r in outcome["reasons"])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in outcome["reasons"][0]["text"])


def test_evaluate_a_registered_version_by_version_and_by_date(client, published):
    for ref in (V1, "hepatitis_b@2026-06-30"):
        answer = client.post("/api/v1/evaluate", json={"product": ref, "case": case_data()})
        assert answer.status_code == 200, answer.text
        assert answer.json()["product"]["id"] == "hepatitis_b"
    gone = client.post("/api/v1/evaluate", json={"product": "hepatitis_b@2031-01-01",
                                                 "case": case_data()})
    assert gone.status_code == 404 and "in force" in problems(gone)[0]["message"]


def test_evaluate_refuses_bad_input_with_problem_records(client):
    def post(**body):
        return client.post("/api/v1/evaluate", json={"product": "hepatitis_b",
                                                     "case": case_data(), **body})

    assert post(product="hepatitis_x").status_code == 404
    assert post(product="hepatitis_b@7.0.0").status_code == 404
    for path_like in ("../products/hepatitis_b", "/etc/passwd", "products/hepatitis_b.yaml",
                      "hepatitis_b.yaml"):
        answer = post(product=path_like)
        assert answer.status_code == 400 and problems(answer)[0]["path"] == "product"
    malformed = client.post("/api/v1/evaluate", content=b'{"product": "hepatitis_b", "case":',
                            headers={"content-type": "application/json"})
    assert malformed.status_code == 400 and problems(malformed)[0]["code"] == "json_invalid"
    assert post(locale="fr").status_code == 422
    bad = case_data()
    bad["applicant"]["age"] = 130
    bad["events"][0]["type"] = "antiviral_refil"
    answer = post(case=bad)
    assert answer.status_code == 422
    found = {p["path"]: p for p in problems(answer)}
    assert "above the maximum 120" in found["applicant.age"]["message"]
    assert found["events[0].type"]["hint"] == "did you mean 'antiviral_refill'?"


def test_an_oversized_body_is_refused_before_it_is_read(client):
    big = json.dumps({"product": "hepatitis_b", "case": case_data(),
                      "pad": "x" * 300_000}).encode()
    answer = client.post("/api/v1/evaluate", content=big,
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413 and problems(answer)[0]["code"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield big[:100_000]
        yield big[100_000:]

    answer = client.post("/api/v1/evaluate", content=chunks(),
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413 and problems(answer)[0]["code"] == "too_large"
    answer = client.post("/api/v1/validate", content=b"x: 1\n" * 60_000,
                         headers={"content-type": "text/yaml"})
    assert answer.status_code == 413


def test_a_body_refused_for_its_size_is_in_the_access_log(client, caplog):
    caplog.set_level(logging.INFO, logger="configurator.server.access")
    answer = client.post("/api/v1/evaluate", content=b"{" + b" " * 300_000 + b"}",
                         headers={"content-type": "application/json", **as_user("ada")})
    assert answer.status_code == 413
    logged = [r.getMessage() for r in caplog.records if r.name == "configurator.server.access"]
    assert any(line.startswith("POST /api/v1/evaluate 413 ") for line in logged), logged


def test_evaluate_with_record_adds_an_audit_row_with_the_user(client, published, db):
    body = {"product": V1, "case": case_data(), "record": True}
    answer = client.post("/api/v1/evaluate", json=body, headers=as_user("ada"))
    assert answer.status_code == 200, answer.text
    row = int(answer.headers["X-Audit-Row"])
    with Store(db, readonly=True) as store:
        recorded = next(store.db.query("SELECT * FROM evaluations WHERE seq = ?", [row]))
    assert (recorded["user"], recorded["decision"]) == ("ada", answer.json()["decision"])
    assert HOLDER not in json.dumps(recorded)
    copd_case = case_data(ROOT / "products" / "copd" / "mild_copd_standard_terms.yaml")
    unpublished = client.post("/api/v1/evaluate", json={**body, "product": "copd",
                                                        "case": copd_case})
    assert unpublished.status_code == 409 and "publish it" in problems(unpublished)[0]["message"]


# ------------------------------------------------------------ what-if


def test_what_if_flips_a_decision_and_says_why(client):
    answer = client.post("/api/v1/what-if", json={
        "product": "hepatitis_b", "case": case_data(),
        "variations": [{"name": "older", "set": {"applicant.age": 61}},
                       {"remove_events": ["liver_cancer_diagnosis-1"]},
                       {"set": {"applicant.alt": 36}}]})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["base"]["decision"] == "accept"
    older, no_claim, same = result["variations"]
    assert older["name"] == "older" and older["outcome"]["decision"] == "decline"
    assert older["differences"] == [{"aspect": "decision", "old": "accept", "new": "decline",
                                     "effect": "unfavourable",
                                     "text": "decision accept -> decline"}]
    assert any(r["rule"].startswith("eligibility.") and r["clause"]
               for r in older["reasons_added"])
    assert no_claim["differences"][0]["aspect"] == "payable"
    assert same["changed"] is False and same["differences"] == []


def test_what_if_adds_events_and_refuses_what_cannot_be_varied(client):
    added = client.post("/api/v1/what-if", json={
        "product": "hepatitis_b", "case": case_data(),
        "variations": [{"add_events": [{"date": "2028-06-01", "type": "antiviral_refill",
                                        "days_supply": 30}]}]})
    assert added.status_code == 200
    answer = client.post("/api/v1/what-if", json={
        "product": "hepatitis_b", "case": case_data(),
        "variations": [{"set": {"applicant.age": 40, "premium": 1}},
                       {"remove_events": ["nothing-9"]}]})
    assert answer.status_code == 422
    paths = [p["path"] for p in problems(answer)]
    assert "variations[0].set.premium" in paths
    answer = client.post("/api/v1/what-if", json={
        "product": "hepatitis_b", "case": case_data(),
        "variations": [{"set": {"applicant.age": "old"}}]})
    assert answer.status_code == 422 and problems(answer)[0]["path"] == "applicant.age"
    assert client.post("/api/v1/what-if", json={"product": "hepatitis_b", "case": case_data(),
                                                "variations": []}).status_code == 422


# ------------------------------------------------------------ render


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "policy.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_render_the_specimen_pdf_and_html(client, tmp_path):
    answer = client.post("/api/v1/render", json={"product": "hepatitis_b"})
    assert answer.status_code == 200
    assert answer.content.startswith(b"%PDF") and "X-Audit-Document" not in answer.headers
    assert 'filename="hepatitis_b-specimen-1.0.0-en.pdf"' in answer.headers[
        "content-disposition"]
    assert "Liver Care Hepatitis B Cover" in pdf_text(answer.content, tmp_path)
    html = client.post("/api/v1/render", json={"product": "hepatitis_b", "format": "html",
                                               "case": case_data()})
    assert html.status_code == 200 and HOLDER in html.text
    assert html.headers["content-type"].startswith("text/html")


def test_issuing_a_personalised_pdf_names_the_holder_and_is_recorded(client, published, db,
                                                                    tmp_path, capsys):
    answer = client.post("/api/v1/render", json={"product": V1, "case": case_data()},
                         headers=as_user("ada"))
    assert answer.status_code == 200, answer.text
    text = pdf_text(answer.content, tmp_path)
    assert HOLDER in text and "LC-2026-000123" in text
    assert 'filename="hepatitis_b-LC-2026-000123-1.0.0-en.pdf"' in answer.headers[
        "content-disposition"]
    row = int(answer.headers["X-Audit-Document"])
    with Store(db, readonly=True) as store:
        recorded = next(store.db.query("SELECT * FROM documents WHERE seq = ?", [row]))
    assert recorded["user"] == "ada" and recorded["case_hash"]
    assert recorded["sha256"] == hashlib.sha256(answer.content).hexdigest()
    target = tmp_path / "cli.pdf"
    assert main(["render", V1, "--case", str(CASE), "-o", str(target), "--db", str(db)]) == 0
    capsys.readouterr()
    assert target.read_bytes() == answer.content


def test_issuing_needs_a_published_version_and_an_agent(client, published):
    copd_case = case_data(ROOT / "products" / "copd" / "mild_copd_standard_terms.yaml")
    unpublished = client.post("/api/v1/render", json={"product": "copd", "case": copd_case})
    assert unpublished.status_code == 409 and "not in the registry" in problems(
        unpublished)[0]["message"]
    wrong_case = client.post("/api/v1/render", json={"product": "copd", "case": case_data()})
    assert wrong_case.status_code == 422
    designer = client.post("/api/v1/render", json={"product": V1, "case": case_data()},
                           headers=as_user("dora"))
    assert designer.status_code == 403
    preview = client.post("/api/v1/render", json={"product": V1, "case": case_data(),
                                                  "format": "html"},
                          headers=as_user("dora"))
    assert preview.status_code == 200


def test_render_of_a_declined_application_is_a_problem(client):
    declined = case_data(CASES / "age_61_declined.yaml")
    answer = client.post("/api/v1/render", json={"product": "hepatitis_b", "case": declined,
                                                 "format": "html"})
    assert answer.status_code == 422 and problems(answer)


# ------------------------------------------------------------ who may do what


REFUSED = [  # (who, method, path, body): a request the route's role does not allow
    ("ada", "POST", "/api/v1/validate", None),  # designers
    ("rita", "POST", "/api/v1/lint", None),
    ("aud", "POST", "/api/v1/evaluate", {"product": "hepatitis_b"}),  # deciders
    ("aud", "POST", "/api/v1/what-if", {"product": "hepatitis_b"}),
    ("aud", "POST", "/api/v1/render", {"product": "hepatitis_b"}),
    ("aud", "GET", "/api/v1/jobs", None),
    ("ada", "GET", "/api/v1/diff/redline?old=hepatitis_b&new=hepatitis_b", None),  # reviewers
    ("rita", "POST", "/api/v1/registry", {"product": "copd", "effective_from": "2026-01-01"}),
    ("dora", "POST", f"/api/v1/registry/{V1}/approve", None),
    ("ada", "POST", f"/api/v1/registry/{V1}/publish", None),
    ("aud", "POST", f"/api/v1/registry/{V1}/retire", None),
    ("ada", "GET", "/api/v1/audit/verify", None),  # auditors
    ("dora", "GET", "/api/v1/audit/decisions", None),
]


@pytest.mark.parametrize(("who", "method", "path", "body"), REFUSED,
                         ids=[f"{w}-{m}-{p.split('?')[0]}" for w, m, p, _ in REFUSED])
def test_a_role_the_route_does_not_allow_is_a_403_problem(client, published, who, method,
                                                         path, body):
    answer = client.request(method, path, json=body, headers=as_user(who))
    assert answer.status_code == 403, answer.text
    record = problems(answer)[0]
    assert record["message"].startswith(f"{who} may not do this: it needs the role ")
    history = {v["ref"]: v for v in client.get("/api/v1/registry/hepatitis_b").json()}
    assert history[V1]["status"] == "published"  # nothing moved
    assert client.get("/api/v1/registry/copd").status_code == 404  # nothing registered


def test_no_credentials_or_a_bad_token_on_a_server_with_users_is_a_401_problem(client):
    nobody = TestClient(client.app)  # the same server, without olga's token
    for answer in (nobody.get("/api/v1/products"),
                   nobody.post("/api/v1/evaluate", json={"product": "hepatitis_b",
                                                         "case": case_data()}),
                   nobody.get("/api/v1/audit/verify"),
                   nobody.get("/api/v1/products", headers={"Authorization": "Bearer cfg_x"}),
                   nobody.get("/api/v1/products", headers={"Authorization": "Basic b2xnYQ=="})):
        assert answer.status_code == 401, answer.text
        assert problems(answer)[0]["path"] == "authorization"
    assert nobody.get("/openapi.json").status_code == 200  # the document is public
    assert nobody.get("/api/v1/session", headers=as_user("aud")).json()["name"] == "aud"


# ------------------------------------------------------------ registry, diff and audit


def test_registering_from_yaml_and_four_eyes(client, published):
    broken = client.post("/api/v1/registry", json={
        "yaml": (BROKEN / "condition_syntax.yaml").read_text(), "file": "mine.yaml",
        "effective_from": "2027-01-01"})
    assert broken.status_code == 422 and problems(broken)[0]["file"] == "mine.yaml"
    answer = client.post("/api/v1/registry", json={
        "yaml": version_two(), "file": "hepatitis_b_v2.yaml", "effective_from": "2027-01-01"},
        headers=as_user("pat"))
    assert answer.status_code == 201, answer.text
    draft = answer.json()
    assert (draft["ref"], draft["status"], draft["registered_by"]) == (V2, "draft", "pat")
    again = client.post("/api/v1/registry", json={
        "yaml": version_two(), "effective_from": "2027-01-01"})
    assert again.status_code == 409
    own = client.post(f"/api/v1/registry/{V2}/approve", headers=as_user("pat"))
    assert own.status_code == 409 and "four eyes" in problems(own)[0]["message"]
    assert problems(own)[0]["code"] == "lifecycle"
    not_a_reviewer = client.post(f"/api/v1/registry/{V2}/approve", headers=as_user("ada"))
    assert not_a_reviewer.status_code == 403
    approved = client.post(f"/api/v1/registry/{V2}/approve", headers=as_user("rita"))
    assert approved.status_code == 200 and approved.json()["approved_by"] == "rita"
    twice = client.post(f"/api/v1/registry/{V2}/approve", headers=as_user("olga"))
    assert twice.status_code == 409


def test_history_and_lifecycle_refusals(client, published):
    history = client.get("/api/v1/registry/hepatitis_b").json()
    first = history[0]
    assert (first["ref"], first["status"], first["registered_by"], first["approved_by"],
            first["published_by"]) == (V1, "published", "dora", "rita", "dora")
    assert client.get("/api/v1/registry/nothing_here").status_code == 404
    assert client.post("/api/v1/registry/hepatitis_b@8.8.8/publish").status_code == 404
    assert client.post("/api/v1/registry/hepatitis_b/publish").status_code == 400
    assert client.post(f"/api/v1/registry/{V1}/approve", headers=as_user("rita")).status_code \
        == 409
    neither = client.post("/api/v1/registry", json={"effective_from": "2026-01-01"})
    assert neither.status_code == 422


def ensure_v2(client: TestClient) -> None:
    """hepatitis_b 1.1.0 registered (as a draft, unless a test moved it on)."""
    if client.get(f"/api/v1/products/{V2}").status_code == 404:
        answer = client.post("/api/v1/registry", json={"yaml": version_two(),
                                                       "effective_from": "2027-01-01"})
        assert answer.status_code == 201, answer.text


def test_diff_as_json_and_the_redline(client, published):
    ensure_v2(client)
    answer = client.get(f"/api/v1/diff?old={V1}&new={V2}")
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["old"]["version"], result["new"]["version"]) == ("1.0.0", "1.1.0")
    change = next(c for c in result["changes"] if "parameter.max_entry_age" in c["causes"])
    assert change["effect"] == "unfavourable" and result["bump"]["level"] == "major"
    redline = client.get(f"/api/v1/diff/redline?old=hepatitis_b&new={V2}")
    assert redline.status_code == 200 and "<del" in redline.text and "<ins" in redline.text
    assert client.get("/api/v1/diff?old=hepatitis_b&new=nope@1.0.0").status_code == 404
    assert client.get("/api/v1/diff?old=hepatitis_b").status_code == 422


def test_diff_with_impact_on_the_suites(client, published):
    ensure_v2(client)
    result = client.get(f"/api/v1/diff?old=hepatitis_b&new={V2}&impact=true").json()
    assert result["impact"] is not None
    assert "age_60" in json.dumps(result["impact"])


def test_audit_verify_and_show_with_filters(client, published):
    client.post("/api/v1/evaluate", json={"product": V1, "record": True,
                                          "case": case_data(CASES / "age_61_declined.yaml")},
                headers=as_user("ada"))
    verify = client.get("/api/v1/audit/verify")
    assert verify.status_code == 200 and verify.json()["ok"] is True
    assert verify.json()["rows"]["evaluations"] >= 1
    declines = client.get("/api/v1/audit/decisions?product=hepatitis_b&decision=decline").json()
    assert declines and all(row["decision"] == "decline" for row in declines)
    assert declines[-1]["user"] == "ada" and declines[-1]["outcome"]["decision"] == "decline"
    today = dt.datetime.now(dt.UTC).date()
    assert client.get(f"/api/v1/audit/decisions?until={today - dt.timedelta(days=2)}"
                      ).json() == []
    assert len(client.get("/api/v1/audit/decisions?limit=1").json()) == 1
    assert client.get("/api/v1/audit/decisions?limit=0").status_code == 422
    assert client.get("/api/v1/audit/decisions?decision=maybe").status_code == 422
    assert client.get("/api/v1/audit/verify", headers=as_user("ada")).status_code \
        == 403


def test_registry_and_audit_without_a_database_are_404(users, tmp_path):
    for client in start(tmp_path / "none.db", users):
        assert client.get("/api/v1/audit/verify").status_code == 404
        assert client.get("/api/v1/registry/hepatitis_b").status_code == 404
        assert client.post("/api/v1/evaluate", json={"product": V1, "case": case_data()}
                           ).status_code == 404
        assert [p["source"] for p in client.get("/api/v1/products").json()] == ["bundled"] * 4


# ------------------------------------------------------------ test


def test_running_a_products_suites(client, capsys):
    answer = client.post("/api/v1/test", json={"product": "hepatitis_b"})
    assert answer.status_code == 200
    run = answer.json()
    assert run["failed"] == 0 and run["passed"] == len(run["cases"]) > 20
    coverage = run["coverage"][0]
    assert coverage["product"] == "hepatitis_b" and coverage["covered"] <= coverage["total"]
    assert main(["test", str(CASES)]) == 0
    assert f"{run['passed']} passed, 0 failed" in capsys.readouterr().out
    some = client.post("/api/v1/test", json={"product": "hepatitis_b", "keyword": "check-up"})
    assert 0 < some.json()["passed"] < run["passed"]
    assert client.post("/api/v1/test", json={"product": "nothing"}).status_code == 404
    assert client.post("/api/v1/test", json={"product": "../x"}).status_code == 400


# ------------------------------------------------------------ the evaluation time limit


def long_case() -> dict[str, Any]:
    """20,000 events over 35 years: a tenth of a second or more to decide and explain."""
    data = case_data()
    data["as_of"] = "2199-12-31"
    kinds = [{"type": "monitoring_visit", "alt": 32, "hbv_dna": 20, "afp": 3.9, "cost": 420},
             {"type": "antiviral_refill", "days_supply": 90},
             {"type": "specialist_visit", "cost": 300}]
    first = dt.date(2026, 1, 1)
    data["events"] = [{**kinds[i % 3], "date": str(first + dt.timedelta(days=i * 3))}
                      for i in range(19_999)]
    return data


def test_an_evaluation_over_the_time_limit_is_stopped_with_a_503(users, tmp_path):
    for client in start(tmp_path / "r.db", users, max_body_bytes=8 * 2**20):
        evaluations = client.app.state.evaluations
        quick = {"product": "hepatitis_b", "case": case_data()}
        assert client.post("/api/v1/evaluate", json=quick).status_code == 200
        evaluations.seconds = 0.03
        started = time.monotonic()
        answer = client.post("/api/v1/evaluate", json={"product": "hepatitis_b",
                                                       "case": long_case()})
        assert answer.status_code == 503, answer.text[:300]
        assert "longer than the 0.03 s the server allows" in problems(answer)[0]["message"]
        assert time.monotonic() - started < 10
        evaluations.seconds = 10.0
        assert client.post("/api/v1/evaluate", json=quick).status_code == 200


def test_the_worker_over_time_is_killed_and_replaced(tmp_path):
    from configurator import Environment
    from configurator.server.errors import Unavailable
    from configurator.server.limits import Evaluations
    from configurator.server.refs import product_for

    env = Environment(db=tmp_path / "x.db")
    product = product_for(env, "hepatitis_b")
    pool = Evaluations(env, seconds=10.0, workers=1)
    try:
        quick, heavy = env.case(case_data(), product), env.case(long_case(), product)
        assert pool.evaluate(product, quick).decision == "accept"
        first = pool._idle[0].process
        pool.seconds = 0.03
        with pytest.raises(Unavailable):
            pool.evaluate(product, heavy, explain=True)
        assert not first.is_alive() and first.exitcode is not None and not pool._idle
        pool.seconds = 10.0
        assert pool.evaluate(product, quick).decision == "accept"
        second = pool._idle[0].process
        assert second.pid != first.pid
    finally:
        pool.close()
    assert not second.is_alive() and not pool._idle


def test_the_document_says_what_a_reference_is_and_the_server_holds_to_it(client):
    document = client.get("/openapi.json").json()
    ref = next(p for p in document["paths"]["/api/v1/products/{ref}"]["get"]["parameters"]
               if p["name"] == "ref")
    pattern = re.compile(ref["schema"]["pattern"])
    for good in ("hepatitis_b", V1, "hepatitis_b@2026-06-30"):
        assert pattern.match(good), good
    for bad in ("Hepatitis_B", "hepatitis_b.yaml", "0" * 79, "hepatitis_b@1.0"):
        assert not pattern.match(bad), bad
        answer = client.get(f"/api/v1/products/{bad}")
        assert answer.status_code == 400 and problems(answer)[0]["path"] == "product", bad


def test_a_query_parameter_given_twice_is_a_400(client):
    answer = client.get("/api/v1/diff?old=hepatitis_b&new=hepatitis_b&old=copd")
    assert answer.status_code == 400 and problems(answer)[0]["path"] == "old"
    answer = client.post("/api/v1/validate?file=a.yaml&file=b.yaml", content=b"id: x",
                         headers={"content-type": "text/yaml"})
    assert answer.status_code == 400 and "more than once" in problems(answer)[0]["message"]


def test_a_method_a_path_does_not_answer_is_a_405_naming_every_method_it_does(client):
    answer = client.put("/api/v1/jobs")
    assert answer.status_code == 405 and problems(answer)[0]["code"] == "method"
    assert answer.headers["allow"] == "GET, POST"
    assert client.options("/api/v1/session").headers["allow"] == "DELETE, GET, POST"


def test_warming_up_never_holds_back_a_free_worker(tmp_path):
    from configurator import Environment
    from configurator.server.limits import Evaluations
    from configurator.server.refs import product_for

    env = Environment(db=tmp_path / "x.db")
    product = product_for(env, "hepatitis_b")
    pool = Evaluations(env, seconds=10.0, workers=2)
    try:
        case = env.case(case_data(), product)
        assert pool.evaluate(product, case).decision == "accept"  # one worker, free again
        pool.warm(delay=0)  # spawns the second (a second or more)
        pool.seconds = 0.5
        assert pool.evaluate(product, case).decision == "accept"  # the free one, at once
        deadline = time.monotonic() + 60
        while len(pool._idle) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(pool._idle) == 2 and pool._started == 2
    finally:
        pool.close()


def test_the_openapi_document_lists_every_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/products", "/api/v1/products/{ref}", "/api/v1/products/{ref}/case-schema",
                 "/api/v1/schema", "/api/v1/validate", "/api/v1/lint", "/api/v1/evaluate",
                 "/api/v1/what-if", "/api/v1/render", "/api/v1/diff", "/api/v1/diff/redline",
                 "/api/v1/test", "/api/v1/registry", "/api/v1/registry/{ref}/approve",
                 "/api/v1/audit/verify", "/api/v1/audit/decisions", "/api/v1/jobs",
                 "/api/v1/jobs/{job_id}", "/api/v1/jobs/{job_id}/results"):
        assert path in paths, path
    assert client.get("/docs").status_code == 200


def test_diff_gates_new_lint_findings_and_different_products(client, published):
    """The API's diff is the CLI's gatekeeping diff: each --fail-on gate with its reasons,
    the lint findings the new version introduces, two products refused unless forced."""
    ensure_v2(client)
    result = client.get(f"/api/v1/diff?old={V1}&new={V2}").json()
    assert set(result["gates"]) == {"unfavourable", "major", "lint"}
    assert result["gates"]["unfavourable"] and result["gates"]["major"]
    assert result["gates"]["lint"] == [] and result["new_lint_findings"] == []
    other = client.get(f"/api/v1/diff?old={V1}&new=copd")
    assert other.status_code == 400
    record = problems(other)[0]
    assert record["path"] == "new" and "'hepatitis_b'" in record["message"] \
        and "'copd'" in record["message"] and "force=true" in record["hint"]
    forced = client.get(f"/api/v1/diff?old={V1}&new=copd&force=true")
    assert forced.status_code == 200 and forced.json()["changes"]
    assert client.get(f"/api/v1/diff?old={V1}&new={V2}&profile=XX").status_code == 422
