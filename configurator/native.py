"""The engine's hot modules compiled to C by mypyc, used only while they match their source.

The walk of a timeline is plain Python spread over many small steps (facts, cells, windows,
money), so no one function is worth rewriting; compiling the modules that run it with mypyc
(the compiler mypy and black ship with) takes 30-45% off a case, with the same source and
the same results. `configurator native build` compiles `MODULES` into
`configurator/_native/` (`.ci/setup` runs it; it needs a C compiler and the Python
headers, and the `native` extra); `configurator native` tells what is in use.

`enable()` (run when `configurator/__init__.py` imports this module, before anything
else) puts the compiled modules in front of the source only when the build's manifest
matches: the same Python, and the same bytes in every `.py` file of the package (a
compiled module is built against the types of what it imports; hashing them all takes
~7 ms a start). Anything else - no build, an edited file, another
Python - runs the source as it is, which decides exactly the same (tests/test_native.py).
`CONFIGURATOR_NATIVE=0` forces the source; `=require` refuses to start without the build
(CI sets it, so a failed build cannot pass unnoticed).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
OUT = PACKAGE / "_native"
MANIFEST = "manifest.json"
GROUP = "configurator_native"
SWITCH = "CONFIGURATOR_NATIVE"

MODULES = (  # the walk of a batch row: reading and checking it, the engine, the Outcome
    "limits.py", "product/tags.py", "product/values.py", "registry/canonical.py",
    "cases/calendar.py", "cases/case.py", "cases/batchfile.py", "cases/lines.py",
    "cases/outcome.py", "cases/plain.py",
    "engine/adherence.py", "engine/amounts.py", "engine/checkups.py", "engine/claims.py",
    "engine/cover.py", "engine/deductible.py", "engine/durable.py", "engine/evaluate.py",
    "engine/lapse.py", "engine/memo.py", "engine/notes.py", "engine/plan.py",
    "engine/timeline.py", "engine/windows.py",
)

_state: dict[str, str] = {}


def sources() -> dict[str, str]:
    """Every `.py` file of the package (relative path) -> the SHA-256 of its bytes."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if OUT in path.parents:
            continue
        found[path.relative_to(PACKAGE).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _abi() -> str:
    return f"{sys.implementation.cache_tag} {sysconfig.get_config_var('EXT_SUFFIX')}"


def check() -> tuple[str, str]:
    """("native" or "source", why): whether the compiled modules can stand for the source."""
    mode, why, _ = _checked()
    return mode, why


def _checked() -> tuple[str, str, dict]:
    """`check`, with the build's manifest (read once) when the compiled modules can be used."""
    if os.environ.get(SWITCH) == "0":
        return "source", f"{SWITCH}=0", {}
    try:
        manifest = json.loads((OUT / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "source", "not built (configurator native build)", {}
    except (OSError, ValueError) as error:
        return "source", f"unreadable build manifest: {error}", {}
    if manifest.get("abi") != _abi():
        return "source", f"built for {manifest.get('abi')}, this is {_abi()}", {}
    built, now = manifest.get("sources", {}), sources()
    changed = sorted(name for name in built.keys() | now.keys() if built.get(name) != now.get(name))
    if changed:
        more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
        return "source", f"{changed[0]}{more} changed since the build (rebuild to use it)", {}
    why = f"{len(manifest['modules'])} modules compiled by mypyc {manifest['mypy']}"
    return "native", why, manifest


def enable() -> str:
    """Use the compiled modules if `check` allows; the mode in use ("native" or "source")."""
    if _state:
        return _state["mode"]
    mode, why, manifest = _checked()
    if mode == "native":
        files = {name: OUT / file for name, file in manifest["files"].items()}
        sys.meta_path.insert(0, _Finder(files))
    elif os.environ.get(SWITCH) == "require":
        raise SystemExit(f"configurator: {SWITCH}=require, but the compiled modules are not "
                         f"usable: {why}")
    _state.update(mode=mode, why=why)
    return mode


def mode() -> tuple[str, str]:
    """The mode in use and why (after `enable`)."""
    return _state.get("mode", "source"), _state.get("why", "not enabled")


class BuildError(Exception):
    """The compiled modules could not be built (the source still runs)."""


class _Finder:
    """Finds the compiled modules (and their shared library) by name; nothing else."""

    def __init__(self, files: dict[str, Path]):
        self.files = files

    def find_spec(self, name: str, path=None, target=None):
        file = self.files.get(name)
        return importlib.util.spec_from_file_location(name, file) if file else None


def build() -> Path:
    """Compile `MODULES` with mypyc into `_native/`, replacing an earlier build whole."""
    root = PACKAGE.parent
    paths = [f"{PACKAGE.name}/{module}" for module in MODULES]
    compiled_from = sources()  # before compiling: a file edited meanwhile makes the build stale
    work = Path(tempfile.mkdtemp(prefix="configurator-native-"))
    try:
        script = ("import sys\nfrom mypyc.build import mypycify\nfrom setuptools import setup\n"
                  f"paths = [path for path in sys.argv[1:] if path.endswith('.py')]\n"
                  f"setup(name={GROUP!r}, ext_modules=mypycify(sys.argv[1:], opt_level='3', "
                  f"separate=[(paths, {GROUP!r})], target_dir={str(work / 'c')!r}),\n"
                  f"      script_args=['build_ext', '--build-lib', {str(work / 'lib')!r},\n"
                  f"                   '--build-temp', {str(work / 'tmp')!r}])\n")
        env = {**os.environ, SWITCH: "0"}
        done = subprocess.run([sys.executable, "-c", script, "--config-file",
                               str(root / "pyproject.toml"), *paths], cwd=root, env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            said = (done.stdout + done.stderr).strip().splitlines()[-12:]
            raise BuildError("the mypyc build failed (it needs the 'native' extra, a C compiler "
                             "and the Python headers):\n  " + "\n  ".join(said))
        return _install(work / "lib", paths, compiled_from)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def clean() -> None:
    """Remove the compiled modules (the source runs from the next start)."""
    shutil.rmtree(OUT, ignore_errors=True)


def _install(lib: Path, paths: list[str], compiled_from: dict[str, str]) -> Path:
    """Move a finished build into place with its manifest, written last."""
    import mypy.version

    files = {}
    for built in sorted(lib.rglob("*.so")):
        relative = built.relative_to(lib).as_posix()
        name = relative.split(".", 1)[0].replace("/", ".")
        files[name] = relative
    missing = [path for path in paths if path[:-3].replace("/", ".") not in files]
    if missing or f"{GROUP}__mypyc" not in files:
        raise BuildError(f"the mypyc build left out {missing or 'its library'}")
    staging = OUT.with_name("_native.new")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(lib, staging)
    manifest = {"abi": _abi(), "mypy": mypy.version.__version__, "modules": paths,
                "files": files, "sources": compiled_from}
    text = json.dumps(manifest, indent=1, sort_keys=True)
    (staging / MANIFEST).write_text(text, encoding="utf-8")
    shutil.rmtree(OUT, ignore_errors=True)
    staging.rename(OUT)
    return OUT


enable()  # on import: configurator/__init__.py imports this module before any other
