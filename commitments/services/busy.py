"""The database is busy: recognised in one place, short writes retried, one Chinese message for the user.

SQLite lets one writer at a time (a long import holds the lock for seconds); PostgreSQL may time out
waiting for a row lock. Either is worth a short wait and a retry, then a clear message, never a traceback.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, transaction

logger = logging.getLogger(__name__)

BUSY_MESSAGE = "数据库正忙，请稍后重试"
# Waits before the 2nd, 3rd … attempt, in seconds.
BACKOFF_SECONDS = (0.25, 0.75, 2.0)
# PostgreSQL: lock_not_available, deadlock_detected, serialization_failure.
BUSY_SQLSTATES = {"55P03", "40P01", "40001"}

T = TypeVar("T")


def database_busy(exc: BaseException) -> bool:
    """True when `exc` says another writer holds what this one needs (worth waiting for)."""
    if not isinstance(exc, OperationalError):
        return False
    if "locked" in str(exc).lower():  # SQLite: "database is locked", "database table is locked"
        return True
    return getattr(exc.__cause__, "sqlstate", None) in BUSY_SQLSTATES


def retry_when_busy(function: Callable[..., T]) -> Callable[..., T]:
    """Run a short write again after a growing wait when the database was busy.

    Only outside an enclosing transaction: inside one, the failed statement has spoilt the transaction and
    the caller must start again.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs) -> T:
        for wait in (*BACKOFF_SECONDS, None):
            try:
                return function(*args, **kwargs)
            except OperationalError as exc:
                if wait is None or not database_busy(exc) or transaction.get_connection().in_atomic_block:
                    raise
                logger.info("database busy in %s, retrying in %.2f s", function.__qualname__, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")

    return wrapper
