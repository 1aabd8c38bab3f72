"""Who may touch a case folder at once: an advisory ``flock`` on ``<case>/case.lock``.

- every command holds the lock **shared** for as long as it has the case open;
- a key rotation and a purge need it **exclusive**: they replace or destroy ``case.db`` and ``keyring.json``,
  which would strand another command writing to the old file, so they refuse while any other command has the
  case open;
- the crash recovery of an interrupted rotation, run before every open, only runs under the exclusive lock, so
  that it can never delete the ``.new`` files of a rotation still running in another process.

The lock dies with its process (``flock`` is released by the kernel), so a crashed command never leaves the case
locked. The file is empty and private (0600).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from fuite.errors import CaseError

LOCK_FILE = "case.lock"
WAIT_SECONDS = 30.0


class CaseLock:
    """The lock of one case folder, held through one file descriptor of this process."""

    def __init__(self, case_dir: Path):
        self.path = Path(case_dir) / LOCK_FILE
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self.mode: str | None = None

    def _try(self, operation: int) -> bool:
        try:
            fcntl.flock(self._fd, operation | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def try_exclusive(self) -> bool:
        """Take (or upgrade to) the exclusive lock if no other command holds the case; never waits."""
        if self._try(fcntl.LOCK_EX):
            self.mode = "exclusive"
            return True
        return False

    def shared(self, wait: float | None = None, sleep=time.sleep) -> None:
        """Hold the lock shared, waiting up to ``wait`` seconds (``WAIT_SECONDS``) for a rotation or purge to end."""
        wait = WAIT_SECONDS if wait is None else wait
        deadline = time.monotonic() + wait
        while not self._try(fcntl.LOCK_SH):
            if time.monotonic() >= deadline:
                raise CaseError(f"{self.path.parent} is busy: another command is rotating its key or purging it "
                                f"(waited {wait:.0f} s); try again when it has finished")
            sleep(0.1)
        self.mode = "shared"

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)   # closing the descriptor releases the flock
            self._fd, self.mode = None, None


def require_exclusive(lock: CaseLock | None, action: str) -> None:
    """Refuse ``action`` while another command has the case open."""
    if lock is None or not lock.try_exclusive():
        folder = lock.path.parent if lock else "the case"
        raise CaseError(f"cannot {action}: {folder} is open in another fuite command; stop it (or wait for it "
                        "to finish), then run this again")
