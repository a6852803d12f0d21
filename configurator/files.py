"""Writing files whole or not at all."""

from __future__ import annotations

import os
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


@contextmanager
def atomic_file(path: str | Path, mode: str = "w", **options: Any) -> Iterator[IO[Any]]:
    """A file to write in steps (`open` arguments) that appears under `path` only when done.

    It is written beside `path` and renamed into place when the block ends
    without an exception; on an exception the partial file is removed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    encoding = None if "b" in mode else options.pop("encoding", "utf-8")
    try:
        with temporary.open(mode, encoding=encoding, **options) as handle:
            yield handle
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
