"""Writing files whole or not at all, even when the process is killed.

On Linux the data goes into an unnamed file (``O_TMPFILE``) in the target's
folder and gets a name only when it is complete (``linkat`` through
``/proc/self/fd``, then a rename over the target): a kill at any moment,
even ``SIGKILL``, leaves nothing behind. Elsewhere (or on a file system
without ``O_TMPFILE``) a named temporary file beside the target is used and
removed on every exit path Python sees (an exception, ``SIGINT``, a
``SIGTERM`` turned into an exception).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write `data` to a temporary file beside `path`, then rename it into place.

    A reader sees the old file or the new one, never half of either; a failure
    (a full disk, a kill) leaves no partial file under the final name.
    """
    with atomic_file(path, "wb") as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)


def create_private(path: str | Path, data: bytes) -> None:
    """Create `path` holding `data`, readable by its owner only (0600), unless it exists.

    For secrets and keys made on first use: the data goes into a file beside
    `path` and is linked in whole, so no reader sees half a key; when another
    process made the file meanwhile, its file stands and `data` is dropped.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def atomic_file(path: str | Path, mode: str = "w", **options: Any) -> Iterator[IO[Any]]:
    """A file to write in steps (`open` arguments) that appears under `path` only when done.

    It is written beside `path` and renamed into place when the block ends
    without an exception; on an exception nothing is left behind (the error,
    e.g. a full disk's ``OSError``, is raised again).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    encoding = None if "b" in mode else options.pop("encoding", "utf-8")
    fd = _unnamed_file(target.parent)
    if fd is None:
        with _named_file(target, mode, encoding, **options) as handle:
            yield handle
        return
    # closing the only descriptor of an unnamed file frees it: nothing to clean up
    with os.fdopen(fd, mode, encoding=encoding, **options) as handle:
        yield handle
        handle.flush()
        _name(handle, target)


def _unnamed_file(folder: Path) -> int | None:
    """A descriptor of a new unnamed file in `folder`, or None where that cannot be done."""
    if not hasattr(os, "O_TMPFILE") or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(folder, os.O_TMPFILE | os.O_RDWR | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError:  # EOPNOTSUPP, EISDIR (old kernels), EINVAL: use a named file
        return None


def _name(handle: IO[Any], target: Path) -> None:
    """Give the unnamed file behind `handle` the name `target` (replacing what is there)."""
    temporary = _temporary_name(target)
    folder = os.open(target.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.link(f"/proc/self/fd/{handle.fileno()}", temporary.name, dst_dir_fd=folder,
                follow_symlinks=True)
    except OSError:  # /proc not usable for linking here: copy into a named file instead
        _copy_out(handle, temporary)
    finally:
        os.close(folder)
    _put_in_place(temporary, target)


def _put_in_place(temporary: Path, target: Path) -> None:
    """Rename `temporary` over `target`; on failure remove it and blame `target`."""
    try:
        temporary.replace(target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _copy_out(handle: IO[Any], temporary: Path) -> None:
    with os.fdopen(os.dup(handle.fileno()), "rb") as source:
        source.seek(0)
        try:
            with temporary.open("wb") as copy:
                shutil.copyfileobj(source, copy)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


@contextmanager
def _named_file(target: Path, mode: str, encoding: str | None,
                **options: Any) -> Iterator[IO[Any]]:
    temporary = _temporary_name(target)
    try:
        with temporary.open(mode, encoding=encoding, **options) as handle:
            yield handle
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _put_in_place(temporary, target)


def _temporary_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
