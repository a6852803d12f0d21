"""Batch evaluation: CSV and JSON lines in, rows out, bad rows skipped with positions."""

from __future__ import annotations

import csv
import dataclasses
import gc
import io
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import configurator.runs.batch as batch_module
from configurator import case_from_data, evaluate, loads, native
from configurator.cases.batchfile import nest, read_cases
from configurator.cli import main
from configurator.runs.batch import (
    CHUNK,
    CHUNKS_PER_WORKER,
    COLUMNS,
    WorkerMismatch,
    _Rows,
    chunk_size,
    code_identity,
    encoded_row,
    evaluate_rows,
    run_batch,
    shipment,
)

from .paths import PRODUCT

HEADER = ("name,policy.start,as_of,applicant.age,applicant.sex,applicant.hbv_status,"
          "applicant.hbsag_positive_months,applicant.alt,applicant.hbv_dna,applicant.afp,"
          "applicant.fatty_liver,events")
VISIT = '"[{""date"": ""2026-08-01"", ""type"": ""monitoring_visit"", ""alt"": 30, ' \
        '""hbv_dna"": 20, ""afp"": 3, ""cost"": 300}]"'
ROWS = [
    "ok carrier,2026-02-01,2026-02-01,40,male,carrier,24,30,100,3,,",
    "too old,2026-02-01,2026-02-01,70,female,carrier,24,30,100,3,,",
    "typo,2026-02-01,2026-02-01,40,mal,carrier,24,30,100,3,,",
    f"fatty,2026-02-01,2026-09-01,40,male,carrier,24,30,100,3,yes,{VISIT}",
]


def write_csv(folder: Path, rows: list[str] = ROWS) -> Path:
    path = folder / "cases.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def test_dotted_headers_nest_and_events_are_json():
    data = nest({"applicant.age": "40", "policy.start": "2026-01-01", "events": "[]",
                 "applicant.sex": ""})
    assert data == {"applicant": {"age": "40"}, "policy": {"start": "2026-01-01"}, "events": []}


def test_csv_rows_become_typed_cases_or_positioned_errors(tmp_path, product):
    rows = list(read_cases(write_csv(tmp_path), product))
    assert [number for number, _ in rows] == [2, 3, 4, 5]
    assert rows[0][1].applicant["age"] == 40 and rows[3][1].applicant["fatty_liver"] is True
    error = str(rows[2][1])
    assert error == (f"{tmp_path / 'cases.csv'}:4:5: applicant.sex: 'mal' is not one of the "
                     "allowed values; did you mean 'male'?")


@pytest.mark.parametrize("workers", [1, 2])
def test_batch_writes_one_row_per_good_case_in_input_order(tmp_path, workers):
    out = tmp_path / "results.csv"
    report = run_batch(PRODUCT, write_csv(tmp_path), out, workers=workers)
    assert report.written == 3 and len(report.problems) == 1
    rows = list(csv.DictReader(out.open()))
    assert [r["row"] for r in rows] == ["2", "3", "5"]
    assert [r["decision"] for r in rows] == ["accept", "decline", "accept"]
    assert rows[1]["reasons"] == "eligibility.age_outside_range"
    assert "fatty_liver_disease" in rows[2]["exclusions"].split(";")
    assert rows[2]["payable_total"] == "300.00"


def test_batch_rows_match_single_evaluations(tmp_path, product, compiled):
    cases = tmp_path / "cases.jsonl"
    lines = [{"name": f"age {age}", "policy": {"start": "2026-02-01"}, "as_of": "2026-02-01",
              "applicant": {"age": age, "sex": "female", "hbv_status": "big_three_positive",
                            "hbsag_positive_months": 60, "alt": 35, "hbv_dna": 50, "afp": 2}}
             for age in (17, 18, 60, 61)]
    cases.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    out = tmp_path / "results.jsonl"
    run_batch(PRODUCT, cases, out, workers=2)
    results = [json.loads(line) for line in out.read_text().splitlines()]
    for line, result in zip(lines, results, strict=True):
        single = evaluate(compiled, case_from_data(line, product))
        assert result["decision"] == single.decision
        assert result["loadings"] == [f"{x.rule}:{x.percent:g}" for x in single.loadings]


def test_invalid_json_line_is_reported_and_skipped(tmp_path):
    cases = tmp_path / "cases.jsonl"
    good = {"policy": {"start": "2026-02-01"}, "as_of": "2026-02-01",
            "applicant": {"age": 40, "sex": "male", "hbv_status": "carrier",
                          "hbsag_positive_months": 24, "alt": 30, "hbv_dna": 100, "afp": 3}}
    cases.write_text(json.dumps(good) + "\n{oops\n" + json.dumps(good) + "\n")
    report = run_batch(PRODUCT, cases, tmp_path / "out.jsonl")
    assert report.written == 2
    assert str(report.problems[0]).endswith("cases.jsonl:2:2: invalid JSON: Expecting property "
                                            "name enclosed in double quotes")


def test_cli_batch_exits_two_after_writing_every_good_row(tmp_path, capsys):
    out = tmp_path / "results.jsonl"
    code = main(["evaluate", str(PRODUCT), str(write_csv(tmp_path)), "-o", str(out),
                 "--workers", "1"])
    assert code == 2
    assert len(out.read_text().splitlines()) == 3
    err = capsys.readouterr().err
    assert "cases.csv:4:5: applicant.sex:" in err
    assert "3 cases evaluated, 1 row skipped" in err


def test_a_failed_run_leaves_no_output_file(tmp_path, monkeypatch):
    import configurator.runs.batch as batch

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(batch._Rows, "write", boom)
    out = tmp_path / "results.csv"
    with pytest.raises(RuntimeError):
        run_batch(PRODUCT, write_csv(tmp_path), out)
    assert not out.exists()
    assert not list(tmp_path.glob(".results.csv*"))


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_ROWS = st.fixed_dictionaries({
    "row": st.integers(1, 10**9), "name": _TEXT, "decision": _TEXT,
    "reasons": st.lists(_TEXT, max_size=3), "tier": _TEXT, "sum_insured": _TEXT,
    "premium_adjustment_percent": st.one_of(st.integers(-100, 100),
                                            st.floats(-100, 100, allow_nan=False)),
    "loadings": st.lists(_TEXT, max_size=3), "exclusions": st.lists(_TEXT, max_size=3),
    "checkups_open": st.integers(0, 9), "claims_paid": st.integers(0, 9),
    "payable_total": _TEXT})


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(_ROWS, min_size=1, max_size=4), suffix=st.sampled_from([".csv", ".jsonl"]))
def test_a_row_encoded_by_a_worker_is_written_as_the_driver_writes_it(rows, suffix):
    """Workers send each summary row as the text of the output file's format (a string
    pickles for a fraction of a dict's cost); the file must hold the same characters as
    json.dumps or a csv.DictWriter on the file write for the row - quotes, commas, line
    breaks, non-ASCII - whether a worker encoded the row or the driver did."""
    expected = io.StringIO(newline="")
    if suffix == ".csv":
        writer = csv.DictWriter(expected, fieldnames=COLUMNS)
        writer.writeheader()
    for row in rows:
        if suffix == ".csv":
            writer.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in row.items()})
        else:
            expected.write(json.dumps(row, ensure_ascii=False) + "\n")
    texts = []
    for encode in (False, True):
        handle = io.StringIO(newline="")
        out = _Rows(handle, suffix)
        for row in rows:
            out.write(encoded_row(row, suffix) if encode else row)
        texts.append(handle.getvalue())
    assert texts[0] == texts[1] == expected.getvalue()
    assert all(type(encoded_row(row, suffix)) is str for row in rows)
    assert encoded_row(rows[0], ".parquet") is rows[0]


def test_rows_encoded_in_several_threads_at_once_are_each_whole():
    """A server's batch jobs run in threads, and a remote Dask worker may run partitions in
    several: each thread encodes CSV records in its own buffer (a shared one mixed records
    of different threads up)."""
    rows = [{c: ([f'a,"{n}', str(n)] if c in ("reasons", "loadings", "exclusions")
                 else f'v{n}\n,"{i}') for i, c in enumerate(COLUMNS)} for n in range(500)]
    wanted = [encoded_row(row, ".csv") for row in rows]
    wrong: list[int] = []

    def encode() -> None:
        for _ in range(20):
            wrong.extend(n for n, row in enumerate(rows) if encoded_row(row, ".csv") != wanted[n])

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        threads = [threading.Thread(target=encode) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert wrong == []


@given(rows=st.integers(1, 10**7), workers=st.integers(2, 64))
def test_a_file_is_sent_in_tasks_that_keep_every_worker_busy(rows, workers):
    """Big files go `CHUNK` rows a task (each task costs the driver the same); a smaller one
    in smaller tasks, so that every worker still gets some, and several when rows allow."""
    size = chunk_size(rows, workers)
    tasks = -(-rows // size)
    assert 1 <= size <= CHUNK
    assert tasks >= min(rows, workers * CHUNKS_PER_WORKER // 2)
    if rows >= CHUNK * workers * CHUNKS_PER_WORKER:
        assert size == CHUNK


def test_a_worker_refuses_a_product_sent_by_other_code_or_read_otherwise(monkeypatch):
    """A remote Dask worker with another configurator (or rules engine, or YAML reader)
    could decide otherwise: it refuses the rows rather than decide them."""
    monkeypatch.setattr(batch_module, "_LOADED", {})
    shipped = shipment(loads(Path(PRODUCT).read_text(), str(PRODUCT)))
    row = (1, "{}")
    for wrong, words in ((dataclasses.replace(shipped, code="0" * 16),
                          [f"runs other configurator code or another rules engine than this "
                           f"command (code {code_identity()} against {'0' * 16})"]),
                         (dataclasses.replace(shipped, hash="000000000000"),
                          [f"reads hepatitis_b@1.0.0 to content hash {shipped.hash}, not "
                           f"000000000000 as this command does"])):
        with pytest.raises(WorkerMismatch) as raised:
            evaluate_rows(wrong, "cases.jsonl", None, [row], output=".jsonl")
        for text in [*words, f"the worker on {socket.gethostname()} (process {os.getpid()})",
                     "install the same configurator"]:
            assert text in str(raised.value)
        assert batch_module._LOADED == {}  # nothing kept from a refused product
    try:
        [(number, _, problems, _)] = evaluate_rows(shipped, "cases.jsonl", None, [row])
        assert number == 1 and problems  # the right one decides (here: an empty case)
    finally:
        gc.unfreeze()


def test_the_code_identity_is_the_sources_and_the_engine_and_the_same_in_every_process(
        monkeypatch):
    here = code_identity()
    other = subprocess.run([sys.executable, "-c", "from configurator.runs.batch import "
                            "code_identity; print(code_identity())"], capture_output=True,
                           text=True, check=True).stdout.strip()
    assert other == here and len(here) == 16
    edited = {**native.sources(), "engine/evaluate.py": "0" * 64}
    monkeypatch.setattr(batch_module, "sources", lambda: edited)
    monkeypatch.setattr(batch_module, "_IDENTITY", [])
    assert code_identity() != here
    monkeypatch.setattr(batch_module, "sources", native.sources)
    monkeypatch.setattr(batch_module, "_IDENTITY", [])
    monkeypatch.setattr(batch_module.importlib.metadata, "version", lambda name: "2.0.29")
    assert code_identity() != here


def test_a_worker_keeps_a_few_products_and_decides_each_row_by_the_one_sent(monkeypatch):
    """A remote Dask worker may serve many runs: it keeps at most `_MAX_LOADED` products."""
    monkeypatch.setattr(batch_module, "_LOADED", {})
    source = Path(PRODUCT).read_text()
    row = (1, json.dumps({"policy": {"start": "2026-02-01"}, "as_of": "2026-02-01",
                          "applicant": {"age": 63, "sex": "female", "hbv_status": "carrier",
                                        "hbsag_positive_months": 60, "alt": 35, "hbv_dna": 50,
                                        "afp": 2}}))
    try:
        for oldest in (60, 61, 62, 63, 64, 60, 65):
            shipped = shipment(loads(source.replace("max_entry_age: {value: 60,",
                                                    f"max_entry_age: {{value: {oldest},"),
                                     "p.yaml"))
            (number, summary, problems, _), = evaluate_rows(shipped, "cases.jsonl", None,
                                                            [row], output=".jsonl")
            assert number == 1 and problems == []
            assert json.loads(summary)["decision"] == ("accept" if oldest >= 63 else "decline")
            assert 1 <= len(batch_module._LOADED) <= batch_module._MAX_LOADED
    finally:
        gc.unfreeze()
