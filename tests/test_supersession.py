"""Supersession (issue 15 item 1): a successor ends its predecessor's window, audited.

The CLI tests go through `configurator.cli.main`; the migration test builds a
schema 3 file as that schema wrote it and opens it with today's store.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from configurator import load, loads
from configurator.compliance.approval import diff_sha256, reviewed_diff
from configurator.compliance.diff import diff
from configurator.environment import Environment
from configurator.registry import db as registry_db
from configurator.registry.audit import verify
from configurator.registry.db import SCHEMA_VERSION, schema_version
from configurator.registry.store import LifecycleError, PublishRefused, Store
from configurator.server.auth import User
from configurator.server.workbench_review_views import lifecycle

from .paths import CASES, PRODUCT
from .test_server_api import as_user, start, version_two
from .test_server_api import users as users  # noqa: F401 (a fixture)
from .test_store import Clock, build_v1_database, publish_fully, run, tamper
from .test_store import decided as decided  # noqa: F401 (a fixture)

COSTS = CASES / "checkup_cost_limits.yaml"  # monitoring visits costing 650 and 540


def successor(folder: Path, version: str = "1.1.0", limit: int = 400) -> Path:
    """The bundled product with a lower per-visit check-up limit (an unfavourable change)."""
    text = PRODUCT.read_text(encoding="utf-8").replace("version: 1.0.0", f"version: {version}", 1)
    text = text.replace("checkup_claim_limit: {value: 500,", f"checkup_claim_limit: {{value: "
                                                              f"{limit},", 1)
    path = folder / f"hepatitis_b-{version}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def approve_successor(store: Store, ref: str, by: str = "bob"):
    return store.approve(ref, by=by, diff_sha256=reviewed_diff(store, ref))


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "registry.db", clock=Clock()) as opened:
        yield opened


def test_claims_before_and_after_the_change_through_id_at_date(capsys, tmp_path: Path) -> None:
    db = ["--db", tmp_path / "registry.db"]
    run(capsys, "publish", PRODUCT, "--effective-from", "2026-01-01", "--by", "alice", *db)
    run(capsys, "approve", "hepatitis_b@1.0.0", "--by", "bob", *db)
    assert run(capsys, "publish", "hepatitis_b@1.0.0", "--by", "alice", *db)[0] == 0
    code, out, _ = run(capsys, "publish", successor(tmp_path), "--effective-from", "2026-07-01",
                       "--by", "alice", *db)
    assert code == 0 and "hepatitis_b@1.1.0: draft, in force 2026-07-01.." in out
    assert "ends hepatitis_b@1.0.0 on 2026-06-30 (proposed)" in out
    code, out, _ = run(capsys, "history", "hepatitis_b", *db)
    assert "hepatitis_b@1.1.0 supersedes hepatitis_b@1.0.0: publishing it ends " \
           "hepatitis_b@1.0.0 on 2026-06-30 (proposed)" in out
    code, out, _ = run(capsys, "approve", "hepatitis_b@1.1.0", "--by", "bob", *db)
    assert code == 0 and "the approved diff against hepatitis_b@1.0.0: sha256 " in out
    code, out, _ = run(capsys, "publish", "hepatitis_b@1.1.0", "--by", "carol", *db)
    assert code == 0 and "hepatitis_b@1.0.0 now ends on 2026-06-30" in out

    paid = {}
    for day in ("2026-06-30", "2026-07-01"):
        code, out, _ = run(capsys, "evaluate", f"hepatitis_b@{day}", COSTS, "--json", *db)
        outcome = json.loads(out)
        paid[day] = (outcome["product"]["version"], outcome["claims"][0]["payable"])
    assert paid == {"2026-06-30": ("1.0.0", "500.00"), "2026-07-01": ("1.1.0", "400.00")}

    code, out, _ = run(capsys, "history", "hepatitis_b", "--log", "--json", *db)
    data = json.loads(out)
    windows = {v["version"]: (v["effective_from"], v["effective_to"], v["superseded_by"])
               for v in data["versions"]}
    assert windows == {"1.0.0": ("2026-01-01", "2026-06-30", "1.1.0"),
                       "1.1.0": ("2026-07-01", None, None)}
    [ended] = [e for e in data["log"] if e["action"] == "end-date"]
    assert (ended["version"], ended["by"], ended["detail"]["approved_by"]) == (
        "1.0.0", "carol", "bob")
    assert ended["detail"]["effective_to"] == "2026-06-30" and ended["detail"]["was"] is None
    code, out, _ = run(capsys, "history", "hepatitis_b", "--log", *db)
    assert "carol: ended hepatitis_b@1.0.0 on 2026-06-30 (was open-ended): superseded by " \
           "hepatitis_b@1.1.0, approved by bob" in out
    assert run(capsys, "audit", "verify", *db)[0] == 0


def test_the_approval_records_the_reviewed_diff(capsys, store: Store, tmp_path: Path) -> None:
    publish_fully(store, PRODUCT, "2026-01-01")
    newer = successor(tmp_path)
    store.publish(newer, by="alice", effective_from=dt.date(2026, 7, 1))
    with pytest.raises(LifecycleError, match="supersedes hepatitis_b@1.0.0: its approval "
                                             "records the sha256 of the diff"):
        store.approve("hepatitis_b@1.1.0", by="bob")
    db = ["--db", store.path]
    code, out, _ = run(capsys, "diff", PRODUCT, newer, *db)
    seen = out.split("diff sha256 ")[1].split()[0]
    code, _, err = run(capsys, "approve", "hepatitis_b@1.1.0", "--by", "bob", "--diff-sha256",
                       "0" * 64, *db)
    assert code == 2 and "is not the diff of hepatitis_b@1.1.0 against its predecessor" in err
    assert run(capsys, "approve", "hepatitis_b@1.1.0", "--by", "bob", "--diff-sha256", seen,
               *db)[0] == 0
    assert store.get("hepatitis_b", "1.1.0").approved_diff_sha256 == seen == diff_sha256(
        diff(store.product("hepatitis_b@1.0.0"), store.product("hepatitis_b@1.1.0")))


@pytest.mark.parametrize("start, end, words", [
    ("2026-01-01", None, "overlaps published hepatitis_b@1.0.0 2026-01-01..2026-12-31"),
    ("2026-07-01", "2026-11-30", "overlaps published hepatitis_b@1.0.0"),  # ends too early
])
def test_only_a_successor_may_overlap(store: Store, tmp_path: Path, start: str, end: str | None,
                                      words: str) -> None:
    publish_fully(store, PRODUCT, "2026-01-01", "2026-12-31")
    with pytest.raises(PublishRefused, match=words):
        store.publish(successor(tmp_path), by="alice", effective_from=dt.date.fromisoformat(start),
                      effective_to=dt.date.fromisoformat(end) if end else None)


def test_a_successor_of_a_closed_window_ends_it_the_day_before(store: Store,
                                                               tmp_path: Path) -> None:
    publish_fully(store, PRODUCT, "2026-01-01", "2026-12-31")
    record = store.publish(successor(tmp_path), by="alice", effective_from=dt.date(2026, 12, 31))
    assert (record.supersedes, record.proposed_end) == ("1.0.0", dt.date(2026, 12, 30))
    assert store.get("hepatitis_b", "1.0.0").effective_to == dt.date(2026, 12, 31)  # not yet
    approve_successor(store, record.ref)
    store.publish(record.ref, by="carol")
    assert store.product("hepatitis_b@2026-12-30").version == "1.0.0"
    assert store.product("hepatitis_b@2026-12-31").version == "1.1.0"
    assert verify(store).ok


def test_a_predecessor_retired_meanwhile_is_not_end_dated(store: Store, tmp_path: Path) -> None:
    publish_fully(store, PRODUCT, "2026-01-01")
    record = store.publish(successor(tmp_path), by="alice", effective_from=dt.date(2026, 7, 1))
    approve_successor(store, record.ref)
    store.retire("hepatitis_b@1.0.0", by="dave")
    store.publish(record.ref, by="carol")
    old = store.get("hepatitis_b", "1.0.0")
    assert (old.status, old.effective_to, old.superseded_by) == ("retired", None, None)
    assert [e["action"] for e in store.log("hepatitis_b")].count("end-date") == 0


def test_editing_an_end_date_is_caught(capsys, store: Store, tmp_path: Path) -> None:
    publish_fully(store, PRODUCT, "2026-01-01")
    store.publish(successor(tmp_path), by="alice", effective_from=dt.date(2026, 7, 1))
    approve_successor(store, "hepatitis_b@1.1.0")
    store.publish("hepatitis_b@1.1.0", by="carol")
    store.close()
    tamper(store.path, "UPDATE versions SET effective_to = '2026-09-30' WHERE version = '1.0.0'")
    code, out, err = run(capsys, "audit", "verify", "--db", store.path)
    assert code == 1 and "hepatitis_b@1.0.0 effective_to is '2026-09-30' but the registry log " \
                         "says '2026-06-30'" in out + err


def build_v3_database(path: Path, outcome_json: str) -> None:
    """A schema 3 file: the schema 1 builder's rows, upgraded by schema 2's and 3's steps."""
    build_v1_database(path, outcome_json)
    conn = sqlite3.connect(path)
    with conn:
        db = Database(conn)
        registry_db.MIGRATIONS[1](db)
        registry_db.MIGRATIONS[2](db)
        conn.execute("PRAGMA user_version = 3")
    conn.close()


def test_a_schema_3_database_is_upgraded_and_can_supersede(tmp_path: Path,
                                                           decided) -> None:  # noqa: F811
    product, _, outcome = decided
    path = tmp_path / "v3.db"
    build_v3_database(path, json.dumps(outcome.to_json(), sort_keys=True))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
        assert "supersedes" not in [r[1] for r in conn.execute("PRAGMA table_info(versions)")]
    with Store(path, clock=Clock()) as opened:
        assert schema_version(opened.db) == SCHEMA_VERSION == 4
        columns = opened.db["versions"].columns_dict
        assert {"supersedes", "superseded_by", "approved_diff_sha256"} <= set(columns)
        old = opened.get("hepatitis_b", "1.0.0")
        assert (old.supersedes, old.superseded_by, old.approved_diff_sha256) == (None,) * 3
        assert verify(opened).ok
        record = opened.publish(successor(tmp_path), by="alice",
                                effective_from=dt.date(2026, 7, 1))
        approve_successor(opened, record.ref)
        opened.publish(record.ref, by="carol")
        assert opened.product("hepatitis_b@2026-06-30").hash == product.hash
        assert opened.product("hepatitis_b@2026-07-01").version == "1.1.0"
        assert verify(opened).ok


def test_the_server_approves_a_successor_with_the_reviewed_diff(tmp_path: Path,
                                                                users) -> None:  # noqa: F811
    for client in start(tmp_path / "server.db", users):
        answer = client.post("/api/v1/registry", headers=as_user("dora"), json={
            "product": "hepatitis_b", "effective_from": "2026-01-01"})
        assert answer.status_code == 201, answer.text
        assert client.post("/api/v1/registry/hepatitis_b@1.0.0/approve",
                           headers=as_user("rita")).status_code == 200
        assert client.post("/api/v1/registry/hepatitis_b@1.0.0/publish",
                           headers=as_user("dora")).status_code == 200
        answer = client.post("/api/v1/registry", headers=as_user("pat"), json={
            "yaml": version_two(), "file": "v2.yaml", "effective_from": "2026-07-01"})
        assert answer.status_code == 201 and answer.json()["supersedes"] == "1.0.0"
        answer = client.post("/api/v1/registry/hepatitis_b@1.1.0/approve",
                             headers=as_user("rita"))
        reviewed = diff(load(PRODUCT), loads(version_two(), "elsewhere.yaml")).sha256
        assert answer.status_code == 200 and answer.json()["approved_diff_sha256"] == reviewed
        assert client.post("/api/v1/registry/hepatitis_b@1.1.0/publish",
                           headers=as_user("dora")).status_code == 200
        first = client.get("/api/v1/registry/hepatitis_b").json()[0]
        assert (first["effective_to"], first["superseded_by"]) == ("2026-06-30", "1.1.0")


def test_the_workbench_approves_a_successor_with_the_reviewed_diff(tmp_path: Path) -> None:
    env = Environment(db=tmp_path / "workbench.db")
    with env.store(create=True) as store:
        publish_fully(store, PRODUCT, "2026-01-01")
        store.publish(successor(tmp_path), by="alice", effective_from=dt.date(2026, 7, 1))
    view = lifecycle(env, "approve", "hepatitis_b@1.1.0", User("bob", frozenset({"reviewer"})))
    with env.store(readonly=True) as store:
        assert view["approved_diff_sha256"] == reviewed_diff(store, "hepatitis_b@1.1.0")
    view = lifecycle(env, "publish", "hepatitis_b@1.1.0", User("carol", frozenset({"designer"})))
    assert view["status"] == "published"
    with env.store(readonly=True) as store:
        assert store.get("hepatitis_b", "1.0.0").effective_to == dt.date(2026, 6, 30)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.integers(1, 700), probes=st.lists(st.integers(0, 1000), min_size=1,
                                                   max_size=6))
def test_each_day_resolves_to_the_version_in_force_then(tmp_path_factory, start: int,
                                                        probes: list[int]) -> None:
    """Whatever day the successor starts, days before it resolve to the predecessor and
    days from it on to the successor; the registry still verifies."""
    folder = tmp_path_factory.mktemp("days")
    first = dt.date(2026, 1, 1)
    changeover = first + dt.timedelta(days=start)
    with Store(folder / "registry.db", clock=Clock(), gates=()) as store:
        publish_fully(store, PRODUCT, first.isoformat())
        record = store.publish(successor(folder), by="alice", effective_from=changeover)
        approve_successor(store, record.ref)
        store.publish(record.ref, by="carol")
        for offset in probes:
            day = first + dt.timedelta(days=offset)
            expected = "1.0.0" if day < changeover else "1.1.0"
            assert store.in_force("hepatitis_b", day).version == expected
        assert verify(store).ok
