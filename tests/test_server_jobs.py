"""Batch jobs over HTTP: upload, progress, download, bad rows, limits, and surviving a
restart.

Each test has its own server and database, with the users of
`test_server_api` (requests by olga, who holds every role, unless they say).
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import UploadFile
from fastapi.testclient import TestClient

from configurator import compile_product, evaluate, load
from configurator.cases.case import case_from_data
from configurator.registry.audit import BatchRecorder, evaluation_row, verify
from configurator.registry.store import Store
from configurator.server import jobs as jobs_module
from configurator.server.auth import User
from configurator.server.errors import TooLarge

from .paths import PRODUCT
from .test_server_api import V1, as_user, case_data, start, users  # noqa: F401 (fixture)

GOOD_ROWS = 6
UPLOAD_LIMIT = 64 * 1024


def jsonl(rows: int = GOOD_ROWS, bad: bool = True) -> bytes:
    """`rows` good cases, then (with `bad`) a row of bad JSON and one with an age of 130."""
    base = case_data()
    lines = []
    for number in range(rows):
        age = 40 + number % 20
        lines.append(json.dumps({**base, "name": f"row {number + 1} age {age}",
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


def finished(client: TestClient, job_id: str, seconds: float = 60, **headers) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {state}")


@pytest.fixture
def client(tmp_path: Path, users: Path) -> Iterator[TestClient]:  # noqa: F811
    yield from start(tmp_path / "registry.db", users, max_upload_bytes=UPLOAD_LIMIT)


def test_a_job_from_upload_to_download(client):
    job = submit(client, jsonl(), "my cases.jsonl", output="csv")
    assert job["status"] in ("queued", "running", "done") and len(job["id"]) >= 40
    assert (job["input"], job["output"], job["product"]) == ("my_cases.jsonl", ".csv",
                                                             "hepatitis_b")
    assert job["results"] is None or job["status"] == "done"
    state = finished(client, job["id"])
    assert state["status"] == "done", state
    assert (state["total"], state["processed"]) == (GOOD_ROWS + 2, GOOD_ROWS + 2)
    assert (state["written"], state["skipped"], state["problem_count"]) == (GOOD_ROWS, 2, 2)
    assert state["started_at"] and state["finished_at"]
    answer = client.get(state["results"])
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert 'filename="my_cases-results.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["name"] for r in rows] == [f"row {n} age {39 + n}" for n in
                                         range(1, GOOD_ROWS + 1)]
    assert {r["decision"] for r in rows} == {"accept"}


def test_progress_is_reported_while_the_job_runs(client, monkeypatch):
    """The job is held after its third row: the API shows it running, 3 of 8 rows done."""
    reached, release = threading.Event(), threading.Event()
    real = jobs_module.run_batch

    def held(*args, on_progress, **options):
        def progress(row: int) -> None:
            on_progress(row)
            if row == 3:
                reached.set()
                release.wait(30)

        return real(*args, on_progress=progress, **options)

    monkeypatch.setattr(jobs_module, "run_batch", held)
    job = submit(client, jsonl())
    try:
        assert reached.wait(60)
        state = client.get(f"/api/v1/jobs/{job['id']}").json()
        assert (state["status"], state["processed"], state["total"]) == ("running", 3,
                                                                        GOOD_ROWS + 2)
        assert state["results"] is None
        early = client.get(f"/api/v1/jobs/{job['id']}/results")
        assert early.status_code == 409 and "running" in early.json()["problems"][0]["message"]
    finally:
        release.set()
    assert finished(client, job["id"])["processed"] == GOOD_ROWS + 2


def test_bad_rows_are_reported_by_row_and_name_the_upload_not_the_server_file(client):
    state = finished(client, submit(client, jsonl(), "batch.jsonl")["id"])
    texts = [p["text"] for p in state["problems"]]
    assert any(f"batch.jsonl:{GOOD_ROWS + 1}:" in t for t in texts), texts
    assert any(f"batch.jsonl:{GOOD_ROWS + 2}:" in t and "above the maximum 120" in t
               for t in texts), texts
    assert [(p["file"], p["line"], p["column"]) for p in state["problems"]] == [
        ("batch.jsonl", GOOD_ROWS + 1, 1), ("batch.jsonl", GOOD_ROWS + 2, 1)]
    assert texts[1] == f"batch.jsonl:{GOOD_ROWS + 2}:1: {state['problems'][1]['message']}"
    assert not any(".jobs" in t or "input.jsonl" in t for t in texts)
    lines = client.get(state["results"]).text.splitlines()
    assert [json.loads(line)["row"] for line in lines] == list(range(1, GOOD_ROWS + 1))


def test_jobs_are_listed_and_private_to_their_user(client):
    job = submit(client, jsonl(2, bad=False))
    finished(client, job["id"])
    assert [j["id"] for j in client.get("/api/v1/jobs").json()] == [job["id"]]
    ada = as_user("ada")  # an agent too, but not the one who submitted it
    assert client.get("/api/v1/jobs", headers=ada).json() == []
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=ada).status_code == 404
    assert client.get(f"/api/v1/jobs/{job['id']}/results", headers=ada).status_code == 404
    assert client.get(f"/api/v1/jobs/{'A' * 43}").status_code == 404
    assert client.get("/api/v1/jobs/..%2F..%2Fetc").status_code in (404, 422)
    assert client.get("/api/v1/jobs/short").status_code == 422
    assert client.get("/api/v1/jobs", headers=as_user("aud")).status_code == 403


def test_bad_uploads_are_refused(client):
    def post(name: str, data: bytes, **form) -> int:
        return client.post("/api/v1/jobs", files={"file": (name, data)},
                           data={"product": "hepatitis_b", **form}).status_code

    assert post("cases.txt", jsonl()) == 422
    assert post("cases.jsonl", jsonl(), product="hepatitis_x") == 404
    assert post("cases.jsonl", jsonl(), product="../x") == 400
    assert post("cases.jsonl", jsonl(), output="xml") == 422
    assert client.post("/api/v1/jobs", data={"product": "hepatitis_b"}).status_code == 422
    recorded = post("cases.jsonl", jsonl(), record="true")
    assert recorded == 409  # no registry: nothing published to record against
    assert client.get("/api/v1/jobs").json() == []


def jobs_folder(client: TestClient) -> Path:
    return client.app.state.jobs.folder


def test_an_upload_over_the_limit_is_a_413_and_leaves_nothing(client):
    big = jsonl(120, bad=False)
    assert len(big) > UPLOAD_LIMIT
    answer = client.post("/api/v1/jobs", files={"file": ("big.jsonl", big)},
                         data={"product": "hepatitis_b"})
    assert answer.status_code == 413 and answer.json()["problems"][0]["code"] == "too_large"
    boundary = "configurator-test"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"product\"\r\n\r\n"
            f"hepatitis_b\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"big.jsonl\"\r\n\r\n").encode() + big + f"\r\n--{boundary}--\r\n".encode()

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for start_at in range(0, len(body), 16 * 1024):
            yield body[start_at:start_at + 16 * 1024]

    answer = client.post("/api/v1/jobs", content=chunks(), headers={
        "content-type": f"multipart/form-data; boundary={boundary}"})
    assert answer.status_code == 413 and answer.json()["problems"][0]["code"] == "too_large"
    assert client.get("/api/v1/jobs").json() == []
    folder = jobs_folder(client)
    assert not folder.exists() or list(folder.iterdir()) == []
    with pytest.raises(TooLarge):  # past the middleware (a smaller limit): nothing kept
        client.app.state.jobs.submit(User("olga", frozenset({"agent"})), "hepatitis_b",
                                     UploadFile(io.BytesIO(big), filename="big.jsonl"), None,
                                     False, limit=UPLOAD_LIMIT // 2)
    assert not folder.exists() or list(folder.iterdir()) == []
    just_under = jsonl(30, bad=False)
    assert len(just_under) < UPLOAD_LIMIT - 1024
    assert finished(client, submit(client, just_under)["id"])["written"] == 30


def test_a_file_unusable_as_a_whole_fails_the_job_with_its_problem(client):
    state = finished(client, submit(client, b"", "empty.csv")["id"])
    assert state["status"] == "failed" and state["results"] is None
    assert state["problems"][0]["file"] == "empty.csv"
    answer = client.get(f"/api/v1/jobs/{state['id']}/results")
    assert answer.status_code == 409 and "failed" in answer.json()["problems"][0]["message"]


def test_jobs_survive_a_reload_and_a_restart(tmp_path, users):  # noqa: F811
    db = tmp_path / "registry.db"
    for first in start(db, users, job_workers=0):  # takes jobs but runs none
        queued = submit(first, jsonl(3, bad=False))
        time.sleep(0.3)
        assert first.get(f"/api/v1/jobs/{queued['id']}").json()["status"] == "queued"
    for second in start(db, users):  # a new server on the same database runs it
        state = finished(second, queued["id"])
        assert state["status"] == "done" and state["written"] == 3
        done = submit(second, jsonl(2, bad=False))
        finished(second, done["id"])
    for third in start(db, users, job_workers=0):  # a page reload, a restart: still there
        listed = {j["id"]: j for j in third.get("/api/v1/jobs").json()}
        assert set(listed) == {queued["id"], done["id"]}
        assert listed[done["id"]]["status"] == "done"
        assert len(third.get(listed[done["id"]]["results"]).text.splitlines()) == 2
        assert third.get("/api/v1/jobs", headers=as_user("ada")).json() == []


def test_a_job_left_running_by_a_stopped_server_runs_again(tmp_path, users):  # noqa: F811
    db = tmp_path / "registry.db"
    for first in start(db, users, job_workers=0):
        job = submit(first, jsonl(2))
    saved = jobs_folder(first) / job["id"] / "job.json"
    state = json.loads(saved.read_text())
    saved.write_text(json.dumps({**state, "status": "running", "processed": 1}))
    for second in start(db, users):
        again = finished(second, job["id"])
        assert (again["status"], again["processed"], again["written"]) == ("done", 4, 2)


def test_a_recorded_job_cut_short_records_the_rest_once(tmp_path, users):  # noqa: F811
    """A server stopped mid-job had committed rows 1 and 2; the next one runs the job
    again: it decides every row for the results, and records row 3 alone."""
    db = tmp_path / "registry.db"
    for first in start(db, users, job_workers=0):
        first.post("/api/v1/registry", json={"product": "hepatitis_b",
                                             "effective_from": "2026-01-01"})
        first.post(f"/api/v1/registry/{V1}/approve", headers=as_user("rita"))
        assert first.post(f"/api/v1/registry/{V1}/publish").json()["status"] == "published"
        data = jsonl(3, bad=False)
        answer = first.post("/api/v1/jobs", files={"file": ("c.jsonl", data)},
                            data={"product": V1, "record": "true"}, headers=as_user("ada"))
        job = answer.json()
    product = load(PRODUCT)
    with Store(db) as store:
        recorder = jobs_module._ByUser(BatchRecorder(store, product, f"job-{job['id']}"),
                                       "ada")
        for number, line in enumerate(data.decode().splitlines()[:2], 1):
            case = case_from_data(json.loads(line), product)
            recorder.add_row(evaluation_row(product, recorder.secret, case,
                                            evaluate(compile_product(product), case),
                                            (recorder.batch_id, number)))
        recorder.flush()
    for second in start(db, users):
        state = finished(second, job["id"], **as_user("ada"))
        assert (state["status"], state["written"]) == ("done", 3), state
        assert len(second.get(state["results"], headers=as_user("ada")).text.splitlines()) == 3
    with Store(db, readonly=True) as store:
        rows = list(store.db.query("SELECT user, batch_row FROM evaluations ORDER BY seq"))
        assert verify(store).ok
    assert [(r["user"], r["batch_row"]) for r in rows] == [("ada", 1), ("ada", 2), ("ada", 3)]


def test_a_recorded_job_adds_audit_rows_with_the_user(tmp_path, users):  # noqa: F811
    db = tmp_path / "registry.db"
    for client in start(db, users):
        answer = client.post("/api/v1/registry", json={"product": "hepatitis_b",
                                                       "effective_from": "2026-01-01"})
        assert answer.status_code == 201, answer.text
        client.post(f"/api/v1/registry/{V1}/approve", headers=as_user("rita"))
        assert client.post(f"/api/v1/registry/{V1}/publish").json()["status"] == "published"
        answer = client.post("/api/v1/jobs", files={"file": ("c.jsonl", jsonl(3))},
                             data={"product": V1, "record": "true"}, headers=as_user("ada"))
        assert answer.status_code == 202, answer.text
        state = finished(client, answer.json()["id"], **as_user("ada"))
        assert state["status"] == "done" and state["written"] == 3
        client.post("/api/v1/evaluate", json={"product": V1, "record": True,
                                              "case": case_data()})  # no batch's
        assert len(client.get("/api/v1/audit/decisions").json()) == 4
        batch = client.get(f"/api/v1/audit/decisions?batch=job-{state['id']}").json()
        assert [(r["batch_row"], r["user"]) for r in batch] == [(1, "ada"), (2, "ada"),
                                                                 (3, "ada")]
        assert client.get("/api/v1/audit/decisions?batch=job-other").json() == []
        assert client.get(f"/api/v1/audit/decisions?batch={'x' * 257}").status_code == 422
    with Store(db, readonly=True) as store:
        rows = list(store.db.query("SELECT user, batch_id, batch_row FROM evaluations"))
    assert [(r["user"], r["batch_row"]) for r in rows] == [("ada", 1), ("ada", 2), ("ada", 3),
                                                          ("olga", None)]
    assert rows[0]["batch_id"] == f"job-{state['id']}"
