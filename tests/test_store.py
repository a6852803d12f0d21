"""Product registry and audit trail (`configurator.registry`: store, audit, db).

CLI tests go through the real entry point `configurator.cli.main`; crash and
concurrency tests run real subprocesses against a real SQLite file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from configurator import compile_product, evaluate, load, load_case, loads_case
from configurator.cli import main
from configurator.registry import audit_show
from configurator.registry.audit import (
    BatchRecorder,
    PersonalDataLeak,
    case_hash,
    default_batch_id,
    record_batch,
    record_document,
    record_evaluation,
    verify,
)
from configurator.registry.audit_show import AuditFilter, show
from configurator.registry.db import PAGE_SIZE, SCHEMA_VERSION, StoreError, schema_version
from configurator.registry.store import (
    LifecycleError,
    NotFound,
    PublishRefused,
    Store,
    resolve_product,
    substance_hash,
)

from .paths import CASE, PRODUCT

PERSONAL = ("Zhao Minghui", "110101199003071234", "Qian Xiaoli", "赵明辉", "Sun Lihua",
            "11010119851212002X")


class Clock:
    """A recording clock for tests: one second later at every call."""

    def __init__(self, start: dt.datetime = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)):
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


def variant(folder: Path, version: str, *, label: str = "", effective_to: str | None = None
            ) -> Path:
    """The bundled product under another version number (and, with `label`, other content)."""
    text = PRODUCT.read_text(encoding="utf-8").replace("version: 1.0.0", f"version: {version}", 1)
    if label:
        text = text.replace("  en: Liver Care Hepatitis B Cover",
                            f"  en: Liver Care Hepatitis B Cover {label}", 1)
    if effective_to:
        text = text.replace("effective_from: 2026-01-01",
                            f"effective_from: 2026-01-01\neffective_to: {effective_to}", 1)
    path = folder / f"hepatitis_b-{version}{label.replace(' ', '_')}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def personal_case(folder: Path, name: str = "Zhao Minghui", id_number: str = "110101199003071234",
                  holder: str = "Qian Xiaoli", age: int = 45) -> Path:
    text = CASE.read_text(encoding="utf-8")
    text = text.replace("holder: Wang Fang", f"holder: {holder}").replace(
        "  name: Wang Fang", f"  name: {name}\n  id_number: '{id_number}'").replace(
        "  age: 45", f"  age: {age}")
    path = folder / f"case-{hashlib.sha1(text.encode()).hexdigest()[:8]}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "registry.db"


@pytest.fixture
def store(db_path: Path):
    with Store(db_path, clock=Clock()) as opened:
        yield opened


def publish_fully(store: Store, path: Path, start: str, end: str | None = None):
    """draft -> approved -> published."""
    ref = store.publish(path, by="alice", effective_from=dt.date.fromisoformat(start),
                        effective_to=dt.date.fromisoformat(end) if end else None).ref
    store.approve(ref, by="bob")
    return store.publish(ref, by="alice")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def decided(product, case, compiled):
    """The bundled product, its example case and the Outcome (evaluated once)."""
    return product, case, evaluate(compiled, case)


# ------------------------------------------------------------ lifecycle


def test_lifecycle_through_the_cli(capsys, db_path: Path) -> None:
    db = ["--db", db_path]
    assert run(capsys, "publish", PRODUCT, "--effective-from", "2026-01-01", "--by", "alice",
               *db)[1].startswith("hepatitis_b@1.0.0: draft, in force 2026-01-01..")
    assert run(capsys, "approve", "hepatitis_b@1.0.0", "--by", "bob", *db)[0] == 0
    code, out, _ = run(capsys, "publish", "hepatitis_b@1.0.0", "--by", "carol", *db)
    assert code == 0 and "published" in out
    code, out, _ = run(capsys, "history", "hepatitis_b", "--json", *db)
    [record] = json.loads(out)
    assert record["status"] == "published" and record["hash"] == load(PRODUCT).hash
    assert (record["registered_by"], record["approved_by"], record["published_by"]) == (
        "alice", "bob", "carol")
    assert record["effective_from"] == "2026-01-01" and record["effective_to"] is None
    code, out, _ = run(capsys, "history", "hepatitis_b", *db)
    assert code == 0 and "1.0.0" in out and "published" in out and "alice" in out
    assert run(capsys, "retire", "hepatitis_b@1.0.0", "--by", "dave", *db)[0] == 0
    assert json.loads(run(capsys, "history", "hepatitis_b", "--json", *db)[1])[0][
        "status"] == "retired"


def test_publishing_the_file_again_publishes_the_approved_version(store: Store) -> None:
    store.publish(PRODUCT, by="alice", effective_from=dt.date(2026, 1, 1))
    with pytest.raises(LifecycleError, match="draft awaiting approval.*approve"):
        store.publish(PRODUCT, by="alice")
    store.approve(PRODUCT, by="bob")
    assert store.publish(PRODUCT, by="alice").status == "published"


@pytest.mark.parametrize("moves, refused, words", [
    ([], ("approve", "alice"), "four eyes"),
    ([], ("publish", "alice"), "draft awaiting approval"),
    ([("approve", "bob")], ("approve", "bob"), "cannot approve .* it is approved"),
    ([("approve", "bob"), ("publish", "alice")], ("publish", "alice"),
     "cannot publish .* it is published"),
    ([("approve", "bob"), ("publish", "alice")], ("approve", "bob"),
     "cannot approve .* it is published"),
    ([("retire", "alice")], ("approve", "bob"), "cannot approve .* it is retired"),
    ([("retire", "alice")], ("publish", "alice"), "cannot publish .* it is retired"),
    ([("retire", "alice")], ("retire", "alice"), "cannot retire .* it is retired"),
])
def test_refused_transitions(store: Store, moves, refused, words) -> None:
    store.publish(PRODUCT, by="alice", effective_from=dt.date(2026, 1, 1))
    for action, by in moves:
        getattr(store, action)("hepatitis_b@1.0.0", by=by)
    before = store.get("hepatitis_b", "1.0.0")
    action, by = refused
    with pytest.raises(LifecycleError, match=words):
        getattr(store, action)("hepatitis_b@1.0.0", by=by)
    assert store.get("hepatitis_b", "1.0.0") == before
    assert verify(store).ok


def test_every_allowed_transition(store: Store, tmp_path: Path) -> None:
    for status, path in (("draft", variant(tmp_path, "2.0.0", label="a")),
                         ("approved", variant(tmp_path, "2.1.0", label="b")),
                         ("published", variant(tmp_path, "2.2.0", label="c"))):
        ref = store.publish(path, by="alice", effective_from=dt.date(2026, 1, 1)).ref
        if status != "draft":
            assert store.approve(ref, by="bob").status == "approved"
        if status == "published":
            assert store.publish(ref, by="alice").status == "published"
        assert store.retire(ref, by="alice").status == "retired"
    assert [r.status for r in store.history("hepatitis_b")] == ["retired"] * 3
    assert verify(store).ok


def test_refused_transition_is_a_clean_cli_error(capsys, db_path: Path) -> None:
    run(capsys, "publish", PRODUCT, "--effective-from", "2026-01-01", "--by", "alice",
        "--db", db_path)
    code, out, err = run(capsys, "approve", "hepatitis_b@1.0.0", "--by", "Alice", "--db", db_path)
    assert code == 2 and "four eyes" in err and "Traceback" not in err
    code, _, err = run(capsys, "approve", "hepatitis_b@9.9.9", "--by", "bob", "--db", db_path)
    assert code == 2 and "has no version 9.9.9 (registered: 1.0.0)" in err
    code, _, err = run(capsys, "history", "hepatitis_c", "--db", db_path)
    assert code == 2 and "no product 'hepatitis_c'" in err


def test_commands_need_an_existing_database(capsys, tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    for args in (("history", "hepatitis_b"), ("approve", "hepatitis_b@1.0.0", "--by", "bob"),
                 ("audit", "verify"), ("validate", "hepatitis_b@1.0.0")):
        code, _, err = run(capsys, *args, "--db", missing)
        assert code == 2 and "no configurator database" in err, args
    assert not missing.exists()


# ------------------------------------------------------------ publish refusals


def test_overlapping_window_is_refused_naming_both_versions(store: Store, tmp_path: Path) -> None:
    publish_fully(store, PRODUCT, "2026-01-01", "2026-12-31")
    newer = variant(tmp_path, "1.1.0", label="2027")
    with pytest.raises(PublishRefused) as refused:  # same first day: no successor
        store.publish(newer, by="alice", effective_from=dt.date(2026, 1, 1))
    message = str(refused.value)
    assert "hepatitis_b@1.1.0" in message and "2026-01-01.." in message
    assert "overlaps published hepatitis_b@1.0.0 2026-01-01..2026-12-31" in message
    assert store.get("hepatitis_b", "1.1.0") is None
    assert publish_fully(store, newer, "2027-01-01").status == "published"


def test_overlap_is_checked_again_when_publishing(store: Store, tmp_path: Path) -> None:
    """Two drafts for the same days: the second to publish is refused."""
    first, second = variant(tmp_path, "1.1.0", label="x"), variant(tmp_path, "1.2.0", label="y")
    for path in (first, second):
        ref = store.publish(path, by="alice", effective_from=dt.date(2026, 1, 1)).ref
        store.approve(ref, by="bob")
    store.publish("hepatitis_b@1.1.0", by="alice")
    with pytest.raises(PublishRefused, match="overlaps published hepatitis_b@1.1.0 2026-01-01.."):
        store.publish("hepatitis_b@1.2.0", by="alice")
    assert store.get("hepatitis_b", "1.2.0").status == "approved"
    store.retire("hepatitis_b@1.1.0", by="alice")
    assert store.publish("hepatitis_b@1.2.0", by="alice").status == "published"


def test_identical_content_under_a_new_version_is_refused(store: Store, tmp_path: Path) -> None:
    store.publish(PRODUCT, by="alice", effective_from=dt.date(2026, 1, 1))
    relabelled = variant(tmp_path, "1.0.1")
    assert load(relabelled).hash != load(PRODUCT).hash
    assert substance_hash(load(relabelled)) == substance_hash(load(PRODUCT))
    with pytest.raises(PublishRefused, match="identical to registered version 1.0.0"):
        store.publish(relabelled, by="alice", effective_from=dt.date(2027, 1, 1))


def test_different_content_under_a_registered_version_is_refused(store: Store,
                                                                  tmp_path: Path) -> None:
    store.publish(PRODUCT, by="alice", effective_from=dt.date(2026, 1, 1))
    changed = variant(tmp_path, "1.0.0", label="changed")
    with pytest.raises(PublishRefused, match="already registered with different content"):
        store.publish(changed, by="alice", effective_from=dt.date(2026, 1, 1))


def test_a_product_that_does_not_validate_is_refused(capsys, db_path: Path,
                                                     tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(PRODUCT.read_text(encoding="utf-8").replace("version: 1.0.0",
                                                                  "version: one"))
    code, _, err = run(capsys, "publish", broken, "--effective-from", "2026-01-01", "--by",
                       "alice", "--db", db_path)
    assert code == 2 and "broken.yaml:10:10: version: 'one' is not a version" in err
    with Store(db_path) as opened:
        assert list(opened.db.query("SELECT * FROM versions")) == []


def test_publish_gates_refuse_with_every_reason(store: Store) -> None:
    def lint_gate(product, path):
        return [f"{path.name}: lint error one", "lint error two"]

    with pytest.raises(PublishRefused) as refused:
        store.publish(PRODUCT, by="alice", effective_from=dt.date(2025, 6, 1),
                      gates=[lint_gate])
    assert refused.value.reasons == [
        "hepatitis_b.yaml: lint error one", "lint error two",
        "--effective-from 2025-06-01 is before the product's own effective_from 2026-01-01"]
    assert store.get("hepatitis_b", "1.0.0") is None


def test_window_must_fit_the_products_own_dates(store: Store, tmp_path: Path) -> None:
    closed = variant(tmp_path, "3.0.0", label="closed", effective_to="2026-06-30")
    record = store.publish(closed, by="alice", effective_from=dt.date(2026, 1, 1))
    assert record.effective_to == dt.date(2026, 6, 30)  # defaults to the product's own end
    other = variant(tmp_path, "3.1.0", label="closed too", effective_to="2026-06-30")
    with pytest.raises(PublishRefused, match="must end by the product's own effective_to"):
        store.publish(other, by="alice", effective_from=dt.date(2026, 1, 1),
                      effective_to=dt.date(2026, 7, 1))


# ------------------------------------------------------------ resolving id@DATE


@pytest.fixture
def two_windows(store: Store, tmp_path: Path) -> Store:
    """1.0.0 in force 2026-01-01..2026-12-31, 1.1.0 from 2027-01-01, open-ended."""
    publish_fully(store, PRODUCT, "2026-01-01", "2026-12-31")
    publish_fully(store, variant(tmp_path, "1.1.0", label="2027"), "2027-01-01")
    return store


@pytest.mark.parametrize("day, version", [
    ("2026-01-01", "1.0.0"),   # first day of 1.0.0: effective_from is inclusive
    ("2026-12-31", "1.0.0"),   # last day of 1.0.0: effective_to is inclusive
    ("2027-01-01", "1.1.0"),   # first day of 1.1.0
    ("2099-12-31", "1.1.0"),   # open-ended
])
def test_id_at_date_resolves_at_the_window_edges(two_windows: Store, day: str,
                                                 version: str) -> None:
    product = resolve_product(f"hepatitis_b@{day}", two_windows.path)
    assert product.version == version
    assert product.hash == two_windows.get("hepatitis_b", version).hash


def test_id_at_date_before_any_window(two_windows: Store) -> None:
    with pytest.raises(NotFound, match="no version of hepatitis_b is in force on 2025-12-31 "
                       r"\(published: 1.0.0 2026-01-01..2026-12-31, 1.1.0 2027-01-01..\)"):
        resolve_product("hepatitis_b@2025-12-31", two_windows.path)


def test_retired_versions_resolve_by_version_but_not_by_date(two_windows: Store) -> None:
    two_windows.retire("hepatitis_b@1.0.0", by="alice")
    with pytest.raises(NotFound, match="in force on 2026-06-01"):
        two_windows.product("hepatitis_b@2026-06-01")
    assert two_windows.product("hepatitis_b@1.0.0").version == "1.0.0"


def test_cli_commands_take_registry_references(capsys, two_windows: Store) -> None:
    db = ["--db", two_windows.path]
    code, out, _ = run(capsys, "validate", "hepatitis_b@2026-12-31", "hepatitis_b@1.1.0", *db)
    assert code == 0 and "hepatitis_b@2026-12-31: ok (hepatitis_b 1.0.0" in out
    assert "hepatitis_b@1.1.0: ok (hepatitis_b 1.1.0" in out
    code, out, _ = run(capsys, "compile", "hepatitis_b@2027-01-01", *db)
    assert code == 0 and "1.1.0" in out
    code, out, _ = run(capsys, "evaluate", "hepatitis_b@2026-01-01", CASE, "--json", *db)
    assert code == 0 and json.loads(out)["product"]["version"] == "1.0.0"
    code, _, err = run(capsys, "validate", "hepatitis_b@2025-01-01", *db)
    assert code == 2 and "no version of hepatitis_b is in force on 2025-01-01" in err


def test_database_from_the_environment(capsys, monkeypatch, two_windows: Store) -> None:
    monkeypatch.setenv("CONFIGURATOR_DB", str(two_windows.path))
    code, out, _ = run(capsys, "validate", "hepatitis_b@2027-06-30")
    assert code == 0 and "hepatitis_b 1.1.0" in out


def test_a_path_never_touches_the_database(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "validate", PRODUCT)[0] == 0
    assert not (tmp_path / "configurator.registry.db").exists()


# ------------------------------------------------------------ recording


@pytest.fixture
def live(two_windows: Store) -> Store:
    """A store where 1.0.0 (the bundled file) is published."""
    return two_windows


def test_evaluate_record_writes_one_row(capsys, live: Store) -> None:
    code, out, err = run(capsys, "evaluate", "hepatitis_b@2026-06-01", CASE, "--json",
                         "--record", "--db", live.path)
    assert code == 0 and "recorded as audit row 1" in err
    [row] = show(live)
    assert json.loads(row["outcome"]) == json.loads(out)
    assert (row["product_id"], row["product_version"], row["product_hash"]) == (
        "hepatitis_b", "1.0.0", load(PRODUCT).hash)
    assert row["engine_version"].startswith("durable-rules")
    assert row["decision"] == json.loads(out)["decision"] and len(row["case_hash"]) == 64


def test_only_published_registered_content_is_recorded(store: Store, decided,
                                                       tmp_path: Path) -> None:
    product, case, outcome = decided
    with pytest.raises(StoreError, match="not in the registry"):
        record_evaluation(store, product, case, outcome)
    store.publish(PRODUCT, by="alice", effective_from=dt.date(2026, 1, 1))
    with pytest.raises(StoreError, match="is draft, not published"):
        record_evaluation(store, product, case, outcome)
    changed = load(variant(tmp_path, "1.0.0", label="changed"))
    with pytest.raises(StoreError, match="differs from the registered version"):
        record_evaluation(store, changed, case, outcome)
    assert show(store) == []


def test_case_keys_link_the_same_person_only(live: Store, tmp_path: Path) -> None:
    product = load(PRODUCT)
    compiled = compile_product(product)
    cases = [load_case(personal_case(tmp_path, **kw), product) for kw in (
        {}, {"age": 46, "name": "Zhao  MINGHUI"}, {"id_number": "110101199003079999"})]
    for case in cases:
        record_evaluation(live, product, case, evaluate(compiled, case))
    keys = [row["case_key"] for row in show(live)]
    assert keys[0] == keys[1] != keys[2]
    assert all(len(k) == 64 and not set(k) - set("0123456789abcdef") for k in keys)
    hashes = [row["case_hash"] for row in show(live)]
    assert hashes[0] != hashes[1]  # different age, different case


def test_the_case_hash_keeps_its_byte_format() -> None:
    """The case hash is sha256 of exactly this JSON (sorted keys, no spaces, UTF-8 as is,
    dates as ISO text, no personal input, no name, no tags): recorded hashes stay
    provable against their case files."""
    from configurator.cases.case import Case, Event

    case = Case(start=dt.date(2026, 1, 1), as_of=dt.date(2027, 3, 1),
                applicant={"age": 61, "diagnosed": dt.date(2019, 5, 4), "city": "杭州"},
                events=(Event("v-1", "visit", dt.date(2026, 4, 2), {"alt": 31.5, "hbv_dna": 20},
                              tags=("routine",)),
                        Event("t-1", "test", dt.date(2026, 5, 1), {"on": dt.date(2026, 4, 30)})),
                personal={"id_number": "110101199003079999", "holder": "Zhao"},
                policy_number="P-1", name="a named case")
    text = ('{"applicant":{"age":61,"city":"杭州","diagnosed":"2019-05-04"},'
            '"as_of":"2027-03-01","events":['
            '{"date":"2026-04-02","fields":{"alt":31.5,"hbv_dna":20},"id":"v-1","type":"visit"},'
            '{"date":"2026-05-01","fields":{"on":"2026-04-30"},"id":"t-1","type":"test"}],'
            '"policy":{"number":"P-1","start":"2026-01-01"}}')
    assert case_hash(case) == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_no_personal_value_reaches_the_database_file(capsys, live: Store,
                                                     tmp_path: Path) -> None:
    product = load(PRODUCT)
    compiled = compile_product(product)
    for number, path in enumerate((personal_case(tmp_path), personal_case(
            tmp_path, name="赵明辉", id_number="11010119851212002X", holder="Sun Lihua",
            age=50))):
        code, _, _ = run(capsys, "evaluate", "hepatitis_b@2026-06-01", path, "--record",
                         "--db", live.path)
        assert code == 0
        case = load_case(path, product)
        record_document(live, product, case, b"%PDF-1.7 policy for one customer")
        with BatchRecorder(live, product, "batch-1") as recorder:
            recorder.add(number, case, evaluate(compiled, case))
    files = [live.path, Path(f"{live.path}-wal")]
    assert files[1].exists() and files[1].stat().st_size > 0
    _assert_absent(files, PERSONAL)
    live.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _assert_absent(files, PERSONAL)
    assert len(show(live)) == 4 and len({r['case_key'] for r in show(live)}) == 2


def _assert_absent(files: list[Path], values: tuple[str, ...]) -> None:
    for file in files:
        data = file.read_bytes() if file.exists() else b""
        for value in values:
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                assert value.encode(encoding) not in data, (file.name, value)


def test_an_outcome_carrying_personal_data_is_refused(live: Store, tmp_path: Path) -> None:
    product = load(PRODUCT)
    case = load_case(personal_case(tmp_path), product)
    outcome = evaluate(compile_product(product), case)
    outcome.notes.append("called Zhao Minghui about the refill")
    with pytest.raises(PersonalDataLeak, match="personal value of 'name'"):
        record_evaluation(live, product, case, outcome)
    assert show(live) == []


def test_the_secret_lives_beside_the_database(live: Store, decided, monkeypatch,
                                              tmp_path: Path) -> None:
    product, case, outcome = decided
    record_evaluation(live, product, case, outcome)
    secret = Path(f"{live.path}.key")
    assert secret.stat().st_mode & 0o777 == 0o600
    assert secret.read_text().strip() not in live.path.read_bytes().decode("latin-1")
    other = tmp_path / "other.key"
    monkeypatch.setenv("CONFIGURATOR_SECRET_FILE", str(other))
    with pytest.raises(StoreError, match="not the one this database's case keys were made with"):
        record_evaluation(live, product, case, outcome)
    assert other.exists() and len(show(live)) == 1


def test_audit_show_filters(capsys, live: Store, decided, tmp_path: Path) -> None:
    product, case, outcome = decided
    live.clock = Clock(dt.datetime(2026, 3, 1, 23, 59, 58, tzinfo=dt.UTC))
    record_evaluation(live, product, case, outcome)            # 2026-03-01 23:59:59
    record_evaluation(live, product, case, outcome)            # 2026-03-02 00:00:00
    declined = loads_case(CASE.read_text(encoding="utf-8").replace("age: 45", "age: 90"),
                          product)
    record_evaluation(live, product, declined, evaluate(compile_product(product), declined))
    assert [r["seq"] for r in show(live, AuditFilter(until=dt.date(2026, 3, 1)))] == [1]
    assert [r["seq"] for r in show(live, AuditFilter(since=dt.date(2026, 3, 2)))] == [2, 3]
    assert [r["seq"] for r in show(live, AuditFilter(decision="decline"))] == [3]
    assert show(live, AuditFilter(product_id="hepatitis_b", version="1.1.0")) == []
    code, out, _ = run(capsys, "audit", "show", "--product", "hepatitis_b", "--version", "1.0.0",
                       "--since", "2026-03-02", "--decision", "accept", "--json",
                       "--db", live.path)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["seq"] for r in rows] == [2]
    assert rows[0]["outcome"]["decision"] == "accept"
    code, out, _ = run(capsys, "audit", "show", "--db", live.path)
    assert code == 0 and "3 rows" in out and "hepatitis_b@1.0.0" in out
    record_batch(live, product, "renewal-2027", [(1, case, outcome), (2, case, outcome)])
    assert [r["seq"] for r in show(live, AuditFilter(batch_id="renewal-2027"))] == [4, 5]
    code, out, _ = run(capsys, "audit", "show", "--batch", "renewal-2027", "--decision",
                       "accept", "--json", "--db", live.path)
    assert code == 0 and [(r["batch_id"], r["batch_row"]) for r in map(
        json.loads, out.splitlines())] == [("renewal-2027", 1), ("renewal-2027", 2)]
    code, out, _ = run(capsys, "audit", "show", "--batch", "renewal-2026", "--db", live.path)
    assert code == 0 and "0 rows" in out


@pytest.mark.parametrize("block", [1, 2, 500])
def test_audit_show_reads_rows_by_number_in_order(monkeypatch, live: Store, decided,
                                                 block: int) -> None:
    """Rows are found by number first, then read a block at a time: the order and the
    filters hold across blocks (batches interleaved in the trail)."""
    product, case, outcome = decided
    for batch, row in (("a", 1), ("b", 1), ("a", 2), ("b", 2), ("a", 3)):
        record_batch(live, product, batch, [(row, case, outcome)])
    monkeypatch.setattr(audit_show, "SHOWN_BLOCK", block)
    assert [r["seq"] for r in show(live)] == [1, 2, 3, 4, 5]
    assert [(r["seq"], r["batch_row"]) for r in show(live, AuditFilter(batch_id="a"))] == \
        [(1, 1), (3, 2), (5, 3)]
    assert [r["seq"] for r in show(live, AuditFilter(batch_id="a", limit=2))] == [1, 3]


def test_record_document(live: Store, decided, tmp_path: Path) -> None:
    product, case, _ = decided
    pdf = tmp_path / "policy.pdf"
    pdf.write_bytes(b"%PDF-1.7 example")
    assert record_document(live, product, case, pdf) == 1
    [row] = live.db.query("SELECT * FROM documents")
    assert row["sha256"] == hashlib.sha256(b"%PDF-1.7 example").hexdigest()
    assert (row["product_hash"], row["kind"]) == (product.hash, "policy")
    assert len(row["case_hash"]) == 64
    assert verify(live).rows["documents"] == 1 and verify(live).ok


# ------------------------------------------------------------ tamper evidence


@pytest.fixture
def trail(live: Store, decided) -> Path:
    """Five recorded evaluations; the store is closed so the file can be edited."""
    product, case, outcome = decided
    for _ in range(5):
        record_evaluation(live, product, case, outcome)
    live.close()
    return live.path


def tamper(path: Path, *statements: str) -> None:
    with sqlite3.connect(path) as conn:
        for statement in statements:
            conn.execute(statement)


def verify_cli(capsys, path: Path) -> tuple[int, str]:
    code, out, err = run(capsys, "audit", "verify", "--db", path)
    return code, out + err


def test_untouched_trail_verifies(capsys, trail: Path) -> None:
    code, text = verify_cli(capsys, trail)
    assert code == 0 and "evaluations: 5 rows" in text and "registry_log: 6 rows" in text


@pytest.mark.parametrize("statements, first_bad", [
    (["UPDATE evaluations SET decision = 'decline' WHERE seq = 3"],
     "evaluations row 3: its content does not match its hash (the row was edited)"),
    (["UPDATE evaluations SET outcome = replace(outcome, 'accept', 'refer') WHERE seq = 2"],
     "evaluations row 2: its content does not match its hash"),
    (["UPDATE evaluations SET engine_version = NULL WHERE seq = 4"],
     "evaluations row 4: its content does not match its hash"),
    (["DELETE FROM evaluations WHERE seq = 3"],
     "evaluations row 4: row 3 is missing"),
    (["DELETE FROM evaluations WHERE seq IN (2, 3)"],
     "evaluations row 4: rows 2 to 3 are missing"),
    (["DELETE FROM evaluations WHERE seq = 5"],
     "evaluations row 5: the chain ends at row 4 but 5 rows were recorded"),
    (["UPDATE evaluations SET seq = -2 WHERE seq = 2", "UPDATE evaluations SET seq = 2 WHERE "
      "seq = 3", "UPDATE evaluations SET seq = 3 WHERE seq = -2"],
     "evaluations row 2: does not follow row 1 (rows were reordered"),
    (["DELETE FROM evaluations WHERE seq = 1", "UPDATE evaluations SET seq = seq - 1"],
     "evaluations row 1: does not follow the start of the chain"),
    (["UPDATE registry_log SET by = 'mallory' WHERE seq = 2"],
     "registry_log row 2: its content does not match its hash"),
    (["UPDATE versions SET status = 'draft' WHERE version = '1.0.0'"],
     "versions: hepatitis_b@1.0.0 status is 'draft' but the registry log says 'published'"),
    (["UPDATE versions SET effective_to = '2027-06-30' WHERE version = '1.0.0'"],
     "versions: hepatitis_b@1.0.0 effective_to is '2027-06-30' but the registry log says "
     "'2026-12-31'"),
    (["UPDATE versions SET content = content || '# edited' WHERE version = '1.1.0'"],
     "versions: hepatitis_b@1.1.0 content does not match its hash"),
])
def test_tampering_is_detected_and_the_first_bad_row_named(capsys, trail: Path, statements,
                                                           first_bad: str) -> None:
    tamper(trail, *statements)
    code, text = verify_cli(capsys, trail)
    assert code == 1 and f"TAMPERED {first_bad}" in text, text
    assert text.count("TAMPERED") == 1


def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link(capsys, trail: Path) -> None:
    from configurator.registry.db import row_digest

    with sqlite3.connect(trail) as conn:
        conn.row_factory = sqlite3.Row
        row = dict(conn.execute("SELECT * FROM evaluations WHERE seq = 2").fetchone())
        row["decision"] = "decline"
        conn.execute("UPDATE evaluations SET decision = ?, hash = ? WHERE seq = 2",
                     [row["decision"], row_digest(row)])
    code, text = verify_cli(capsys, trail)
    assert code == 1 and "evaluations row 3: does not follow row 2" in text


# ------------------------------------------------------------ crashes and concurrency


WRITER = """
import os, sys, time
from contextlib import closing
from pathlib import Path
from configurator import compile_product, evaluate, load, load_case
from configurator.registry.audit import BatchRecorder
from configurator.registry.store import Store

db, product_file, case_file, batch, count, chunk, gate, pace = sys.argv[1:]
product = load(product_file)
case = load_case(case_file, product)
outcome = evaluate(compile_product(product), case)
if gate != "-":
    Path(gate + "." + batch).touch()
    while not Path(gate).exists():
        time.sleep(0.005)
started = time.perf_counter()
with Store(db) as store, BatchRecorder(store, product, batch, int(chunk)) as recorder:
    for row in range(int(count)):
        recorder.add(row, case, outcome)
        if float(pace):
            time.sleep(float(pace))
print(recorder.recorded, recorder.skipped, round(time.perf_counter() - started, 3))
"""


def writer(db: Path, batch: str, count: int, chunk: int, gate: str = "-",
           pause: str | None = None, pace: float = 0) -> subprocess.Popen:
    """A process recording `count` rows as batch `batch`, `chunk` a transaction; it waits for
    the file `gate` (if given) and sleeps `pace` seconds after each row."""
    env = dict(os.environ)
    env.pop("CONFIGURATOR_TEST_PAUSE", None)
    if pause:
        env["CONFIGURATOR_TEST_PAUSE"] = pause
    return subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(PRODUCT), str(CASE),
                             batch, str(count), str(chunk), gate, str(pace)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the subprocess never reached its pause point"
        time.sleep(0.02)


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    process.stderr.close()


def count_rows(path: Path, table: str, where: str = "1") -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]


def test_a_kill_mid_batch_leaves_whole_chunks_and_the_batch_resumes(trail: Path,
                                                                   tmp_path: Path) -> None:
    paused = tmp_path / "paused"
    process = writer(trail, "nightly", 500, 100, pause=f"record:3:{paused}")
    wait_for(paused, process)  # inside the third chunk's transaction, before COMMIT
    kill(process)
    assert count_rows(trail, "evaluations", "batch_id = 'nightly'") == 200
    with Store(trail) as opened:
        assert verify(opened).ok
    resumed = writer(trail, "nightly", 500, 100)
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert out.split()[:2] == ["300", "200"]  # recorded, skipped
    assert count_rows(trail, "evaluations", "batch_id = 'nightly'") == 500
    with sqlite3.connect(trail) as conn:
        rows = [r[0] for r in conn.execute("SELECT batch_row FROM evaluations WHERE batch_id = "
                                           "'nightly' ORDER BY seq")]
    assert rows == list(range(500))
    with Store(trail) as opened:
        assert verify(opened).ok and verify(opened).rows["evaluations"] == 505


def test_a_kill_mid_publish_leaves_nothing(tmp_path: Path) -> None:
    db, paused = tmp_path / "c.db", tmp_path / "paused"
    Store(db).close()
    env = dict(os.environ, CONFIGURATOR_TEST_PAUSE=f"publish:1:{paused}")
    process = subprocess.Popen(
        [sys.executable, "-m", "configurator", "publish",
         str(PRODUCT), "--effective-from", "2026-01-01", "--by", "alice", "--db", str(db)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(paused, process)
    kill(process)
    assert count_rows(db, "versions") == 0 and count_rows(db, "registry_log") == 0
    with Store(db) as opened:
        assert verify(opened).ok
        assert opened.publish(PRODUCT, by="alice", effective_from=dt.date(2026, 1, 1)).status \
            == "draft"
        assert verify(opened).ok


def test_the_default_batch_id_is_the_file_name_and_its_content_hash(tmp_path: Path) -> None:
    cases = tmp_path / "nightly.csv"
    cases.write_text("age\n45\n", encoding="utf-8")
    first = default_batch_id(cases)
    assert first == "nightly.csv-" + hashlib.sha256(cases.read_bytes()).hexdigest()[:12]
    cases.write_text("age\n45\n", encoding="utf-8")
    assert default_batch_id(cases) == first  # the same file again resumes the same batch
    cases.write_text("age\n46\n", encoding="utf-8")
    assert default_batch_id(cases) != first


def test_a_resumed_batch_refuses_changed_input(live: Store, decided) -> None:
    product, case, outcome = decided
    with BatchRecorder(live, product, "b") as recorder:
        recorder.add(7, case, outcome)
    other = loads_case(CASE.read_text(encoding="utf-8").replace("age: 45", "age: 46"), product)
    recorder = BatchRecorder(live, product, "b")
    assert recorder.done == {7}
    recorder.done.clear()  # as if a second process had recorded row 7 meanwhile
    recorder.add(7, other, outcome)
    with pytest.raises(StoreError, match="row 7 was recorded with a different case"):
        recorder.flush()
    assert len(show(live)) == 1


def test_two_concurrent_writers_lose_nothing(trail: Path, tmp_path: Path) -> None:
    gate = str(tmp_path / "go")
    started = time.perf_counter()
    # each sleeps a millisecond between its transactions: otherwise SQLite's busy handler,
    # which sleeps longer each time it finds the lock taken (up to 100 ms), can leave one
    # waiting while the other commits all its rows (seen on a loaded machine)
    processes = [writer(trail, batch, 1000, 1, gate, pace=0.001) for batch in ("one", "two")]
    for batch, process in zip(("one", "two"), processes, strict=True):
        wait_for(Path(f"{gate}.{batch}"), process)
    Path(gate).touch()
    results = [p.communicate(timeout=300) for p in processes]
    elapsed = time.perf_counter() - started
    assert [p.returncode for p in processes] == [0, 0], results
    assert [out.split()[:2] for out, _ in results] == [["1000", "0"], ["1000", "0"]]
    with sqlite3.connect(trail) as conn:
        order = [r[0] for r in conn.execute("SELECT batch_id FROM evaluations WHERE batch_id "
                                            "IS NOT NULL ORDER BY seq")]
        for batch in ("one", "two"):
            rows = [r[0] for r in conn.execute("SELECT batch_row FROM evaluations WHERE "
                                               "batch_id = ? ORDER BY seq", [batch])]
            assert rows == list(range(1000))
    assert len(order) == 2000
    switches = sum(1 for a, b in zip(order, order[1:], strict=False) if a != b)
    assert switches > 1, "the writers did not overlap"
    with Store(trail) as opened:
        result = verify(opened)
    assert result.ok and result.rows["evaluations"] == 2005
    print(f"2 x 1000 single-row transactions: {elapsed:.1f}s wall, {switches} interleavings, "
          f"per writer {[out.split()[2] for out, _ in results]}s")


# ------------------------------------------------------------ schema versions


V1_SCHEMA = """
CREATE TABLE [meta] ([key] TEXT PRIMARY KEY, [value] TEXT NOT NULL);
CREATE TABLE [versions] ([product_id] TEXT, [version] TEXT, [status] TEXT NOT NULL,
  [hash] TEXT NOT NULL, [substance_hash] TEXT, [content] TEXT NOT NULL, [content_sha256] TEXT,
  [effective_from] TEXT NOT NULL, [effective_to] TEXT, [registered_by] TEXT NOT NULL,
  [registered_at] TEXT NOT NULL, [approved_by] TEXT, [approved_at] TEXT, [published_by] TEXT,
  [published_at] TEXT, [retired_by] TEXT, [retired_at] TEXT,
  PRIMARY KEY ([product_id], [version]));
CREATE TABLE [registry_log] ([seq] INTEGER PRIMARY KEY, [at] TEXT, [product_id] TEXT,
  [version] TEXT, [action] TEXT, [by] TEXT, [detail] TEXT, [prev_hash] TEXT NOT NULL,
  [hash] TEXT NOT NULL);
CREATE TABLE [evaluations] ([seq] INTEGER PRIMARY KEY, [recorded_at] TEXT, [product_id] TEXT,
  [product_version] TEXT, [product_hash] TEXT, [case_hash] TEXT, [case_key] TEXT,
  [decision] TEXT, [outcome] TEXT, [batch_id] TEXT, [batch_row] INTEGER,
  [prev_hash] TEXT NOT NULL, [hash] TEXT NOT NULL);
CREATE UNIQUE INDEX [idx_evaluations_batch_id_batch_row] ON [evaluations] ([batch_id], [batch_row]);
PRAGMA user_version = 1;
"""


def build_v1_database(path: Path, outcome_json: str) -> None:
    """A database as schema 1 wrote it: no documents table, no engine_version column.

    The chain rule is the documented one, computed here independently: sha256
    of the canonical JSON of the non-null columns other than seq and hash.
    """
    def chain(conn, table: str, rows: list[dict]) -> None:
        previous = "0" * 64
        for seq, row in enumerate(rows, 1):
            row = {**row, "prev_hash": previous}
            text = json.dumps({k: v for k, v in row.items() if v is not None}, sort_keys=True,
                              ensure_ascii=False, separators=(",", ":"))
            row["hash"] = previous = hashlib.sha256(text.encode()).hexdigest()
            names = ", ".join(["seq", *row])
            marks = ", ".join("?" * (len(row) + 1))
            conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", [seq, *row.values()])
        conn.execute("INSERT INTO meta VALUES (?, ?)", [f"tip:{table}", f"{len(rows)} {previous}"])

    product = load(PRODUCT)
    content = PRODUCT.read_text(encoding="utf-8")
    at = "2026-01-05T10:00:00.000000+00:00"
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.execute("INSERT INTO versions (product_id, version, status, hash, substance_hash, "
                 "content, content_sha256, effective_from, registered_by, registered_at, "
                 "approved_by, approved_at, published_by, published_at) VALUES "
                 "(?, ?, 'published', ?, ?, ?, ?, '2026-01-01', 'alice', ?, 'bob', ?, 'alice', ?)",
                 ["hepatitis_b", "1.0.0", product.hash, substance_hash(product), content,
                  hashlib.sha256(content.encode()).hexdigest(), at, at, at])
    detail = {"hash": product.hash, "content_sha256": hashlib.sha256(content.encode()).hexdigest(),
              "effective_from": "2026-01-01", "effective_to": None}
    chain(conn, "registry_log", [
        {"at": at, "product_id": "hepatitis_b", "version": "1.0.0", "action": action,
         "by": by, "detail": json.dumps(info, sort_keys=True)}
        for action, by, info in (("register", "alice", detail),
                                 ("approve", "bob", {"status": "approved"}),
                                 ("publish", "alice", {"status": "published"}))])
    chain(conn, "evaluations", [
        {"recorded_at": at, "product_id": "hepatitis_b", "product_version": "1.0.0",
         "product_hash": product.hash, "case_hash": "ab" * 32, "case_key": None,
         "decision": "accept", "outcome": outcome_json, "batch_id": None, "batch_row": None}
        for _ in range(3)])
    conn.commit()
    conn.close()


def test_a_schema_1_database_is_upgraded_in_place(capsys, tmp_path: Path, decided) -> None:
    product, case, outcome = decided
    path = tmp_path / "old.db"
    build_v1_database(path, json.dumps(outcome.to_json(), sort_keys=True))
    with Store(path) as opened:
        assert schema_version(opened.db) == SCHEMA_VERSION == 4
        assert _page_size(opened) == 4096  # kept: changing it would copy the whole file
        assert "engine_version" in opened.db["evaluations"].columns_dict
        assert "user" in opened.db["evaluations"].columns_dict
        assert "user" in opened.db["documents"].columns_dict
        assert opened.db["documents"].exists()
        assert verify(opened).ok and verify(opened).rows["evaluations"] == 3
        assert opened.product("hepatitis_b@2026-01-01").hash == product.hash
        record_evaluation(opened, product, case, outcome, user="carol")
        record_document(opened, product, case, b"%PDF", user="carol")
        rows = show(opened)
        assert [r["engine_version"] for r in rows][2:] == [None, rows[3]["engine_version"]]
        assert [r["user"] for r in rows][2:] == [None, "carol"]  # old rows: not known
        assert rows[3]["engine_version"].startswith("durable-rules")
        assert verify(opened).ok
    code, out, _ = run(capsys, "audit", "show", "--db", path)
    assert code == 0 and "unknown" in out and "4 rows" in out


def test_an_old_files_pages_convert_as_hacking_says_and_its_chains_still_verify(
        capsys, tmp_path: Path, decided) -> None:
    """HACKING's conversion of a file made on 4 KiB pages: the chains hash column values,
    so they verify after it, and the file records on (in WAL mode again)."""
    product, case, outcome = decided
    path = tmp_path / "old.db"
    build_v1_database(path, json.dumps(outcome.to_json(), sort_keys=True))
    with Store(path) as opened:  # upgraded, WAL, still 4 KiB pages
        record_evaluation(opened, product, case, outcome)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
        conn.execute("VACUUM")
        conn.execute("PRAGMA journal_mode=WAL")
    with Store(path) as opened:
        assert _page_size(opened) == PAGE_SIZE and opened.db.journal_mode == "wal"
        record_evaluation(opened, product, case, outcome)
        assert verify(opened).ok and verify(opened).rows["evaluations"] == 5
    code, text = verify_cli(capsys, path)
    assert code == 0 and "evaluations: 5 rows" in text


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    Store(path).close()
    tamper(path, "PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="schema version 99, newer than"):
        Store(path)


def test_wal_mode_schema_version_and_page_size(store: Store) -> None:
    assert store.db.journal_mode == "wal"
    assert schema_version(store.db) == SCHEMA_VERSION
    assert _page_size(store) == PAGE_SIZE == 16384  # a new file: an audit row fits a page


def _page_size(store: Store) -> int:
    return store.db.execute("PRAGMA page_size").fetchone()[0]


# ------------------------------------------------------------ documentation


@pytest.mark.parametrize("command", [
    ["publish"], ["approve"], ["retire"], ["history"], ["audit"], ["audit", "verify"],
    ["audit", "show"]])
def test_every_store_command_has_help_with_an_example(capsys, command: list[str]) -> None:
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0 and len(out) > 200
    if command != ["audit"]:
        assert "Example:" in out and "--db" in out and "CONFIGURATOR_DB" in out


@pytest.mark.parametrize("workers", ["1", "2"])
def test_batch_record_writes_one_row_per_case_and_resumes(capsys, monkeypatch, live: Store,
                                                          tmp_path: Path, workers: str) -> None:
    people = [{"name": f"Person {i}", "policy": {"number": f"P-{i}", "start": "2026-06-01",
                                                 "holder": f"Holder {i}"},
               "as_of": "2026-06-01",
               "applicant": {"name": f"Secret Name {i}", "id_number": f"ID-{i:06d}",
                             "age": 30 + i, "sex": "female", "hbv_status": "carrier",
                             "hbsag_positive_months": 24, "alt": 30, "hbv_dna": 100, "afp": 3}}
              for i in range(5)]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(p) + "\n" for p in people[:3]))  # stopped after 3
    args = ["evaluate", "hepatitis_b@2026-06-01", cases, "-o", tmp_path / "out.jsonl",
            "--record", "--workers", workers, "--db", live.path, "--batch-id", "june"]
    code, _, err = run(capsys, *args)
    assert code == 0 and "batch june: 3 rows recorded, 0 already recorded" in err
    cases.write_text("".join(json.dumps(p) + "\n" for p in people))
    built: list[int] = []  # the audit rows the workers built and sent
    add_row = BatchRecorder.add_row
    monkeypatch.setattr(BatchRecorder, "add_row",
                        lambda self, row: (built.append(row["batch_row"]), add_row(self, row)))
    code, _, err = run(capsys, *args)
    assert code == 0, err
    assert "batch june: 2 rows recorded, 3 already recorded" in err
    assert built == [4, 5]  # none for the rows recorded before: the work is not done again
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 5
    rows = show(live)
    assert [r["batch_row"] for r in rows] == [1, 2, 3, 4, 5]
    assert {r["decision"] for r in rows} == {"accept"}
    assert len({r["case_key"] for r in rows}) == 5
    code, _, err = run(capsys, *args)
    assert code == 0 and "batch june: 0 rows recorded, 5 already recorded" in err
    assert built == [4, 5] and len(show(live)) == 5
    assert verify(live).ok
    data = Path(live.path).read_bytes()
    for person in people:
        for secret in (person["applicant"]["name"], person["applicant"]["id_number"],
                       person["policy"]["holder"]):
            assert secret.encode() not in data


def test_render_batch_records_every_issued_policy(capsys, live: Store, tmp_path: Path) -> None:
    people = [{"name": f"Person {i}", "policy": {"number": f"P-{i}", "start": "2026-06-01"},
               "as_of": "2026-06-01",
               "applicant": {"name": f"Secret Name {i}", "age": 40 + i, "sex": "male",
                             "hbv_status": "carrier", "hbsag_positive_months": 24, "alt": 30,
                             "hbv_dna": 100, "afp": 3}} for i in range(2)]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(p) + "\n" for p in people))
    out = tmp_path / "out"
    code, _, err = run(capsys, "render", "hepatitis_b@2026-06-01", "--cases", cases, "-o", out,
                       "--record", "--db", live.path)
    assert code == 0, err
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == 2
    with sqlite3.connect(live.path) as db:
        recorded = {row[0] for row in db.execute("SELECT sha256 FROM documents")}
    assert recorded == {hashlib.sha256(p.read_bytes()).hexdigest() for p in pdfs}
    assert verify(live).ok
    assert b"Secret Name" not in Path(live.path).read_bytes()


def test_the_expected_tables_are_known_for_every_schema_version() -> None:
    from configurator.registry.db import MIGRATIONS, TABLES

    assert set(TABLES) == set(range(1, SCHEMA_VERSION + 1)) and len(MIGRATIONS) == SCHEMA_VERSION
