"""Hostile input against the registry and the audit trail (issue 10: item 6, half of 8).

Every damaged database gives a clean message and exit code, never a traceback:
the reproducers in ``tests/fixtures/hostile/registry/`` (a SQL script each,
with the words each command must then print), an empty file, read-only files
and folders, a full disk, broken key files, out-of-range filters, and bytes
changed at random in a real database (hypothesis). ``audit verify`` never says
ok about a file whose recorded rows differ from what was recorded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from configurator import evaluate
from configurator.cli import main
from configurator.cli import registry as registry_cli
from configurator.registry import db as registry_db
from configurator.registry.audit import evaluation_row, record_document, record_evaluation
from configurator.registry.audit_show import AuditFilter, show, shown
from configurator.registry.db import StoreError, row_digest
from configurator.registry.store import Store

from .paths import CASE, PRODUCT, ROOT
from .test_store import Clock, build_v1_database, publish_fully

FIXTURES = ROOT / "tests" / "fixtures" / "hostile" / "registry"
REPRODUCERS = sorted(FIXTURES.glob("*.sql"))
RECORDED = ("registry_log", "evaluations", "documents", "versions")


@pytest.fixture(autouse=True)
def _no_outside_configuration(monkeypatch) -> None:
    monkeypatch.delenv("CONFIGURATOR_SECRET_FILE", raising=False)
    monkeypatch.delenv("CONFIGURATOR_DB", raising=False)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, product, case, compiled) -> Path:
    """hepatitis_b@1.0.0 published, three recorded evaluations and one document; closed,
    so the file holds everything (no -wal beside it)."""
    path = tmp_path_factory.mktemp("pristine") / "trail.db"
    outcome = evaluate(compiled, case)
    with Store(path, clock=Clock()) as store:
        publish_fully(store, PRODUCT, "2026-01-01")
        for _ in range(3):
            record_evaluation(store, product, case, outcome)
        record_document(store, product, case, b"%PDF-1.7 one policy")
    assert not Path(f"{path}-wal").exists()
    return path


def recorded(path: Path) -> dict[str, list]:
    """Every recorded row and the chain tips, read as raw bytes with plain sqlite3."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        conn.text_factory = bytes
        rows = {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
                for table in RECORDED}
        rows["tips"] = conn.execute("SELECT * FROM meta WHERE key LIKE 'tip:%' ORDER BY key"
                                    ).fetchall()
    return rows


@pytest.fixture(scope="module")
def pristine_rows(pristine: Path) -> dict[str, list]:
    return recorded(pristine)


def copy_of(pristine: Path, folder: Path) -> Path:
    """The pristine database and its case-key secret, copied into `folder`."""
    for name in (pristine.name, f"{pristine.name}.key"):
        shutil.copy2(pristine.parent / name, folder / name)
    return folder / pristine.name


@pytest.fixture
def trail(pristine: Path, tmp_path: Path) -> Path:
    return copy_of(pristine, tmp_path)


def run(capsys, *args: object) -> tuple[int, str]:
    """The CLI in-process: (exit code, stdout + stderr); an exception fails the test."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Traceback" not in text
    return code, text


def tamper(path: Path, script: str) -> None:
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(script)


def evaluations(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT count(*) FROM evaluations").fetchone()[0]


# ------------------------------------------------------------ the reproducers


def expectations(path: Path) -> list[tuple[list[str], int, str]]:
    """``COMMAND ARGS => EXIT WORDS`` lines of a ``.expect`` file."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            command, _, expected = line.partition(" => ")
            code, _, words = expected.partition(" ")
            args = [str(CASE) if a == "{case}" else a for a in shlex.split(command)]
            found.append((args, int(code), words))
    return found


def test_every_reproducer_has_its_expectations() -> None:
    assert len(REPRODUCERS) >= 15
    assert {p.stem for p in REPRODUCERS} == {p.stem for p in FIXTURES.glob("*.expect")}


@pytest.mark.parametrize("script", REPRODUCERS, ids=lambda p: p.stem)
def test_a_damaged_database_gives_a_clean_message(capsys, trail: Path, script: Path) -> None:
    expected = expectations(script.with_suffix(".expect"))
    assert expected
    tamper(trail, script.read_text(encoding="utf-8"))
    for args, code, words in expected:
        got, text = run(capsys, *args, "--db", trail)
        assert (got, words in text) == (code, True), (args, text)


def test_a_linked_row_added_by_hand_makes_recording_refuse_with_the_verify_message(
        capsys, trail: Path) -> None:
    """Issue 10: a row appended by hand then ``evaluate --record`` failed with
    "UNIQUE constraint failed"; here the row is even linked and hashed correctly."""
    with closing(sqlite3.connect(trail)) as conn:
        conn.row_factory = sqlite3.Row
        last = dict(conn.execute("SELECT * FROM evaluations ORDER BY seq DESC LIMIT 1"
                                 ).fetchone())
        row = {**last, "seq": last["seq"] + 1, "decision": "decline", "prev_hash": last["hash"]}
        row["hash"] = row_digest(row)
        conn.execute(f"INSERT INTO evaluations ({', '.join(row)}) VALUES "
                     f"({', '.join('?' * len(row))})", list(row.values()))
        conn.commit()
    words = ("evaluations row 4: the chain was recorded up to row 3, so rows from 4 on were "
             "added outside configurator")
    code, text = run(capsys, "audit", "verify", "--db", trail)
    assert code == 1 and f"TAMPERED {words}" in text
    code, text = run(capsys, "evaluate", "hepatitis_b@1.0.0", CASE, "--record", "--db", trail)
    assert code == 2 and f"nothing was recorded: the evaluations chain does not verify " \
                         f"({words})" in text and "run 'configurator audit verify'" in text
    assert evaluations(trail) == 4


# ------------------------------------------------------------ empty files and SQLite's own check


def test_a_database_truncated_to_nothing_fails_verification(capsys, trail: Path) -> None:
    """Issue 10: a database truncated to 0 bytes passed ``audit verify`` ("ok, 0 rows")."""
    trail.write_bytes(b"")
    code, text = run(capsys, "audit", "verify", "--db", trail)
    assert code == 1 and "ok:" not in text
    assert "CORRUPT" in text and "holds no registry or audit trail: the file is empty " \
                                 "(0 bytes); it was truncated" in text
    for args in (["history", "hepatitis_b"], ["audit", "show"],
                 ["evaluate", "hepatitis_b@1.0.0", CASE], ["approve", "hepatitis_b@1.0.0",
                                                            "--by", "bob"],
                 ["evaluate", PRODUCT, CASE, "--record"]):
        code, text = run(capsys, *args, "--db", trail)
        assert code == 2 and "holds no registry or audit trail" in text, (args, text)
    assert trail.read_bytes() == b""  # nothing created a fresh, empty registry in its place


def test_a_corrupt_index_page_is_named_by_sqlites_integrity_check(capsys, trail: Path) -> None:
    """A page SQLite flags, though every row and chain is intact, is reported (issue 10)."""
    with closing(sqlite3.connect(trail)) as conn:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = "
                            "'idx_evaluations_recorded_at'").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(trail.read_bytes())
    start = (root - 1) * size
    at = data.index(b"T09:00:0", start, start + size) + len("T09:0")
    data[at] = ord("7")  # one recorded time, in the index only
    trail.write_bytes(bytes(data))
    code, text = run(capsys, "audit", "verify", "--db", trail)
    assert code == 1 and "CORRUPT SQLite integrity_check:" in text, text
    assert "idx_evaluations_recorded_at" in text and "TAMPERED" not in text


def test_a_byte_changed_inside_recorded_content_never_verifies(capsys, trail: Path,
                                                               pristine_rows) -> None:
    """Change one byte of each occurrence of recorded values: wherever the file still holds
    a live copy, verify fails; it says ok only when what it vouches for is untouched (a
    stale copy in free space)."""
    original = trail.read_bytes()
    with closing(sqlite3.connect(trail)) as conn:
        chained = conn.execute("SELECT e.hash, e.case_hash, e.engine_version, d.sha256 FROM "
                               "evaluations e, documents d WHERE e.seq = 2").fetchone()
    needles = (b'"decision":"accept"', b"alice", b"hepatitis_b", b"2026-03-01T09:00:0",
               *(value.encode() for value in chained))
    for needle in needles:
        failed, start = 0, 0
        while (at := original.find(needle, start)) >= 0 and start < len(original):
            start = at + 1
            data = bytearray(original)
            data[at + len(needle) // 2] ^= 0x01
            trail.write_bytes(bytes(data))
            code, _ = run(capsys, "audit", "verify", "--db", trail)
            assert code in (0, 1, 2)
            if code == 0:
                assert recorded(trail) == pristine_rows, (needle, at)
            failed += code != 0
        assert failed, needle


def test_audit_show_refuses_a_trail_whose_columns_were_renamed(capsys, trail: Path) -> None:
    """Found by the random corruption below (in CI): a byte flipped in the stored schema
    renamed `case_key`; every row still read, and `audit show` failed with a KeyError."""
    with closing(sqlite3.connect(trail)) as conn:
        conn.execute("ALTER TABLE evaluations RENAME COLUMN case_key TO case_kez")
        conn.commit()
    for args in (["audit", "show"], ["audit", "show", "--json"]):
        code, text = run(capsys, *args, "--db", trail)
        assert code == 2 and "evaluations: the table's columns are not the ones configurator " \
            "made" in text, text
    code, text = run(capsys, "audit", "verify", "--db", trail)
    assert code == 1 and "columns are not the ones configurator made" in text, text


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.tuples(st.integers(0, 2**31), st.integers(1, 255)), min_size=1,
                        max_size=12))
def test_random_corruption_never_crashes_and_never_passes_altered_rows(
        capsys, pristine: Path, pristine_rows, changes: list[tuple[int, int]]) -> None:
    """Issue 10: bytes flipped at random in a copy of a real database made ``audit verify``
    traceback 93 times in 151. Now: exit 0, 1 or 2 with a message, and an ok verify only
    for a file whose recorded rows are the pristine ones."""
    data = bytearray(pristine.read_bytes())
    for offset, mask in changes:
        data[offset % len(data)] ^= mask
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trail.db"
        path.write_bytes(bytes(data))
        codes = {}
        for args in (["audit", "verify"], ["history", "hepatitis_b"], ["audit", "show"],
                     ["audit", "show", "--json"]):
            code, text = run(capsys, *args, "--db", path)
            assert code in (0, 1, 2) and text.strip(), (args, text)
            codes[" ".join(args)] = code
        if codes["audit verify"] == 0:
            assert recorded(path) == pristine_rows


# ------------------------------------------------------------ filters out of range


@pytest.mark.parametrize("args, code, words", [
    (["--until", "9999-12-31"], 0, "3 rows"),                  # issue 10: date overflow
    (["--since", "9999-12-31"], 0, "0 rows"),
    (["--since", "0001-01-01", "--until", "0001-01-01"], 0, "0 rows"),
    (["--limit", "99999999999999999999"], 2, "99999999999999999999 is not in the range "
                                             "1<=x<=9223372036854775807"),  # issue 10
    (["--limit", "0"], 2, "is not in the range"),
    (["--limit", "2"], 0, "2 rows"),
    (["--until", "99999-01-01"], 2, "is not a date; write YYYY-MM-DD"),
])
def test_audit_show_filters_at_and_past_their_limits(capsys, trail: Path, args, code,
                                                     words) -> None:
    got, text = run(capsys, "audit", "show", *args, "--db", trail)
    assert (got, words in text) == (code, True), text


def test_the_library_refuses_a_limit_sqlite_cannot_hold(trail: Path) -> None:
    with Store(trail, readonly=True) as store:
        assert len(show(store, AuditFilter(limit=2**63 - 1))) == 3
        with pytest.raises(StoreError, match="the limit must be a whole number from 1"):
            show(store, AuditFilter(limit=2**64))


# ------------------------------------------------------------ full disks and key files


def test_a_full_disk_records_nothing_and_says_so(capsys, trail: Path, monkeypatch) -> None:
    """SQLITE_FULL ("database or disk is full") in the middle of recording (issue 10)."""
    tamper(trail, "VACUUM")  # no free pages: the new row must grow the file
    opened = registry_db.open_connection

    def no_room(path: Path, target: str, uri: bool = False):
        connection = opened(path, target, uri)
        connection.execute("PRAGMA max_page_count = 1")  # the file may not grow at all
        return connection

    monkeypatch.setattr(registry_db, "open_connection", no_room)
    code, text = run(capsys, "evaluate", PRODUCT, CASE, "--record", "--db", trail)
    assert code == 2 and "is full (database or disk is full); nothing was recorded" in text
    monkeypatch.undo()
    code, text = run(capsys, "audit", "verify", "--db", trail)
    assert code == 0 and "evaluations: 3 rows" in text


def test_a_disk_that_refuses_to_write_is_a_clean_error(trail: Path) -> None:
    """A real write failure from the operating system (a file size limit), in a process."""
    script = ("import resource, sys\nfrom configurator.cli import main\n"
              "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
              "sys.exit(main(sys.argv[1:]))\n")
    result = subprocess.run([sys.executable, "-c", script, "evaluate", str(PRODUCT), str(CASE),
                             "--record", "--db", str(trail)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert f"reading or writing {trail} failed (disk I/O error)" in result.stderr
    assert evaluations(trail) == 3


@pytest.mark.parametrize("damage, words", [
    ("directory", "the case-key secret {key} is not a file"),
    ("binary", "the case-key secret {key} is not at least 16 bytes written in hex"),
    ("short", "the case-key secret {key} is not at least 16 bytes written in hex"),
    ("uncreatable", "cannot read or create the case-key secret {key} ("),
])
def test_a_broken_case_key_secret_is_a_clean_error(capsys, trail: Path, monkeypatch, damage,
                                                   words) -> None:
    key = Path(f"{trail}.key")
    if damage == "directory":
        key.unlink()
        key.mkdir()
    elif damage in ("binary", "short"):
        key.write_bytes(b"\xff\xfe\x00garbage" if damage == "binary" else b"abcd\n")
    else:
        (trail.parent / "not-a-folder").write_text("x")
        key = trail.parent / "not-a-folder" / "secret.key"
        monkeypatch.setenv("CONFIGURATOR_SECRET_FILE", str(key))
    code, text = run(capsys, "evaluate", PRODUCT, CASE, "--record", "--db", trail)
    assert code == 2 and words.format(key=key) in text, text
    assert evaluations(trail) == 3


# ------------------------------------------------------------ read-only files and folders


UNPRIVILEGED_RUNNER = """
import contextlib, io, json, sys
from configurator.cli import main
results = []
for args in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except BaseException as exc:  # reported, so the test names it
            code = f"raised {type(exc).__name__}: {exc}"
    results.append([code, out.getvalue() + err.getvalue()])
print(json.dumps(results))
"""


def unprivileged() -> list[str]:
    """A command prefix under which file permissions apply (root bypasses them)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"] if setpriv else []
    if not prefix or subprocess.run([*prefix, "true"]).returncode != 0:
        pytest.skip("running as root without setpriv: file permissions cannot be tested")
    return prefix


def run_unprivileged(commands: list[list[object]]) -> list[tuple[object, str]]:
    argv = json.dumps([[str(a) for a in command] for command in commands])
    result = subprocess.run([*unprivileged(), sys.executable, "-c", UNPRIVILEGED_RUNNER, argv],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return [tuple(r) for r in json.loads(result.stdout)]


def read_only(*paths: Path) -> None:
    for path in paths:
        path.chmod(0o555 if path.is_dir() else 0o444)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


READING = [  # (command, exit, words): what works on a read-only database
    (["history", "hepatitis_b"], 0, "published"),
    (["audit", "show"], 0, "3 rows"),
    (["audit", "verify"], 0, "ok: SQLite finds the file intact"),
    (["validate", "hepatitis_b@2026-06-01"], 0, "ok (hepatitis_b 1.0.0"),
    (["evaluate", "hepatitis_b@1.0.0", str(CASE), "--json"], 0, '"decision": "accept"'),
    (["evaluate", "hepatitis_b@1.0.0", str(CASE), "--record"], 2, "cannot be written (attempt "
     "to write a readonly database): registering, approving and recording need write access"),
    (["retire", "hepatitis_b@1.0.0", "--by", "carol"], 2, "cannot be written"),
]


def test_read_only_commands_work_on_a_read_only_database(pristine: Path, tmp_path: Path,
                                                         product, case, compiled) -> None:
    """Issue 10: reading needs no write access; writing says it needs it. Three files:
    read-only in a writable folder, read-only in a read-only folder, and a schema 1 file
    (read as it is: no migration on a read-only open) in a read-only folder. And a
    case-key secret nobody may read."""
    folders = {name: tmp_path / name for name in ("file", "folder", "old", "key")}
    for folder in folders.values():
        folder.mkdir()
    files = {name: copy_of(pristine, folders[name]) for name in ("file", "folder", "key")}
    files["old"] = folders["old"] / "old.db"
    build_v1_database(files["old"], json.dumps(evaluate(compiled, case).to_json()))
    before = {name: sha256(path) for name, path in files.items()}
    out = tmp_path / "policy.html"
    commands = []
    for name in ("file", "folder"):
        commands += [(args + ["--db", files[name]], code, words) for args, code, words in READING]
    commands += [(["render", "hepatitis_b@1.0.0", "--format", "html", "-o", out, "--db",
                   files["folder"]], 0, "")]
    commands += [(args + ["--db", files["old"]], code, words) for args, code, words in (
        (["history", "hepatitis_b"], 0, "published"), (["audit", "show"], 0, "unknown"),
        (["audit", "show"], 0, "3 rows"), (["audit", "verify"], 0, "ok:"),
        (["evaluate", "hepatitis_b@1.0.0", str(CASE), "--record"], 2, "cannot be written"))]
    commands += [(["evaluate", PRODUCT, CASE, "--record", "--db", files["key"]], 2,
                  f"cannot read or create the case-key secret {files['key']}.key (Permission "
                  f"denied)")]
    read_only(files["file"], files["folder"], folders["folder"], files["old"], folders["old"])
    Path(f"{files['key']}.key").chmod(0)
    try:
        results = run_unprivileged([args for args, _, _ in commands])
    finally:
        for path in [*folders.values(), *files.values(), Path(f"{files['key']}.key")]:
            path.chmod(0o755 if path.is_dir() else 0o600)
    for (args, code, words), (got, text) in zip(commands, results, strict=True):
        assert (got, words in text) == (code, True), (args, text)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert {name: sha256(path) for name, path in files.items()} == before
    with closing(sqlite3.connect(files["old"])) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1


# ------------------------------------------------------------ text that cannot be stored


def test_a_case_with_a_lone_surrogate_is_refused_not_recorded(product, case, compiled) -> None:
    broken = dataclasses.replace(case, policy_number="P-\ud800")
    with pytest.raises(StoreError, match=r"not valid Unicode .*'\\ud800'.*nothing was recorded"):
        evaluation_row(product, b"k" * 16, broken, evaluate(compiled, case))


def test_names_are_shown_as_written_and_control_characters_refused(capsys,
                                                                  tmp_path: Path) -> None:
    """A person's name is printed literally (rich markup once made ``history`` crash)."""
    db = tmp_path / "registry.db"
    code, _ = run(capsys, "publish", PRODUCT, "--effective-from", "2026-01-01", "--by",
                  "[/oops] Zhang", "--db", db)
    assert code == 0
    code, text = run(capsys, "history", "hepatitis_b", "--db", db)
    assert code == 0 and "[/oops] Zhang" in text
    code, text = run(capsys, "approve", "hepatitis_b@1.0.0", "--by", "bob\x1b[2J", "--db", db)
    assert code == 2 and "--by must name a person in at most 200 printable characters" in text


def test_an_altered_schema_text_never_verifies(capsys, trail: Path) -> None:
    """A byte flipped in the stored CREATE TABLE text (here a comma) ran two columns into
    one: every row, chain and index still read as intact, and verify said ok."""
    data = bytearray(trail.read_bytes())
    at = data.find(b'"published_at" TEXT,')
    assert at > 0
    data[at + len(b'"published_at" TEXT')] = ord("$")
    trail.write_bytes(bytes(data))
    code, text = run(capsys, "audit", "verify", "--db", trail)
    assert code == 1, text
    assert "versions: the table's columns are not the ones configurator made" in text
    assert "CORRUPT" in text


# ------------------------------------------------------------ long trails


@pytest.mark.parametrize("script", [
    "UPDATE evaluations SET outcome = CAST(x'ff41' AS TEXT) WHERE seq = 3",
    "UPDATE evaluations SET outcome = '{\"decision\": \"accept\"' WHERE seq = 3"])
def test_audit_show_shows_nothing_when_its_last_row_is_bad(capsys, trail: Path,
                                                          script: str) -> None:
    """Rows are read one at a time (a portfolio's trail is gigabytes), yet each is checked
    before the first is shown: a bad last row leaves the output empty, not cut short."""
    tamper(trail, script)
    for args in (["audit", "show", "--json"], ["audit", "show"]):
        code = main([*args, "--db", str(trail)])
        captured = capsys.readouterr()
        if code == 0:  # the table shows no Outcome: only a row that is not text stops it
            assert args == ["audit", "show"] and "3 rows" in captured.out
            continue
        assert code == 2 and "evaluations row 3 cannot be read" in captured.err
        assert captured.out == "", args


def test_audit_show_reads_rows_as_they_come(trail: Path) -> None:
    tamper(trail, "UPDATE evaluations SET outcome = x'fffe00' WHERE seq = 3")
    with Store(trail, readonly=True) as store:
        rows = shown(store)
        assert [next(rows)["seq"], next(rows)["seq"]] == [1, 2]  # before the bad row is read
        with pytest.raises(StoreError, match="evaluations row 3 cannot be read"):
            next(rows)


@pytest.mark.parametrize("block", [1, 2, 3])
def test_a_long_audit_table_printed_in_blocks_is_the_one_table(capsys, monkeypatch,
                                                               trail: Path, block: int) -> None:
    for args in ([], ["--decision", "decline"]):  # three rows, and none
        assert main(["audit", "show", *args, "--db", str(trail)]) == 0
        whole = capsys.readouterr().out
        monkeypatch.setattr(registry_cli, "TABLE_BLOCK", block)
        assert main(["audit", "show", *args, "--db", str(trail)]) == 0
        assert capsys.readouterr().out == whole
        monkeypatch.undo()
        assert whole.count("┏") == 1 and whole.count("└") == 1
        assert f"{0 if args else 3} rows" in whole


@pytest.mark.parametrize("block", [1, 1000])
def test_a_too_wide_audit_table_printed_in_blocks_is_laid_out_as_one_table(
        capsys, monkeypatch, trail: Path, block: int) -> None:
    """Wider than the 160 columns the table is drawn in, rich narrows the widest columns
    first; blocks drawn with the widths measured on the first pass must be narrowed alike
    (with fixed widths rich narrows every column, the row number down to nothing)."""
    tamper(trail, f"UPDATE evaluations SET product_version = '1.0.0-{'rc' * 30}' WHERE seq = 2")
    with Store(trail, readonly=True) as store:
        cells = [[cell.plain for cell in registry_cli._audit_cells(row)] for row in shown(store)]
    registry_cli._table("audit trail: recorded decisions", registry_cli._AUDIT_COLUMNS, cells)
    single = capsys.readouterr().out
    assert max(map(len, single.splitlines())) == 160 and "│ 2   │" in single
    monkeypatch.setattr(registry_cli, "TABLE_BLOCK", block)
    assert main(["audit", "show", "--db", str(trail)]) == 0
    assert capsys.readouterr().out == single + "3 rows\n"
