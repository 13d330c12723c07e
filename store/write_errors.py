"""A failed disk write (full disk, file too large, read-only file system) as a clear error."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb

from config.errors import TransientError

_WRITE_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO, errno.EROFS}
_WRITE_MESSAGES = ("could not write", "no space left", "file too large", "disk quota",
                   "read-only file system", "database has been invalidated")


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def write_error(exc: BaseException, db_path: Path | str) -> TransientError | None:
    """A clear TransientError when `exc` (or an error it arose from) is a failed disk write —
    a full disk, a file too large, a read-only file system — else None.

    DuckDB reports such a failure on COMMIT, and the caller's ROLLBACK then fails in turn,
    so the whole chain of errors is searched.
    """
    for err in _chain(exc):
        if isinstance(err, OSError) and err.errno in _WRITE_ERRNOS:
            reason = os.strerror(err.errno)
        elif isinstance(err, duckdb.Error) and any(m in str(err).lower() for m in _WRITE_MESSAGES):
            reason = str(err).splitlines()[0]
        else:
            continue
        return TransientError(
            f"the store {db_path} could not be written ({reason}); is the disk full? Nothing "
            "past the last committed transaction was kept; free space and run again")
    return None
