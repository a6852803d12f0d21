"""The filing pack: `configurator file REF -o pack.zip` and `configurator file verify`.

A temporary registry holds hepatitis_b 1.0.0 (registered by alice, approved
by bob, published) and a 1.1.0 draft with one parameter changed; the packs
are built once per module through the CLI entry point (rendering the PDFs
takes seconds) and the tests read and tamper with copies.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from configurator.cli import main
from configurator.compiler.compile import compile_product
from configurator.compiler.safe_subset import ENGINE_VERSION, SEEN
from configurator.product.load import loads
from configurator.registry.store import Store
from configurator.runs.filing_sign import (
    fingerprint,
    key_path,
    public_key,
    public_pem,
    signing_key,
)

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ROOT / "products" / "hepatitis_b.yaml"
EXPECTED = {
    "manifest.json", "manifest.sig", "public_key.pem", "lint.json", "readability.json",
    "readability.csv", "traceability.csv", "traceability.html", "suites/results.json",
    "suites/results.html", "suites/coverage.txt", "product/hepatitis_b@1.0.0.yaml",
    "policy/hepatitis_b-1.0.0.en.pdf", "policy/hepatitis_b-1.0.0.zh-CN.pdf",
}

def run(*args: str, capsys) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Path:
    """hepatitis_b 1.0.0 published for the first half of 2026; 1.1.0 a draft after it."""
    folder = tmp_path_factory.mktemp("filing")
    db = folder / "registry.db"
    newer = folder / "hepatitis_b.yaml"
    text = PRODUCT.read_text(encoding="utf-8")
    newer.write_text(text.replace("version: 1.0.0", "version: 1.1.0", 1).replace(
        "max_entry_age: {value: 60,", "max_entry_age: {value: 65,", 1), encoding="utf-8")
    with Store(db) as store:
        store.publish(PRODUCT, by="alice", effective_from=dt.date(2026, 1, 1),
                      effective_to=dt.date(2026, 6, 30))
        store.approve("hepatitis_b@1.0.0", by="bob")
        store.publish("hepatitis_b@1.0.0", by="alice")
        store.publish(newer, by="alice", effective_from=dt.date(2026, 7, 1))
    return db


def build(registry: Path, ref: str, name: str) -> Path:
    out = registry.parent / name
    assert main(["file", ref, "-o", str(out), "--db", str(registry)]) == 0
    return out


@pytest.fixture(scope="module")
def pack(registry) -> Path:
    return build(registry, "hepatitis_b@1.0.0", "pack.zip")


@pytest.fixture(scope="module")
def successor_pack(registry, pack) -> Path:
    return build(registry, "hepatitis_b@1.1.0", "successor.zip")


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rewrite(source: Path, target: Path, change) -> Path:
    """A copy of the pack with `change(members)` applied, written as a proper zip."""
    found = members(source)
    change(found)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in found.items():
            archive.writestr(name, data)
    return target


# ------------------------------------------------------------ what a pack holds


def test_the_pack_holds_every_listed_file_and_the_manifest_hashes_match(pack):
    found = members(pack)
    assert set(found) == EXPECTED
    manifest = json.loads(found["manifest.json"])
    assert set(manifest["files"]) == EXPECTED - {"manifest.json", "manifest.sig"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(found[name]).hexdigest() == digest, name
    assert manifest["product"]["id"] == "hepatitis_b"
    assert manifest["product"]["version"] == "1.0.0"
    assert manifest["engine_version"] == ENGINE_VERSION
    assert manifest["package_version"]
    assert manifest["predecessor"] is None and "no diff" in manifest["predecessor_note"]
    suites = manifest["suites"]["files"]
    assert "hepatitis_b/claims.suite.yaml" in suites
    for name, digest in suites.items():
        path = ROOT / "products" / name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    key = public_key(found["public_key.pem"], "pack")
    assert manifest["public_key_fingerprint"] == fingerprint(key)
    assert found["policy/hepatitis_b-1.0.0.en.pdf"].startswith(b"%PDF-")


def test_the_matrix_lists_every_rule_with_its_clause_source_and_cases(pack):
    rows = list(csv.DictReader(io.StringIO(members(pack)["traceability.csv"].decode())))
    compiled = compile_product_of(pack)
    rules = {r for r in compiled.rules if not r.startswith(SEEN)}
    assert {row["rule"] for row in rows} == rules
    for row in rows:
        info = compiled.rules[row["rule"]]
        assert row["clause"] == info.clause and row["clause"]
        assert row["source"] == info.source and row["source"].startswith("hepatitis_b@1.0.0:")
        assert row["cases"], f"{row['rule']}: no suite case exercises it"
    waiting = next(row for row in rows if row["rule"].startswith("waiting."))
    assert ".suite.yaml: " in waiting["cases"]
    html = members(pack)["traceability.html"].decode().replace("\u200b", "")  # breakable runs
    assert all(rule in html for rule in rules)


def compile_product_of(pack: Path):
    return compile_product(loads(members(pack)["product/hepatitis_b@1.0.0.yaml"].decode(),
                                 file="hepatitis_b@1.0.0"))


def test_suite_results_lint_and_readability_are_in_the_pack(pack):
    found = members(pack)
    results = json.loads(found["suites/results.json"])
    assert results["summary"]["cases"] == len(results["cases"]) > 50
    assert results["summary"]["failed"] == 0
    assert results["summary"]["coverage_percent"] == 100.0
    assert json.loads(found["lint.json"])["profile"] == "CN"
    scores = json.loads(found["readability.json"])
    assert {s["language"] for s in scores} == {"en", "zh-CN"}
    assert found["readability.csv"].decode().startswith("language,clause,title")


def test_verify_passes_on_a_fresh_pack_and_says_which_key_it_used(pack, registry, capsys):
    code, out, _ = run("file", "verify", str(pack), capsys=capsys)
    assert code == 0
    assert "12 files" in out and "signature valid" in out
    assert "only with the pack's own public_key.pem" in out
    trusted = registry.parent / "trusted.pem"
    trusted.write_bytes(public_pem(signing_key(key_path(registry))))
    code, out, _ = run("file", "verify", str(pack), "--key", str(trusted), capsys=capsys)
    assert code == 0 and "with the trusted key --key" in out
    assert "only with the pack's own" not in out


def test_file_key_gives_the_public_key_the_packs_carry(pack, registry, capsys):
    code, out, _ = run("file", "key", "--db", str(registry), capsys=capsys)
    assert code == 0 and out.encode() == members(pack)["public_key.pem"]


# ------------------------------------------------------------ tampering


@pytest.mark.parametrize("name", sorted(EXPECTED - {"manifest.json", "manifest.sig"}))
def test_one_changed_byte_in_any_file_is_named(pack, tmp_path, capsys, name):
    def flip(found):
        data = bytearray(found[name])
        data[len(data) // 2] ^= 0x01
        found[name] = bytes(data)
    code, _, err = run("file", "verify", str(rewrite(pack, tmp_path / "t.zip", flip)),
                       capsys=capsys)
    assert code == 1
    assert f"TAMPERED: {name}: altered" in err


def test_a_removed_file_is_named(pack, tmp_path, capsys):
    tampered = rewrite(pack, tmp_path / "t.zip", lambda f: f.pop("lint.json"))
    code, _, err = run("file", "verify", str(tampered), capsys=capsys)
    assert code == 1 and "lint.json: missing" in err


def test_an_added_file_is_named(pack, tmp_path, capsys):
    tampered = rewrite(pack, tmp_path / "t.zip", lambda f: f.update({"extra.txt": b"hi"}))
    code, _, err = run("file", "verify", str(tampered), capsys=capsys)
    assert code == 1 and "extra.txt: extra" in err


def test_an_altered_manifest_fails_the_signature(pack, tmp_path, capsys):
    def alter(found):
        found["manifest.json"] = found["manifest.json"].replace(b'"CN"', b'"US"')
    code, _, err = run("file", "verify", str(rewrite(pack, tmp_path / "t.zip", alter)),
                       capsys=capsys)
    assert code == 1 and "manifest.json: the Ed25519 signature" in err


def test_a_pack_re_signed_with_another_key_is_refused_by_the_trusted_key(
        pack, registry, tmp_path, capsys):
    trusted = tmp_path / "trusted.pem"
    trusted.write_bytes(public_pem(signing_key(key_path(registry))))
    other = signing_key(tmp_path / "other.filing-key")

    def resign(found):  # a forger's consistent pack: own key, own fingerprint, own signature
        manifest = json.loads(found["manifest.json"])
        found["public_key.pem"] = public_pem(other)
        manifest["files"]["public_key.pem"] = hashlib.sha256(public_pem(other)).hexdigest()
        manifest["public_key_fingerprint"] = fingerprint(other.public_key())
        found["manifest.json"] = json.dumps(manifest).encode()
        found["manifest.sig"] = other.sign(found["manifest.json"])
    forged = rewrite(pack, tmp_path / "forged.zip", resign)
    assert run("file", "verify", str(forged), capsys=capsys)[0] == 0  # intact, but whose?
    code, _, err = run("file", "verify", str(forged), "--key", str(trusted), capsys=capsys)
    assert code == 1 and "not the trusted key" in err and "public_key.pem" in err
    code, _, err = run("file", "verify", str(pack), "--key", str(tmp_path / "no.pem"),
                       capsys=capsys)
    assert code == 2


# ------------------------------------------------------------ reproducible


def test_identical_inputs_give_identical_bytes_also_in_a_fresh_process(pack, registry):
    again = build(registry, "hepatitis_b@1.0.0", "again.zip")
    assert again.read_bytes() == pack.read_bytes()
    fresh = registry.parent / "fresh.zip"
    script = ("import sys; from configurator.cli import main; "
              "sys.exit(main(sys.argv[1:]))")
    subprocess.run([sys.executable, "-c", script, "file", "hepatitis_b@1.0.0", "-o",
                    str(fresh), "--db", str(registry)], check=True, cwd=ROOT,
                   env={**os.environ, "PYTHONHASHSEED": "123"})
    assert fresh.read_bytes() == pack.read_bytes()
    with zipfile.ZipFile(pack) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


# ------------------------------------------------------------ the predecessor


def test_a_successor_carries_the_diff_and_redline_against_its_predecessor(successor_pack,
                                                                          capsys):
    found = members(successor_pack)
    manifest = json.loads(found["manifest.json"])
    assert manifest["predecessor"]["ref"] == "hepatitis_b@1.0.0"
    result = json.loads(found["diff/diff.json"])
    assert result["old"]["version"] == "1.0.0" and result["new"]["version"] == "1.1.0"
    assert any("max_entry_age" in json.dumps(change) for change in result["changes"])
    assert result["redline"] and result["impact"] is not None
    assert b"max_entry_age" in found["diff/report.html"] or b"65" in found["diff/report.html"]
    assert run("file", "verify", str(successor_pack), capsys=capsys)[0] == 0


# ------------------------------------------------------------ bad input


def test_an_unknown_ref_is_a_clean_error(registry, tmp_path, capsys):
    code, _, err = run("file", "hepatitis_b@9.9.9", "-o", str(tmp_path / "p.zip"), "--db",
                       str(registry), capsys=capsys)
    assert code == 2 and "has no version 9.9.9" in err and "Traceback" not in err
    assert not (tmp_path / "p.zip").exists()


def test_a_missing_db_is_a_clean_error(tmp_path, capsys):
    code, _, err = run("file", "hepatitis_b@1.0.0", "-o", str(tmp_path / "p.zip"), "--db",
                       str(tmp_path / "none.db"), capsys=capsys)
    assert code == 2 and "Traceback" not in err and err.strip()
    assert not (tmp_path / "none.db.filing-key").exists()


def test_a_key_others_can_read_or_that_is_no_key_is_refused(registry, tmp_path, capsys):
    db = tmp_path / "copy.db"
    db.write_bytes(registry.read_bytes())
    key = key_path(db)
    key.write_bytes(key_path(registry).read_bytes())
    key.chmod(0o644)
    code, _, err = run("file", "hepatitis_b@1.0.0", "-o", str(tmp_path / "p.zip"), "--db",
                       str(db), capsys=capsys)
    assert code == 2 and "readable by other users" in err and "Traceback" not in err
    key.write_text("not a key")
    key.chmod(0o600)
    code, _, err = run("file", "hepatitis_b@1.0.0", "-o", str(tmp_path / "p.zip"), "--db",
                       str(db), capsys=capsys)
    assert code == 2 and "not a PEM private key" in err
    assert not (tmp_path / "p.zip").exists()


def test_verify_of_something_that_is_no_pack_or_with_a_bad_key_exits_2(pack, tmp_path,
                                                                        capsys):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    code, _, err = run("file", "verify", str(junk), capsys=capsys)
    assert code == 2 and "not a filing pack" in err
    code, _, err = run("file", "verify", str(tmp_path / "absent.zip"), capsys=capsys)
    assert code == 2 and "Traceback" not in err
    bad_key = tmp_path / "bad.pem"
    bad_key.write_text("nope")
    code, _, err = run("file", "verify", str(pack), "--key", str(bad_key), capsys=capsys)
    assert code == 2 and "not a PEM public key" in err


def test_a_pack_to_stdout_and_verified_from_stdin(pack, registry):
    from click.testing import CliRunner

    from configurator.cli import cli
    runner = CliRunner()
    built = runner.invoke(cli, ["file", "hepatitis_b@1.0.0", "-o", "-", "--db", str(registry)])
    assert built.exit_code == 0 and built.stdout_bytes == pack.read_bytes()
    assert built.stderr.startswith("stdout: ")
    checked = runner.invoke(cli, ["file", "verify", "-"], input=pack.read_bytes())
    assert checked.exit_code == 0 and "ok: - is intact" in checked.stdout
    altered = runner.invoke(cli, ["file", "verify", "-"], input=pack.read_bytes()[:-40])
    assert altered.exit_code in (1, 2) and "Traceback" not in altered.output
