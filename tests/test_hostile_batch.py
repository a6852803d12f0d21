"""Hostile batch files: bad rows never cost the good ones; no traceback; nothing half-written.

The corpus in `tests/fixtures/hostile/batch/` holds the reproducers of issue
10: `jsonl/` and `csv/` one hostile row per file (the CSV rows go under the
standard header), each with a `.expect` regex its problem must match after
``file:row:`` (so the column comes first); `files/` whole files that are
refused before any work, each with a `.expect` regex for the one error.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from configurator import case_from_data, evaluate
from configurator.cases import batchfile
from configurator.cases.batchfile import MAX_CELL, MAX_ROW, count_rows
from configurator.cases.case import Case
from configurator.cases.outcome import summary_row
from configurator.cli import main
from configurator.environment import Environment
from configurator.errors import CaseError, ConfiguratorError
from configurator.files import atomic_file, write_atomic
from configurator.runs import batch
from configurator.runs.batch import run_batch
from configurator.runs.batch_render import MAX_STEM, _Jobs, file_name
from configurator.runs.pool import exit_on_signals

from .paths import PRODUCT, ROOT
from .strategies import case_data

CORPUS = ROOT / "tests" / "fixtures" / "hostile" / "batch"
HEADER = ("name,policy.start,as_of,applicant.age,applicant.sex,applicant.hbv_status,"
          "applicant.hbsag_positive_months,applicant.alt,applicant.hbv_dna,applicant.afp,"
          "applicant.fatty_liver,events")
APPLICANT = {"age": 40, "sex": "male", "hbv_status": "carrier", "hbsag_positive_months": 24,
             "alt": 30, "hbv_dna": 100, "afp": 3}
REFILL = {"date": "2026-03-01", "type": "antiviral_refill", "days_supply": 90}


def hostile(kind: str) -> list[Path]:
    return sorted(p for p in (CORPUS / kind).iterdir() if p.suffix != ".expect")


def expect(path: Path) -> re.Pattern:
    return re.compile(path.with_suffix(".expect").read_text().strip())


def good_line(number: int) -> bytes:
    """A valid JSON line; ages 15..84 give accepts and declines (eligibility is 18 to 60)."""
    data = {"name": f"good {number}", "policy": {"number": f"P-{number}", "start": "2026-02-01"},
            "as_of": "2026-09-01", "applicant": dict(APPLICANT, age=15 + number % 70),
            "events": [REFILL] if number % 3 else []}
    return json.dumps(data).encode()


def good_record(number: int) -> bytes:
    """A valid CSV record; every seventh one has a line break inside its quoted name."""
    name = f'"good\n{number}"' if number % 7 == 0 else f"good {number}"
    events = '"[{""date"": ""2026-03-01"", ""type"": ""antiviral_refill"", ' \
             '""days_supply"": 90}]"' if number % 3 else ""
    return (f"{name},2026-02-01,2026-09-01,{15 + number % 70},male,carrier,24,30,100,3,,"
            f"{events}").encode()


def problems_by_row(err: str, file: Path) -> dict[int, list[str]]:
    """stderr lines `file:row:rest` -> {row: [rest, ...]}."""
    found: dict[int, list[str]] = {}
    for line in err.splitlines():
        if line.startswith(f"{file}:"):
            row, rest = line[len(f"{file}:"):].split(":", 1)
            found.setdefault(int(row), []).append(rest)
    return found


def no_leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


@pytest.fixture(scope="module")
def shared_env() -> Environment:
    return Environment()


# ------------------------------------------------------------ one hostile row among good ones


@pytest.mark.parametrize("path", hostile("jsonl"), ids=lambda p: p.stem)
def test_a_hostile_json_line_is_reported_and_the_others_written(tmp_path, path, product,
                                                                 shared_env):
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(good_line(1) + b"\n" + path.read_bytes() + good_line(3) + b"\n")
    report = run_batch(product, cases, tmp_path / "out.jsonl", env=shared_env)
    rows = [json.loads(line)["row"] for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert rows == [1, 3] and report.written == 2 and report.skipped == 1
    lines = [str(p).removeprefix("<input>: ") for p in report.problems]
    assert all(line.startswith(f"{cases}:2:") for line in lines), lines
    assert any(expect(path).search(line.removeprefix(f"{cases}:2:")) for line in lines), lines


@pytest.mark.parametrize("path", hostile("csv"), ids=lambda p: p.stem)
def test_a_hostile_csv_row_is_reported_with_its_column_and_the_others_written(
        tmp_path, path, product, shared_env):
    cases = tmp_path / "cases.csv"
    record = path.read_bytes()
    cases.write_bytes(HEADER.encode() + b"\n" + good_record(1) + b"\n" + record
                      + good_record(2) + b"\n")
    report = run_batch(product, cases, tmp_path / "out.csv", env=shared_env)
    after = 3 + record.count(b"\n")  # the good row after the hostile one starts here
    rows = [r["row"] for r in csv.DictReader((tmp_path / "out.csv").open())]
    assert rows == ["2", str(after)] and report.skipped == 1
    lines = [str(p).removeprefix("<input>: ") for p in report.problems]
    assert all(re.match(rf"{re.escape(str(cases))}:3:\d+: ", line) for line in lines), lines
    assert any(expect(path).search(line.removeprefix(f"{cases}:3:")) for line in lines), lines


def test_an_oversize_json_line_is_one_bad_row(tmp_path, product, shared_env):
    cases = tmp_path / "cases.jsonl"
    huge = b'{"name": "' + b"x" * (MAX_ROW + 10) + b'"}'
    cases.write_bytes(good_line(1) + b"\n" + huge + b"\n" + good_line(3) + b"\n")
    report = run_batch(product, cases, tmp_path / "out.jsonl", env=shared_env)
    assert report.written == 2 and report.skipped == 1
    assert str(report.problems[0]).endswith(f"{cases}:2:1: the line is longer than "
                                            f"{MAX_ROW:,} characters")


@pytest.mark.parametrize("column, header", [(1, "name"), (4, "applicant.age")])
def test_a_cell_past_csvs_own_limit_is_one_bad_row(tmp_path, product, shared_env, column,
                                                   header):
    """csv's default limit is 131,072 characters: over it the whole file used to abort."""
    cases = tmp_path / "cases.csv"
    cells = good_record(2).decode().split(",")
    cells[column - 1] = "9" * 140_000
    cases.write_text("\n".join([HEADER, good_record(1).decode(), ",".join(cells),
                                good_record(3).decode()]) + "\n")
    report = run_batch(product, cases, tmp_path / "out.csv", env=shared_env)
    assert report.written == 2 and report.skipped == 1
    assert str(report.problems[0]).endswith(
        f"{cases}:3:{column}: {header}: the cell is 140,000 characters long "
        f"(at most {MAX_CELL:,})")


def test_a_long_events_cell_is_read_whole(tmp_path, product, shared_env):
    """The timeline may pass csv's default limit: only our own, larger, limit applies to it."""
    events = [dict(REFILL, date=f"2026-{3 + i % 7:02d}-01", id=f"refill-{i:05d}")
              for i in range(2_200)]  # many short events: each string within its own limit
    cell = json.dumps(events).replace('"', '""')
    assert len(cell) > 131_072
    cases = tmp_path / "cases.csv"
    cases.write_text(f"{HEADER}\nlong,2026-02-01,2026-09-01,40,male,carrier,24,30,100,3,,"
                     f'"{cell}"\n')
    report = run_batch(product, cases, tmp_path / "out.csv", env=shared_env)
    assert report.problems == [] and report.written == 1


# ------------------------------------------------------------ a thousand good, a hundred bad


def mixed_file(tmp_path: Path, kind: str) -> tuple[Path, list[int], dict[int, Path | None]]:
    """1,000 good rows and 100 hostile ones (every corpus row, round and round, plus the
    oversize ones); returns the file, the good rows' numbers and hostile row -> its fixture."""
    corpus = hostile(kind)
    out = io.BytesIO()
    line, good, bad = 1, [], {}
    if kind == "csv":
        out.write(HEADER.encode() + b"\n")
        line = 2
    for index in range(1100):
        if index % 11 == 5:
            fixture: Path | None = corpus[len(bad) % len(corpus)] if len(bad) < 98 else None
            data = fixture.read_bytes() if fixture else _oversize(kind, len(bad))
            bad[line] = fixture
        else:
            data = (good_line(index) if kind == "jsonl" else good_record(index)) + b"\n"
            good.append(line)
        out.write(data)
        line += data.count(b"\n")
    path = tmp_path / f"cases.{kind}"
    path.write_bytes(out.getvalue())
    return path, good, bad


def _oversize(kind: str, which: int) -> bytes:
    if kind == "jsonl":
        return b'{"name": "' + b"x" * (MAX_ROW + 1) + b'"}\n'
    cells = good_record(1).decode().split(",")
    cells[which % 2] = "x" * (MAX_CELL + 1)
    return ",".join(cells).encode() + b"\n"


@pytest.mark.parametrize("kind, workers", [("jsonl", 2), ("csv", 1), ("csv", 2)])
def test_a_thousand_good_rows_are_written_and_a_hundred_hostile_ones_reported(
        tmp_path, capsys, kind, workers):
    cases, good, bad = mixed_file(tmp_path, kind)
    out = tmp_path / f"out.{kind}"
    code = main(["evaluate", str(PRODUCT), str(cases), "-o", str(out),
                 "--workers", str(workers)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert len(good) == 1000 and len(bad) == 100
    if kind == "jsonl":
        rows = [json.loads(line)["row"] for line in out.read_text().splitlines()]
    else:
        rows = [int(r["row"]) for r in csv.DictReader(out.open(newline=""))]
    assert rows == good
    reported = problems_by_row(err, cases)
    assert sorted(reported) == sorted(bad)
    for row, fixture in bad.items():
        assert all(re.match(r"\d+: ", rest) for rest in reported[row]), reported[row]
        if fixture is not None:
            assert any(expect(fixture).search(rest) for rest in reported[row]), reported[row]
    assert "1000 cases evaluated, 100 rows skipped" in err


# ------------------------------------------------------------ whole files refused before work


@pytest.mark.parametrize("path", hostile("files"), ids=lambda p: p.name)
def test_a_file_level_problem_is_one_clean_error_before_any_work(tmp_path, capsys, path,
                                                                 monkeypatch):
    monkeypatch.chdir(path.parent)
    out = tmp_path / "out.jsonl"
    code = main(["evaluate", str(PRODUCT), path.name, "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert expect(path).search(err), err
    assert not out.exists() and not no_leftovers(tmp_path)


def test_render_refuses_a_bad_file_before_making_the_folder(tmp_path, capsys):
    out = tmp_path / "policies"
    code = main(["render", str(PRODUCT), "--cases",
                 str(CORPUS / "files" / "header_collision.csv"), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "header_collision.csv:1:13: columns 4 'applicant.age' and 13" in err
    assert not out.exists()


def test_quoted_line_breaks_are_not_counted_as_skipped_rows(tmp_path, capsys):
    cases = tmp_path / "cases.csv"
    cases.write_bytes(b"\n".join([HEADER.encode(), *(good_record(n) for n in (7, 14, 15))])
                      + b"\n")
    assert count_rows(cases) == 3
    code = main(["evaluate", str(PRODUCT), str(cases), "-o", str(tmp_path / "out.csv")])
    assert code == 0
    assert "3 cases evaluated, 0 rows skipped" in capsys.readouterr().err


def test_a_byte_order_mark_and_crlf_line_ends_are_read(tmp_path, product, shared_env):
    cases = tmp_path / "cases.csv"
    cases.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join([HEADER.encode(), good_record(1),
                                                      good_record(7)]) + b"\r\n")
    report = run_batch(product, cases, tmp_path / "out.csv", env=shared_env)
    assert report.problems == [] and report.written == 2


def test_an_unclosed_quote_costs_the_rows_it_swallows_not_the_file(tmp_path, product,
                                                                     shared_env):
    """The open quote runs to the end of the file: one bad row, reported where it starts."""
    cases = tmp_path / "cases.csv"
    cases.write_bytes(b"\n".join([HEADER.encode(), good_record(1), b'"never closed,'
                                  + good_record(3), good_record(6)]) + b"\n")
    report = run_batch(product, cases, tmp_path / "out.csv", env=shared_env)
    assert report.written == 1 and report.skipped == 1 and report.total == 2
    assert f"{cases}:3:2: this row has 1 cells; the header has 12" in str(report.problems[0])


# ------------------------------------------------------------ any row: the property


def mutations(base: bytes) -> st.SearchStrategy[bytes]:
    """A JSON line made hostile: a value swapped for a strange one, a key dropped, or bytes
    spliced in."""
    strange = st.one_of(
        st.sampled_from([None, [], {}, ["a"], "\ud800", 10 ** 50, -1, "9999-12-31",
                         "2026-02-30", 1e308, "NaN", [[[[[]]]]]]),
        st.text(max_size=8), st.integers(), st.floats())
    data = json.loads(base)
    paths = [("name",), ("as_of",), ("policy",), ("policy", "start"), ("applicant",),
             ("events",)] + [("applicant", key) for key in data["applicant"]]

    def swap(path_value):
        path, value = path_value
        changed = json.loads(base)
        target = changed
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return json.dumps(changed).encode()

    def drop(path):
        changed = json.loads(base)
        target = changed
        for key in path[:-1]:
            target = target[key]
        target.pop(path[-1], None)
        return json.dumps(changed).encode()

    def splice(at_bytes):
        at, extra = at_bytes
        at %= len(base) + 1
        return (base[:at] + extra + base[at:]).replace(b"\n", b" ").replace(b"\r", b" ")

    return st.one_of(st.tuples(st.sampled_from(paths), strange).map(swap),
                     st.sampled_from(paths).map(drop),
                     st.tuples(st.integers(0, 10_000), st.binary(min_size=1, max_size=3))
                     .map(splice))


@st.composite
def batch_lines(draw, product) -> list[bytes]:
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        good = json.dumps(draw(case_data(product, max_years=1, max_events=4))).encode()
        lines.append(draw(st.one_of(st.just(good), mutations(good))))
    return lines


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_batch_is_written_and_reported_row_by_row_as_alone(tmp_path, product, compiled,
                                                               shared_env, data):
    lines = data.draw(batch_lines(product))
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"
    out.unlink(missing_ok=True)
    try:
        report = run_batch(product, cases, out, env=shared_env)
    except CaseError as exc:  # a file-level refusal: nothing written, one clean error
        assert not out.exists() and all(p.span for p in exc.problems)
        return
    assert report.written + report.skipped == report.total == len(lines)
    written = {row["row"]: row for row in map(json.loads, out.read_text().splitlines())}
    for number, line in enumerate(lines, 1):
        if number not in written:
            continue
        case = case_from_data(json.loads(line), product)
        alone = summary_row(number, evaluate(compiled, case), case.name)
        assert written[number] == json.loads(json.dumps(alone, ensure_ascii=False))


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.tuples(st.integers(1, 60), st.integers(0, 200),
                                  st.binary(max_size=3)), min_size=1, max_size=8))
def test_any_csv_batch_counts_every_record_once(tmp_path, product, shared_env, records):
    """Bytes spliced anywhere into CSV records (quotes, commas, line breaks, non-UTF-8):
    every record is written or reported, none twice, and the run never raises."""
    lines = []
    for number, at, extra in records:
        record = good_record(number)
        at %= len(record) + 1
        lines.append(record[:at] + extra + record[at:])
    cases = tmp_path / "cases.csv"
    cases.write_bytes(HEADER.encode() + b"\n" + b"\n".join(lines) + b"\n")
    out = tmp_path / "out.csv"
    out.unlink(missing_ok=True)
    try:
        report = run_batch(product, cases, out, env=shared_env)
    except CaseError as exc:
        assert not out.exists() and all(p.span for p in exc.problems)
        return
    written = list(csv.DictReader(out.open(newline="")))
    assert len(written) == report.written
    assert report.written + report.skipped == report.total == count_rows(cases)
    assert len({str(p).split(":")[2] for p in report.problems}) == report.skipped


# ------------------------------------------------------------ full disk, kills, signals


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("unnamed", [True, False], ids=["O_TMPFILE", "named-temporary"])
def test_a_full_disk_is_a_clean_error_and_leaves_no_file(tmp_path, capsys, monkeypatch,
                                                         unnamed):
    from configurator import files

    if not unnamed:
        monkeypatch.setattr(files, "_unnamed_file", lambda folder: None)
    monkeypatch.setattr(batch._Rows, "write", _disk_full)
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(good_line(1) + b"\n")
    out = tmp_path / "out.jsonl"
    code = main(["evaluate", str(PRODUCT), str(cases), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip() == f"error: {out}: No space left on device; no results were written " \
                          f"to {out}"
    assert not out.exists() and not no_leftovers(tmp_path)


@pytest.mark.parametrize("unnamed", [True, False], ids=["O_TMPFILE", "named-temporary"])
def test_an_atomic_file_is_whole_or_absent(tmp_path, monkeypatch, unnamed):
    from configurator import files

    if not unnamed:
        monkeypatch.setattr(files, "_unnamed_file", lambda folder: None)
    target = tmp_path / "doc.pdf"
    write_atomic(target, b"old")
    with pytest.raises(OSError, match="No space"):
        with atomic_file(target, "wb") as handle:
            handle.write(b"half a new")
            if not unnamed:
                assert no_leftovers(tmp_path)  # the named temporary is there while writing
            _disk_full()
    assert target.read_bytes() == b"old" and not no_leftovers(tmp_path)
    assert write_atomic(target, "new").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.pdf"]


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE"), reason="Linux only")
def test_an_unnamed_file_has_no_name_until_it_is_done(tmp_path):
    with atomic_file(tmp_path / "out.jsonl") as handle:
        handle.write("row\n")
        assert list(tmp_path.iterdir()) == []
    assert (tmp_path / "out.jsonl").read_text() == "row\n"
    (tmp_path / "plain").write_text("")
    assert (tmp_path / "out.jsonl").stat().st_mode == (tmp_path / "plain").stat().st_mode


def test_sigterm_becomes_an_exception_so_temporary_files_go(tmp_path, monkeypatch):
    from configurator import files

    monkeypatch.setattr(files, "_unnamed_file", lambda folder: None)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as stopped:
        with exit_on_signals(), atomic_file(tmp_path / "out.jsonl") as handle:
            handle.write("half")
            assert no_leftovers(tmp_path)
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
    assert stopped.value.code == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) == before


def descendants(pid: int) -> list[int]:
    """Children of `pid` (its workers and multiprocessing's resource tracker), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["KILL", "TERM"])
def test_workers_die_with_their_parent(tmp_path, signum):
    cases = tmp_path / "cases.jsonl"  # ~5 s of work on 2 workers here: killed well before
    lines = [good_line(n) + b"\n" for n in range(210)]  # every age, with and without events
    cases.write_bytes(b"".join(lines[n % 210] for n in range(200_000)))
    out = tmp_path / "out.jsonl"
    log = (tmp_path / "log").open("w")
    parent = subprocess.Popen([sys.executable, "-m", "configurator", "evaluate", str(PRODUCT),
                               str(cases), "-o", str(out), "--workers", "2"],
                              stdout=log, stderr=log, cwd=ROOT)
    deadline = time.monotonic() + 60
    while len(descendants(parent.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)  # two workers and the resource tracker
    time.sleep(0.5)  # the workers at work
    children = descendants(parent.pid)
    assert len(children) >= 3 and parent.poll() is None, "the batch ended before the kill"
    os.kill(parent.pid, signum)
    parent.wait(10)
    deadline = time.monotonic() + 5
    while any(map(alive, children)) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [pid for pid in children if alive(pid)]
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert survivors == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.jsonl", "log"]
    if signum == signal.SIGTERM:
        assert parent.returncode == 128 + signal.SIGTERM
        assert "Traceback" not in (tmp_path / "log").read_text()


WATCHED = ("import ctypes, os, time\n"
           "def no_libc(*args, **kwargs): raise OSError('no prctl here')\n"
           "ctypes.CDLL = no_libc\n"
           "from configurator.runs.pool import die_with_parent\n"
           "die_with_parent(os.getppid()); print(os.getpid(), flush=True); time.sleep(60)")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_without_the_kernels_help_the_watchdog_ends_an_orphaned_worker():
    middle = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys, time; "
         f"subprocess.Popen([sys.executable, '-c', {WATCHED!r}]); time.sleep(20)"],
        stdout=subprocess.PIPE, cwd=ROOT)
    with middle.stdout:
        worker = int(middle.stdout.readline())
        assert alive(worker)
        middle.kill()
        middle.wait()
        deadline = time.monotonic() + 5
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
    survived = alive(worker)
    if survived:
        os.kill(worker, signal.SIGKILL)
    assert not survived


MID_SEND = """
import os, signal, sys, time
from configurator.runs.pool import spawn_pool

def nothing():
    pass

def big(flag):
    data = b"x" * (256 << 20)
    open(flag, "w").close()
    return data

def reading_body(thread):
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code.co_name == "_recv" and frame.f_locals.get("remaining", 0) > 16 << 20:
            return True
        frame = frame.f_back
    return False

if __name__ == "__main__":
    flag = sys.argv[1]
    manager = None
    try:
        with spawn_pool(1, nothing, ()) as pool:
            for attempt in range(5):  # until caught halfway through a result (at once, so far)
                sent = pool.submit(big, flag)
                manager = pool._executor_manager_thread
                while not sent.done() and not (os.path.exists(flag) and reading_body(manager)):
                    time.sleep(0.001)
                if not sent.done():
                    break
                os.remove(flag)
            else:
                raise SystemExit("never caught a result halfway")
            worker = next(iter(pool._processes.values()))
            os.kill(worker.pid, signal.SIGKILL)  # 16 MB of its result still unsent
            raise SystemExit(3)
    finally:
        print("manager", "alive" if manager is not None and manager.is_alive() else "gone",
              flush=True)
"""


def test_a_worker_killed_while_it_sends_a_result_does_not_hang_the_parents_exit(tmp_path):
    # the executor's manager thread, reading the rest of that result, waited for ever (this
    # process holds the pipe's other end) and the interpreter's exit joined it with no timeout:
    # a SIGTERM'd batch sometimes never ended (test_workers_die_with_their_parent[TERM], in CI)
    script = tmp_path / "mid_send.py"
    script.write_text(MID_SEND)
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "flag")], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (3, "manager gone\n"), done.stderr
    assert "Traceback" not in done.stderr


def test_a_worker_whose_parent_is_already_gone_exits_at_once():
    code = subprocess.run([sys.executable, "-c", "from configurator.runs.pool import "
                           "die_with_parent; die_with_parent(-5); import time; time.sleep(60)"],
                          cwd=ROOT, timeout=30).returncode
    assert code == 1


# ------------------------------------------------------------ output names


def a_case(number: str | None) -> Case:
    return Case(start=dt.date(2026, 1, 1), as_of=dt.date(2026, 1, 1), applicant={},
                policy_number=number)


@pytest.mark.parametrize("number", ["P" * 300, "../../etc/passwd", "/abs/path", "..", ".",
                                    "a\x00b", "\u00e9" * 300, "CON", "x" * 5000, "-rf"])
def test_output_names_are_safe_and_bounded(number):
    name = file_name(a_case(number), 7, "pdf")
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.pdf", name), name
    assert len(name) <= MAX_STEM + 4


def test_a_full_disk_stops_a_render_batch_cleanly(tmp_path, product, monkeypatch):
    from configurator.runs import batch_render

    monkeypatch.setattr(batch_render, "_document", lambda case: b"%PDF")
    monkeypatch.setattr(batch_render, "write_atomic", _disk_full)
    target = str(tmp_path / "P-1.pdf")
    answer = batch_render.render_one(2, a_case("P-1"), target)
    assert answer[:3] == (2, "stop", f"{target}: No space left on device")
    with pytest.raises(ConfiguratorError, match="No space left on device; the run stopped"):
        batch_render._take(batch_render.BatchResult(), product, (2, a_case("P-1"), target),
                           answer, None)


def test_any_exception_while_rendering_costs_one_row(tmp_path, monkeypatch):
    from configurator.runs import batch_render

    def overflow(case):
        raise OverflowError("cannot convert float infinity to integer")

    monkeypatch.setattr(batch_render, "_document", overflow)
    row, status, message, _ = batch_render.render_one(4, a_case("P-1"), str(tmp_path / "x.pdf"))
    assert (row, status) == (4, "failed")
    assert message.startswith("<case>:4:1: internal error while rendering this row "
                              "(OverflowError: cannot convert float infinity to integer)")


def test_long_policy_numbers_keep_distinct_names():
    a, b = (file_name(a_case("P" * 300 + tail), 1, "pdf") for tail in "ab")
    assert a != b and len(a) <= MAX_STEM + 4


def test_output_names_are_unique_ignoring_case(tmp_path, product):
    jobs = _Jobs(product, tmp_path / "cases.jsonl", tmp_path, "pdf", None)
    names = [jobs.unique(name, row) for row, name in
             enumerate(["A.pdf", "a.pdf", "A-row-3.pdf", "A.pdf", "A.pdf"], 1)]
    assert len({n.casefold() for n in names}) == 5, names


def test_a_batch_of_policies_with_hostile_numbers_stays_in_its_folder(tmp_path, capsys):
    cases = tmp_path / "cases.jsonl"
    numbers = ["P" * 300, "P" * 300 + "x", "../../escape", "A", "A", "a"]
    rows = [json.loads(good_line(20)) for _ in numbers]
    for row, number in zip(rows, numbers, strict=True):
        row["policy"]["number"] = number
    cases.write_text("\n".join(json.dumps(r) for r in rows) + "\n\"not a case\"\n")
    out = tmp_path / "policies"
    code = main(["render", str(PRODUCT), "--cases", str(cases), "-o", str(out),
                 "--format", "html"])
    captured = capsys.readouterr()
    assert code == 2 and "Traceback" not in captured.err
    assert f"{cases}:7:1: expected a mapping" in captured.err
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 6 and all(len(n) <= MAX_STEM + 5 for n in names), names
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.jsonl", "policies"]


# ------------------------------------------------------------ messages


def test_problem_text_is_one_printable_bounded_line():
    text = batchfile.printable("a\nb\r\x1b[31m\ud800" + "x" * 1000)
    assert "\n" not in text and "\r" not in text and "\x1b" not in text
    assert "\\ud800" in text and len(text) < 600
    text.encode("utf-8")


def test_any_exception_below_costs_one_row(tmp_path, product, monkeypatch, shared_env):
    import sys

    module = sys.modules["configurator.cases.case"]
    real = module.data_problems  # from product/, so looked up at each call, compiled or not

    def flaky(doc):
        if doc.data.get("name") == "boom":
            raise RecursionError("maximum recursion depth exceeded")
        return real(doc)

    monkeypatch.setattr(module, "data_problems", flaky)
    cases = tmp_path / "cases.jsonl"
    boom = json.loads(good_line(2))
    boom["name"] = "boom"
    cases.write_bytes(b"\n".join([good_line(1), json.dumps(boom).encode(), good_line(3)]))
    report = run_batch(product, cases, tmp_path / "out.jsonl", env=shared_env)
    assert report.written == 2
    assert str(report.problems[0]).endswith(
        f"{cases}:2:1: internal error while checking this row (RecursionError: maximum "
        "recursion depth exceeded); this is a bug in configurator; please report it with the row")


def test_a_cases_file_that_cannot_be_read_is_a_clean_error(tmp_path, product, shared_env):
    (tmp_path / "cases.jsonl").mkdir()
    with pytest.raises(CaseError, match=r"cases\.jsonl:1:1: cannot read the file: Is a directory"):
        run_batch(product, tmp_path / "cases.jsonl", tmp_path / "out.jsonl", env=shared_env)
    assert not (tmp_path / "out.jsonl").exists()


def test_an_output_that_cannot_be_written_is_a_clean_error(tmp_path, product, shared_env):
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(good_line(1) + b"\n")
    (tmp_path / "out.jsonl").mkdir()
    with pytest.raises(ConfiguratorError, match="Is a directory"):
        run_batch(product, cases, tmp_path / "out.jsonl", env=shared_env)
    assert not no_leftovers(tmp_path)


def _typed(value):
    """A JSON value with every scalar's type beside it (1, 1.0 and True compare equal)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, float) and value != value:
        return ("nan", float)
    return (value, type(value))


_SCALARS = (st.integers(-(2 ** 70), 2 ** 70) | st.floats() | st.booleans() | st.none()
            | st.text(max_size=8) | st.sampled_from(["\ud800", "x\udfff", "é", "\x00"]))
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=4), inner, max_size=4), max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(value=_JSON, spaces=st.booleans(), escaped=st.booleans(), cut=st.integers(0, 40))
def test_json_lines_are_read_exactly_as_json_reads_them(value, spaces, escaped, cut):
    """orjson reads most lines (faster), but a line must come out as json.loads reads it:
    big integers stay integers, NaN and lone surrogates (escaped or raw) are read (and
    reported later), and a broken line gets json's error message."""
    text = json.dumps(value, separators=(", ", ": ") if spaces else (",", ":"),
                      ensure_ascii=escaped)
    for line in (text, text[:cut], text + "x"):
        try:
            expected = (_typed(json.loads(line, parse_int=batchfile._whole_number)), None)
        except json.JSONDecodeError as exc:
            expected = (None, (exc.colno, "", f"invalid JSON: {exc.msg}"))
        data, error = batchfile.load_json(line)
        assert (None if error else _typed(data), error) == expected


_TEXT_SCALARS = (st.integers(-(10 ** 19), 10 ** 19) | st.floats() | st.booleans() | st.none()
                 | st.text(max_size=6)
                 | st.sampled_from(["\ud800", "x\udfff", "\x00", "{[", 2 ** 63, 2 ** 64,
                                    -(2 ** 63) - 1, 10 ** 25, 10 ** 18, 1e-310,
                                    1.7976931348623157e308, "x" * 9_990]))
_TEXT_DATA = st.recursive(_TEXT_SCALARS, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=4), inner, max_size=4),
                          max_leaves=12)


@settings(max_examples=500, deadline=None)
@given(value=_TEXT_DATA | st.builds(lambda v, d: _nested(v, d), _TEXT_DATA, st.integers(26, 34)),
       escaped=st.booleans(), spaces=st.booleans())
def test_a_line_within_limits_by_its_text_is_within_them_by_its_data(value, escaped, spaces):
    """`parse_line` skips the walk of `within_limits` for a line `within_by_text` passes and
    orjson reads: the data must then be within every limit, and read as json reads it."""
    from configurator.cases.plain import within_limits

    line = json.dumps(value, ensure_ascii=escaped,
                      separators=(", ", ": ") if spaces else (",", ":"))
    if not batchfile.within_by_text(line):
        return
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return  # read by json, then walked
    assert within_limits(data)
    assert _typed(data) == _typed(batchfile.load_json(line)[0])
    assert batchfile.parse_line(4, line) == (4, data, None, {})


def test_a_typical_row_is_read_without_the_walk_and_a_deep_one_with_it():
    line = good_line(1).decode()
    assert batchfile.within_by_text(line)
    deep = json.dumps({**json.loads(line), "x": _nested(1, 33)})
    assert not batchfile.within_by_text(deep)
    number, data, problems, _ = batchfile.parse_line(7, deep)
    assert problems and "nested more than 32 levels deep" in problems[0][2]


_LIMIT_SCALARS = (st.integers(-(10 ** 25), 10 ** 25) | st.floats() | st.booleans() | st.none()
                  | st.dates() | st.text(max_size=4)
                  | st.sampled_from(["\ud800", "é\udfff", "x" * 10_000, "x" * 10_001, 2 ** 80,
                                     10 ** 23, -(10 ** 24), math.nan, math.inf, -math.inf]))
_LIMIT_DATA = st.recursive(_LIMIT_SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=3) | st.sampled_from(
                               ["\udc80", "k" * 10_001]), inner, max_size=3), max_leaves=10)


def _nested(value, depth: int):
    for _ in range(depth):
        value = [value]
    return value


@settings(max_examples=400, deadline=None)
@given(data=_LIMIT_DATA | st.builds(_nested, _LIMIT_DATA, st.integers(28, 36)))
def test_a_row_is_within_limits_exactly_when_neither_check_finds_a_problem(data):
    """`within_limits` lets a row skip the two walks that word its problems: it must say
    True only when both would find none (and False otherwise, so nothing is walked twice)."""
    from configurator.cases.plain import within_limits
    from configurator.product.source import Document, data_problems

    clean = not batchfile.data_problems(data) and not data_problems(Document("f", data))
    assert within_limits(data) == clean
