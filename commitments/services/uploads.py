"""Uploads held between two requests: the file of a near-copy import while the analyst decides.

The bytes stay on the server, in a private folder (settings.UPLOAD_HOLD_DIR), under a random token
that only the user's session knows; a form never names a path. A held file is removed after the
decision, or when it is older than a day (an analyst who closed the page).
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import stat
import time
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

HOLD_MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


class UploadHoldError(Exception):
    """The hold folder cannot be used safely (someone else's, open to others, not a folder)."""


def upload_hold(data: bytes) -> str:
    """Keep an upload; returns the token that names it (to be kept in the user's session)."""
    directory = _directory()
    uploads_expire()
    token = secrets.token_urlsafe(32)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(directory / token, flags, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return token


def upload_held(token: str) -> bytes | None:
    """The bytes held under `token`; None when they are gone (decided, expired) or the token is no token."""
    path = _path(token)
    if path is None:
        return None
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        if time.time() - os.fstat(handle.fileno()).st_mtime > HOLD_MAX_AGE_SECONDS:
            return None
        return handle.read()


def upload_release(token: str) -> None:
    """Forget a held upload (after the decision, or on cancel)."""
    path = _path(token)
    if path is not None:
        path.unlink(missing_ok=True)


def uploads_expire(*, now: float | None = None) -> int:
    """Remove held uploads older than a day; returns how many went."""
    directory = Path(settings.UPLOAD_HOLD_DIR)
    now = time.time() if now is None else now
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return 0
    for entry in entries:
        try:
            if _TOKEN.fullmatch(entry.name) and now - entry.stat(follow_symlinks=False).st_mtime > HOLD_MAX_AGE_SECONDS:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:
            continue  # another process removed it
    return removed


def _path(token: object) -> Path | None:
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    return Path(settings.UPLOAD_HOLD_DIR) / token


def _directory() -> Path:
    """The hold folder, created private to this user; refused when anyone else could read or plant files."""
    directory = Path(settings.UPLOAD_HOLD_DIR)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise UploadHoldError(f"{directory} is not a folder of this user")
    if info.st_mode & 0o077:
        os.chmod(directory, 0o700)
    return directory
