"""The wheel, installed on its own: it works from any folder, with no test tools.

About 40 s (a wheel build and a virtualenv from pip's cache): in the default run, the only
check that what ships works.

Builds the wheel, installs it into a fresh virtualenv in a temporary folder
(dependencies come from pip's cache after `.ci/setup`), and from another
folder runs the main job, the scenario suites without pytest, and a render of
a bundled product.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent



def run(*args: str | Path, cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    # the wheel ships the source only (a compiled engine is built in place: configurator
    # native build), so CI's CONFIGURATOR_NATIVE=require does not apply to it
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "CONFIGURATOR_NATIVE")}
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    built = run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, ROOT,
                cwd=ROOT)
    assert built.returncode == 0, built.stderr
    found, = out.glob("configurator-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The console script of a fresh virtualenv holding only the wheel and its dependencies."""
    venv = tmp_path_factory.mktemp("venv")
    assert run(sys.executable, "-m", "venv", venv, cwd=venv).returncode == 0
    done = run(venv / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=venv)
    assert done.returncode == 0, done.stderr
    return venv / "bin"


def test_the_wheel_holds_only_the_package_with_its_products_and_templates(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {
        "configurator", f"{wheel.name.split('-py')[0]}.dist-info"}
    shipped = {name.removeprefix("configurator/") for name in names}
    for folder in ("products", "templates"):
        files = {str(p.relative_to(ROOT)) for p in (ROOT / folder).rglob("*") if p.is_file()}
        assert files <= shipped, f"not in the wheel: {sorted(files - shipped)}"


def test_the_installed_package_runs_the_main_job_from_another_folder(installed, tmp_path):
    assert run(installed / "python", "-c", "import pytest", cwd=tmp_path).returncode != 0
    demo = run(installed / "configurator", "demo", "-o", "out", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert "products" in demo.stdout and (tmp_path / "out" / "hepatitis_b" /
                                          "policy.en.pdf").is_file()
    suites = run(installed / "configurator", "test", cwd=tmp_path)
    assert suites.returncode == 0, suites.stdout + suites.stderr
    passed, failed = suites.stdout.strip().splitlines()[-1].split(", ")
    assert int(passed.split()[0]) > 50 and failed == "0 failed"
    render = run(installed / "configurator", "render", "hepatitis_b", "--lang", "zh-CN",
                 "-o", "policy.pdf", cwd=tmp_path)
    assert render.returncode == 0, render.stderr
    assert (tmp_path / "policy.pdf").read_bytes().startswith(b"%PDF")
    assert not list(tmp_path.glob("*.db")), "nothing should touch a registry here"
