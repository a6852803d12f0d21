"""Batch jobs over HTTP: upload, progress, download, bad rows, and surviving a restart."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from configurator.registry.store import Store

from .test_server_api import V1, as_user, case_data, start, users  # noqa: F401 (fixture)

GOOD_ROWS = 6


def jsonl(rows: int = GOOD_ROWS, bad: bool = True) -> bytes:
    """`rows` good cases, then (with `bad`) a row of bad JSON and one with an age of 130."""
    base = case_data()
    lines = []
    for age in range(40, 40 + rows):
        lines.append(json.dumps({**base, "name": f"age {age}",
                                 "applicant": {**base["applicant"], "age": age}}))
    if bad:
        lines.append('{"name": "broken", ')
        lines.append(json.dumps({**base, "applicant": {**base["applicant"], "age": 130}}))
    return ("\n".join(lines) + "\n").encode()


def submit(client: TestClient, data: bytes, name: str = "cases.jsonl", **form) -> dict:
    answer = client.post("/api/v1/jobs", files={"file": (name, data)},
                         data={"product": "hepatitis_b", **form})
    assert answer.status_code == 202, answer.text
    return answer.json()


def finished(client: TestClient, job_id: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = client.get(f"/api/v1/jobs/{job_id}").json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {state}")


@pytest.fixture
def client(tmp_path: Path, users: None) -> Iterator[TestClient]:  # noqa: F811
    yield from start(tmp_path / "registry.db", max_upload_bytes=64 * 1024)


def test_a_job_from_upload_to_download(client, tmp_path):
    job = submit(client, jsonl(), "my cases.jsonl", output="csv")
    assert job["status"] in ("queued", "running", "done") and len(job["id"]) >= 40
    assert job["results"] is None or job["status"] == "done"
    state = finished(client, job["id"])
    assert state["status"] == "done", state
    assert (state["total"], state["processed"]) == (GOOD_ROWS + 2, GOOD_ROWS + 2)
    assert (state["written"], state["skipped"], state["problem_count"]) == (GOOD_ROWS, 2, 2)
    answer = client.get(state["results"])
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert 'filename="my_cases-results.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["name"] for r in rows] == [f"age {age}" for age in range(40, 40 + GOOD_ROWS)]
    assert {r["decision"] for r in rows} == {"accept"}


def test_bad_rows_are_reported_by_row_and_name_the_upload_not_the_server_file(client):
    state = finished(client, submit(client, jsonl(), "batch.jsonl")["id"])
    texts = [p["text"] for p in state["problems"]]
    assert any(f"batch.jsonl:{GOOD_ROWS + 1}:" in t for t in texts), texts
    assert any(f"batch.jsonl:{GOOD_ROWS + 2}:" in t and "above the maximum 120" in t
               for t in texts), texts
    assert not any(".jobs" in t or "input.jsonl" in t for t in texts)
    lines = client.get(state["results"]).text.splitlines()
    assert [json.loads(line)["row"] for line in lines] == list(range(1, GOOD_ROWS + 1))


def test_jobs_are_listed_and_private_to_their_user(client):
    job = submit(client, jsonl(2, bad=False))
    finished(client, job["id"])
    assert [j["id"] for j in client.get("/api/v1/jobs").json()] == [job["id"]]
    assert client.get("/api/v1/jobs", headers=as_user("mallory")).json() == []
    other = client.get(f"/api/v1/jobs/{job['id']}", headers=as_user("mallory"))
    assert other.status_code == 404
    assert client.get(f"/api/v1/jobs/{job['id']}/results",
                      headers=as_user("mallory")).status_code == 404
    assert client.get(f"/api/v1/jobs/{'A' * 43}").status_code == 404
    assert client.get("/api/v1/jobs/..%2F..%2Fetc").status_code in (404, 422)
    assert client.get("/api/v1/jobs/short").status_code == 422


def test_bad_uploads_are_refused(client):
    def post(name: str, data: bytes, **form) -> int:
        return client.post("/api/v1/jobs", files={"file": (name, data)},
                           data={"product": "hepatitis_b", **form}).status_code

    assert post("cases.txt", jsonl()) == 400
    assert post("cases.jsonl", jsonl(), product="hepatitis_x") == 404
    assert post("cases.jsonl", jsonl(), product="../x") == 400
    assert post("cases.jsonl", jsonl(), output="xml") == 422
    assert post("cases.jsonl", b"x" * 70_000) == 413
    assert client.post("/api/v1/jobs", data={"product": "hepatitis_b"}).status_code == 422
    recorded = post("cases.jsonl", jsonl(), record="true")
    assert recorded == 409  # no registry: nothing published to record against
    assert client.get("/api/v1/jobs").json() == []


def test_a_file_unusable_as_a_whole_fails_the_job_with_its_problem(client):
    state = finished(client, submit(client, b"", "empty.csv")["id"])
    assert state["status"] == "failed" and state["results"] is None
    assert state["problems"][0]["file"] == "empty.csv"
    answer = client.get(f"/api/v1/jobs/{state['id']}/results")
    assert answer.status_code == 409 and "failed" in answer.json()["problems"][0]["message"]


def test_jobs_survive_a_reload_and_a_restart(tmp_path, users):  # noqa: F811
    db = tmp_path / "registry.db"
    for first in start(db, job_workers=0):  # takes jobs but runs none
        queued = submit(first, jsonl(3, bad=False))
        time.sleep(0.3)
        assert first.get(f"/api/v1/jobs/{queued['id']}").json()["status"] == "queued"
    for second in start(db):  # a new server on the same database runs it
        state = finished(second, queued["id"])
        assert state["status"] == "done" and state["written"] == 3
        done = submit(second, jsonl(2, bad=False))
        finished(second, done["id"])
    for third in start(db, job_workers=0):  # a page reload, a restart: still there
        listed = {j["id"]: j for j in third.get("/api/v1/jobs").json()}
        assert set(listed) == {queued["id"], done["id"]}
        assert listed[done["id"]]["status"] == "done"
        assert len(third.get(listed[done["id"]]["results"]).text.splitlines()) == 2


def test_a_recorded_job_adds_audit_rows_with_the_user(tmp_path, users):  # noqa: F811
    db = tmp_path / "registry.db"
    for client in start(db):
        answer = client.post("/api/v1/registry", json={"product": "hepatitis_b",
                                                       "effective_from": "2026-01-01"})
        assert answer.status_code == 201, answer.text
        client.post(f"/api/v1/registry/{V1}/approve", headers=as_user("bob"))
        assert client.post(f"/api/v1/registry/{V1}/publish").json()["status"] == "published"
        answer = client.post("/api/v1/jobs", files={"file": ("c.jsonl", jsonl(3))},
                             data={"product": V1, "record": "true"}, headers=as_user("ivy"))
        assert answer.status_code == 202, answer.text
        state = client.get(f"/api/v1/jobs/{answer.json()['id']}",
                           headers=as_user("ivy")).json()
        while state["status"] not in ("done", "failed"):
            time.sleep(0.05)
            state = client.get(f"/api/v1/jobs/{state['id']}", headers=as_user("ivy")).json()
        assert state["status"] == "done" and state["written"] == 3
    with Store(db, readonly=True) as store:
        rows = list(store.db.query("SELECT user, batch_id, batch_row FROM evaluations"))
    assert [(r["user"], r["batch_row"]) for r in rows] == [("ivy", 1), ("ivy", 2), ("ivy", 3)]
    assert rows[0]["batch_id"] == f"job-{state['id']}"
