"""Parquet batch files and batches on Dask distributed (issue 14).

The quick tests run in the default run (one `local:1` cluster); the LocalCluster
tests with 2 workers, a killed worker and a killed driver are marked slow.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from configurator.cases.batchfile import count_rows, read_cases
from configurator.cases.lines import line_spans, text_lines
from configurator.cases.parquet import read_table, write_table
from configurator.cli import cli
from configurator.errors import CaseError, ConfiguratorError
from configurator.runs import batch as batch_module
from configurator.runs import dask_batch
from configurator.runs.batch import run_batch
from configurator.runs.dask_batch import check_address, dask_source

from .paths import PRODUCT

START = dt.date(2026, 3, 1)


def _cases(count: int, seed: int = 3) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for number in range(count):
        full = rng.random() < 0.4
        events = []
        if full:
            for month in range(1, 12):
                events.append({"date": (START + dt.timedelta(days=30 * month)).isoformat(),
                               "type": "antiviral_refill", "days_supply": 30})
            events.append({"date": (START + dt.timedelta(days=200)).isoformat(),
                           "type": "liver_cancer_diagnosis",
                           "cause": rng.choice(["hepatitis_b", "alcohol"])})
        out.append({"name": f"case {number}", "policy": {"start": START.isoformat()},
                    "as_of": (START + dt.timedelta(days=366 if full else 0)).isoformat(),
                    "applicant": {"age": rng.randint(14, 70), "sex": rng.choice(["male",
                                                                                 "female"]),
                                  "hbv_status": rng.choice(["carrier", "small_three_positive",
                                                            "chronic_hepatitis"]),
                                  "hbsag_positive_months": rng.randint(3, 200),
                                  "alt": rng.randint(10, 130), "hbv_dna": 100, "afp": 3,
                                  "on_antivirals": rng.random() < 0.5},
                    "events": events})
    return out


def write_inputs(folder: Path, count: int) -> dict[str, Path]:
    """The same cases as JSON lines, CSV and Parquet, plus one bad row in each."""
    cases = _cases(count)
    jsonl = folder / "cases.jsonl"
    jsonl.write_text("".join(json.dumps(c) + "\n" for c in cases) + "{not json\n")
    flat = []
    for case in cases:
        row = {"name": case["name"], "policy.start": case["policy"]["start"],
               "as_of": case["as_of"], "events": json.dumps(case["events"])}
        row.update({f"applicant.{k}": v for k, v in case["applicant"].items()})
        flat.append(row)
    flat.append({**flat[0], "name": "bad", "applicant.sex": "mal"})
    csv_path = folder / "cases.csv"
    header = list(flat[0])
    import csv

    with csv_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(flat)
    parquet = folder / "cases.parquet"
    write_table(parquet, flat)
    return {"jsonl": jsonl, "csv": csv_path, "parquet": parquet}


@pytest.fixture
def cut(monkeypatch) -> list:
    """The driver's calls to `line_spans` (made only for workers that share the file)."""
    calls: list = []
    monkeypatch.setattr(dask_batch, "line_spans", lambda *a: calls.append(a) or line_spans(*a))
    return calls


# ------------------------------------------------------------ Parquet (quick)


def test_parquet_rows_decide_as_the_csv_rows_do(tmp_path, product):
    paths = write_inputs(tmp_path, 30)
    assert count_rows(paths["parquet"]) == count_rows(paths["csv"]) == 31
    from_csv = [(c if isinstance(c, CaseError) else c.to_data())
                for _, c in read_cases(paths["csv"], product)]
    from_parquet = [(c if isinstance(c, CaseError) else c.to_data())
                    for _, c in read_cases(paths["parquet"], product)]
    assert from_csv[:-1] == from_parquet[:-1]
    assert "'mal' is not one of the allowed values" in str(from_parquet[-1])
    assert f"{paths['parquet']}:31:" in str(from_parquet[-1])


def test_parquet_output_holds_the_same_rows_as_jsonl(tmp_path):
    paths = write_inputs(tmp_path, 20)
    run_batch(PRODUCT, paths["jsonl"], tmp_path / "out.jsonl")
    report = run_batch(PRODUCT, paths["jsonl"], tmp_path / "out.parquet")
    assert report.written == 20 and report.skipped == 1
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert read_table(tmp_path / "out.parquet") == lines


def test_a_file_that_is_not_parquet_is_one_clean_error(tmp_path):
    bad = tmp_path / "cases.parquet"
    bad.write_bytes(b"name,age\nx,1\n")
    result = CliRunner().invoke(cli, ["evaluate", str(PRODUCT), str(bad), "-o",
                                       str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "not a readable Parquet file" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "o.csv").exists()


# ------------------------------------------------------------ Dask (one quick run)


def test_dask_addresses_are_checked():
    assert check_address("local:2") == "local:2"
    assert check_address("tcp://10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    assert check_address("tcp://scheduler") == "tcp://scheduler"  # Dask's port, 8786
    for bad in ("local:0", "local:x", "10.0.0.5:8786", "local:2; rm"):
        with pytest.raises(ConfiguratorError, match="give local:N"):
            check_address(bad)
    for bad in ("tcp://10.0.0.5:x", "tcp://10.0.0.5:0", "tls://[::1]:99999"):
        with pytest.raises(ConfiguratorError, match="the port must be a number from 1 to 65535"):
            check_address(bad)


def test_an_address_where_no_scheduler_can_be_is_refused_at_once(tmp_path):
    """Dask's client retries a refused connection for its whole timeout (30 s); a port
    nobody listens on, or a host that does not exist, is said at once."""
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    paths = write_inputs(tmp_path, 3)
    out = tmp_path / "out.jsonl"
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["evaluate", str(PRODUCT), str(paths["jsonl"]), "-o",
                                       str(out), "--dask", f"tcp://127.0.0.1:{port}"])
    assert result.exit_code == 2 and time.monotonic() - started < 15, result.output
    assert f"nothing listens on 127.0.0.1 port {port} (connection refused); start 'dask " \
           f"scheduler' there" in result.output and not out.exists()
    assert dask_batch._unreachable("tcp://no-such-host.invalid:8786") == \
        "there is no host named 'no-such-host.invalid'; check the address"
    with socket.socket() as server:  # something listening: for Dask to talk to
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert dask_batch._unreachable(f"tcp://127.0.0.1:{server.getsockname()[1]}") is None


def test_partitions_are_spans_only_where_the_workers_share_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(dask_batch, "PARTITION", 10)
    paths = write_inputs(tmp_path, 35)  # 36 JSON lines (the last one bad), no blank line
    done = frozenset({3, 10, 11, 36})  # rows recorded by an earlier run
    spans = list(dask_batch._partitions(paths["jsonl"], True, done))
    rows = list(dask_batch._partitions(paths["jsonl"], False, done))
    assert all(type(chunk) is tuple and header is None for chunk, _, header in spans)
    assert all(type(chunk) is list and header is None for chunk, _, header in rows)
    assert [r for _, r, _ in spans] == [r for _, r, _ in rows] == [{3, 10}, {11}, set(), {36}]
    assert [len(list(text_lines(paths["jsonl"], span))) for span, _, _ in spans] == [10, 10, 10, 6]
    records = list(dask_batch._partitions(paths["csv"], True, done))
    # a CSV record may span lines: CSV always travels as records, its cells with the header
    assert all(type(chunk) is list and header[0][0] == "name" for chunk, _, header in records)
    assert all(type(cells) is list for chunk, _, _ in records for _, cells in chunk)


def test_dask_local_run_through_the_cli_writes_the_local_runs_bytes(tmp_path, cut):
    paths = write_inputs(tmp_path, 40)
    local, dask = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    assert run_batch(PRODUCT, paths["jsonl"], local).written == 40
    with socket.socket() as taken, warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        with contextlib.suppress(OSError):  # already taken is as good
            taken.bind(("0.0.0.0", 8787))  # Dask's usual port (another cluster here, say)
            taken.listen()
        result = CliRunner().invoke(cli, ["evaluate", str(PRODUCT), str(paths["jsonl"]), "-o",
                                           str(dask), "--dask", "local:1"])
    assert not [w for w in warned if "already in use" in str(w.message)]  # nothing on 8787
    assert result.exit_code == 2, result.output  # the one bad row
    assert "40 cases evaluated, 1 row skipped" in result.output
    assert dask.read_bytes() == local.read_bytes()
    assert len(cut) == 1  # local:N workers read their own spans of the file


def test_a_scheduler_without_workers_is_a_clean_error(tmp_path, monkeypatch):
    """Tasks sent to a scheduler no worker has joined would wait for ever (and a Dask
    error about it was reported as one writing the output file)."""
    from distributed import LocalCluster

    monkeypatch.setattr(dask_batch, "WORKER_WAIT", 1)
    paths = write_inputs(tmp_path, 3)
    out = tmp_path / "out.jsonl"
    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as empty:
        address = empty.scheduler_address
        result = CliRunner().invoke(cli, ["evaluate", str(PRODUCT), str(paths["jsonl"]),
                                           "-o", str(out), "--dask", address])
    assert result.exit_code == 2, result.output
    assert f"--dask {address}: the scheduler has no workers (waited 1 s); start 'dask " \
           f"worker {address}' on the machines that evaluate" in result.output
    assert not out.exists() and "Traceback" not in result.output


def test_workers_running_other_code_refuse_and_nothing_is_written(tmp_path, monkeypatch):
    """Workers check they run the command's code (`batch.code_identity`) before deciding:
    here the command claims other code than the cluster's workers have."""
    paths = write_inputs(tmp_path, 5)
    monkeypatch.setattr(batch_module, "code_identity", lambda: "0123456789abcdef")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["evaluate", str(PRODUCT), str(paths["jsonl"]), "-o",
                                       str(out), "--dask", "local:1"])
    assert result.exit_code == 2, result.output
    assert "runs other configurator code or another rules engine than this command" in \
        result.output and "against 0123456789abcdef" in result.output
    assert "no results were written" in result.output and "Traceback" not in result.output
    assert "bug" not in result.output  # a cluster set up wrong, not configurator's fault
    assert not out.exists()


# ------------------------------------------------------------ Dask LocalCluster (slow)


@pytest.fixture
def live_store(tmp_path):
    """A registry where the bundled hepatitis B product is published (audit recording)."""
    from configurator import load
    from configurator.registry.store import Store

    with Store(tmp_path / "registry.db") as store:
        ref = store.publish(PRODUCT, by="alice", effective_from=dt.date(2026, 1, 1)).ref
        store.approve(ref, by="bob")
        store.publish(ref, by="alice")
        yield store, load(PRODUCT)


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as local, Client(local) as client:
        yield local, client


@pytest.mark.slow
@pytest.mark.parametrize("kind,shared", [("csv", False), ("jsonl", False), ("jsonl", True),
                                         ("parquet", False)])
def test_two_workers_write_what_the_local_run_writes(tmp_path, cluster, kind, shared, cut):
    """`shared`: the workers read their spans of the file themselves (and only then)."""
    paths = write_inputs(tmp_path, 2500)
    for out_kind in ("csv", "jsonl", "parquet"):
        local, dask = tmp_path / f"local.{out_kind}", tmp_path / f"dask.{out_kind}"
        run_batch(PRODUCT, paths[kind], local)
        report = run_batch(PRODUCT, paths[kind], dask,
                           source=dask_source(cluster[0].scheduler_address, shared))
        assert report.written == 2500 and report.skipped == 1
        assert dask.read_bytes() == local.read_bytes()
    assert len(cut) == (3 if shared else 0)


@pytest.mark.slow
@pytest.mark.parametrize("shared", [False, True])
def test_a_killed_worker_still_yields_every_row_once_and_a_valid_chain(tmp_path, cluster, shared,
                                                                       live_store, monkeypatch):
    from configurator.registry.audit import BatchRecorder, verify

    monkeypatch.setattr(dask_batch, "PARTITION", 200)  # 30 partitions, 7 in flight
    local, client = cluster
    paths = write_inputs(tmp_path, 6000)
    run_batch(PRODUCT, paths["jsonl"], tmp_path / "local.jsonl")
    pids = list(client.run(os.getpid).values())
    seen = []

    def progress(row: int) -> None:
        seen.append(row)
        if len(seen) == 1500:  # partitions are in flight on both workers
            os.kill(pids[0], signal.SIGKILL)

    store, product = live_store
    with BatchRecorder(store, product, "killed") as recorder:
        report = run_batch(product, paths["jsonl"], tmp_path / "dask.jsonl",
                           source=dask_source(local.scheduler_address, shared),
                           recorder=recorder,
                           on_progress=progress)
    assert len(seen) == 6001 and report.written == 6000
    assert (tmp_path / "dask.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    rows = [r["batch_row"] for r in store.db.query("SELECT batch_row FROM evaluations WHERE "
                                                   "batch_id = 'killed' ORDER BY seq")]
    assert rows == sorted(set(rows)) and len(rows) == 6000
    assert verify(store).ok


@pytest.mark.slow
def test_an_input_file_changed_under_the_workers_is_refused(tmp_path, cluster, monkeypatch):
    monkeypatch.setattr(dask_batch, "PARTITION", 100)  # 30 partitions, 7 in flight
    paths = write_inputs(tmp_path, 3000)
    stat = os.stat(paths["jsonl"])

    def touch(row: int) -> None:  # the same bytes, written again after the run began
        if row == 1:
            os.utime(paths["jsonl"], ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))

    out = tmp_path / "out.jsonl"
    with pytest.raises(ConfiguratorError, match="could not read its part of .* changed while "
                                                "it was being evaluated"):
        run_batch(PRODUCT, paths["jsonl"], out, on_progress=touch,
                  source=dask_source(cluster[0].scheduler_address, shared=True))
    assert not out.exists()


@pytest.mark.slow
def test_resume_after_the_driver_is_killed_mid_record(tmp_path, live_store):
    store, product = live_store
    db = store.path
    store.close()
    paths = write_inputs(tmp_path, 4500)
    paused = tmp_path / "paused"
    command = [sys.executable, "-m", "configurator", "evaluate", str(PRODUCT),
               str(paths["jsonl"]), "-o", str(tmp_path / "out.jsonl"), "--dask", "local:2",
               "--record", "--batch-id", "nightly", "--db", str(db)]
    env = dict(os.environ, CONFIGURATOR_TEST_PAUSE=f"record:4:{paused}")
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 300
    while not paused.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(30)
    process.stderr.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM evaluations WHERE batch_id = 'nightly'"
                            ).fetchone()[0] == 3000  # three chunks of 1,000 committed
    assert not (tmp_path / "out.jsonl").exists()
    env.pop("CONFIGURATOR_TEST_PAUSE")
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert "4500 cases evaluated" in done.stderr
    assert "1500 rows recorded, 3000 already recorded" in done.stderr
    with sqlite3.connect(db) as conn:
        rows = [r[0] for r in conn.execute("SELECT batch_row FROM evaluations WHERE batch_id ="
                                           " 'nightly' ORDER BY seq")]
    assert rows == list(range(1, 4501))
    result = subprocess.run([sys.executable, "-m", "configurator", "audit", "verify", "--db",
                             str(db)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dask_with_workers_or_a_single_case_is_refused(tmp_path):
    from .paths import CASE

    paths = write_inputs(tmp_path, 3)
    both = CliRunner().invoke(cli, ["evaluate", str(PRODUCT), str(paths["csv"]), "-o",
                                    str(tmp_path / "o.csv"), "--dask", "local:2",
                                    "--workers", "2"])
    assert both.exit_code == 2 and "not both" in both.output
    one = CliRunner().invoke(cli, ["evaluate", str(PRODUCT), str(CASE), "--dask", "local:2"])
    assert one.exit_code == 2 and "not one case" in one.output


@pytest.mark.slow
def test_a_cluster_started_as_the_readme_says_and_its_scheduler_lost_mid_run(tmp_path):
    """`dask scheduler` and `dask worker` processes, as README's cluster section starts
    them: the command writes the local run's bytes; with the scheduler killed mid-run it
    stops with one clean error (none of Dask's logged tracebacks) and writes nothing."""
    dask = Path(sys.executable).parent / "dask"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    flags = ["--no-dashboard"]
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port",
                                  str(port), *flags], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([dask, "worker", address, "--nworkers", "1", "--nthreads", "1",
                               *flags], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while dask_batch._unreachable(address):
            assert time.monotonic() < deadline, "the scheduler never listened"
            time.sleep(0.1)
        small = write_inputs(tmp_path, 40)["jsonl"]
        local, remote = tmp_path / "local.jsonl", tmp_path / "remote.jsonl"
        run_batch(PRODUCT, small, local)
        command = [sys.executable, "-m", "configurator", "evaluate", str(PRODUCT)]
        done = subprocess.run([*command, str(small), "-o", str(remote), "--dask", address],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and "40 cases evaluated, 1 row skipped" in done.stderr
        assert remote.read_bytes() == local.read_bytes()

        many = tmp_path / "many.jsonl"  # ~15 s of work for the one worker here
        many.write_text("".join(json.dumps(case) + "\n" for case in _cases(150_000)))
        out = tmp_path / "out.jsonl"
        running = subprocess.Popen([*command, str(many), "-o", str(out), "--dask", address],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)  # the command has connected and its partitions are being evaluated
        assert running.poll() is None, running.communicate()
        scheduler.kill()
        _, stderr = running.communicate(timeout=120)
        assert running.returncode == 2, stderr
        assert "error: the Dask cluster failed while it evaluated the rows after row" in stderr
        assert "no results were written: check the scheduler and the workers" in stderr
        assert "Traceback" not in stderr and len(stderr.splitlines()) == 1, stderr
        assert not out.exists()
    finally:
        for process in (worker, scheduler):
            process.kill()
            process.wait(timeout=30)
