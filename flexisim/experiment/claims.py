"""Who is running what in a results folder: one driver per shard, one claim per run.

Several drivers may work on one results folder at once -- the shards of a SLURM job array,
or a rerun started while an earlier sweep still runs. Two kinds of small JSON files keep them
from doing the same work twice, using only operations that are atomic on the network file
systems of clusters too (NFS, Lustre, GPFS), where ``flock`` is not reliable: creating a file
by ``os.link`` from a private temporary file (fails if the name exists) and ``os.rename``.

``DIR/drivers/shard-K-of-N.json``
    The lock of a driver of shard K of N: created exclusively, so a second driver of the same
    (folder, shard) is refused. Its modification time is the driver's heartbeat, renewed
    every :data:`HEARTBEAT_S` seconds by a thread.
``DIR/claims/<run id>.json``
    A run being run: created exclusively by the driver that submits it, removed once the
    run's record is written. Names the driver's lock and token.

A lock (and so its claims) is *stale* when its driver is gone: on the same host, its process
no longer exists (seen at once, so a rerun right after a kill can start); on another host,
its heartbeat is older than :data:`STALE_S`. A stale lock or claim is taken over by renaming
it to a private name (only one contender's rename succeeds), checking that what was renamed
is the stale file that was judged (and putting it back otherwise), and creating a new one.
A driver that was paused (SIGSTOP) for longer than :data:`STALE_S` may find its claims taken
when it resumes; the run is then done twice, but never recorded twice: a run's record is
created exclusively too (see :mod:`flexisim.experiment.store`).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from flexisim.errors import FolderError
from flexisim.experiment.store import atomic_write
from flexisim.provenance import utc_now

__all__ = ["HEARTBEAT_S", "STALE_S", "Claims", "DriverLock", "claim_token", "create_exclusive",
           "pid_alive"]

#: seconds between two renewals of a driver's heartbeat
HEARTBEAT_S = 10.0
#: age of a heartbeat (seconds) after which a driver on another host counts as gone; longer
#: than NFS's attribute cache (at most 60 s by default) and a few missed heartbeats
STALE_S = 120.0
_HOST = socket.gethostname()


def create_exclusive(path: Path, text: str) -> bool:
    """Create ``path`` holding ``text`` unless it exists; True if this call created it.

    The text is written to a private temporary file first and linked to ``path``: a reader
    never sees a half-written file, and ``os.link`` fails when ``path`` exists (atomic on
    local and network file systems alike). Not flushed to the disk: after a power cut a
    lost claim is a stale claim anyway.
    """
    return atomic_write(path, lambda tmp: tmp.write_text(text), overwrite=False,
                        durable=False)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}  # unreadable (half-written by a takeover on a slow file system)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (another user's counts: it exists)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim_token(folder: Path, rid: str) -> str | None:
    """The token of the driver whose claim on run ``rid`` is in ``folder/claims`` now."""
    return (_read(Path(folder) / "claims" / f"{rid}.json") or {}).get("token")


def _young(path: Path) -> bool:
    """An unreadable lock or claim (being rewritten) counts as live while it is recent."""
    try:
        return time.time() - path.stat().st_mtime < STALE_S
    except FileNotFoundError:
        return False


def _lock_alive(drivers: Path, holder: dict[str, Any], now: float | None = None) -> bool:
    """Is the driver ``holder`` (a lock's or a claim's content) still running?"""
    lock = drivers / str(holder.get("lock", ""))
    current = _read(lock) if holder.get("lock") else None
    if not current or current.get("token") != holder.get("token"):
        return False  # its lock is gone or belongs to a later driver
    if current.get("host") == _HOST and not pid_alive(int(current.get("pid", -1))):
        return False
    try:
        age = (now or time.time()) - lock.stat().st_mtime
    except FileNotFoundError:
        return False
    return age < STALE_S


def _take_over(path: Path, judged: dict[str, Any], record: str, me: str) -> bool:
    """Replace the stale file ``path`` (whose content was ``judged``) by ``record``."""
    aside = path.with_name(f".stale-{path.name}-{me}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return create_exclusive(path, record)  # gone meanwhile: try a fresh creation
    moved = _read(aside)
    if moved != judged:  # another driver replaced it in between: put its file back
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        aside.unlink(missing_ok=True)
        return False
    aside.unlink(missing_ok=True)
    return create_exclusive(path, record)


class DriverLock:
    """The lock of one driver of shard ``k`` of ``n`` on a results folder.

    Use as a context manager: ``acquire`` on entry (raises :class:`FolderError` when another
    live driver holds the shard), the heartbeat thread while inside, ``release`` on exit.
    """

    def __init__(self, folder: Path, shard: tuple[int, int] = (1, 1)) -> None:
        self.folder = Path(folder)
        self.drivers = self.folder / "drivers"
        self.name = f"shard-{shard[0]}-of-{shard[1]}.json"
        self.path = self.drivers / self.name
        self.token = f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.record = {"token": self.token, "host": _HOST, "pid": os.getpid(),
                       "shard": list(shard), "lock": self.name,
                       "started": utc_now()}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: set when another driver took this lock over (this one was judged gone: paused
        #: for longer than STALE_S, or its host's clock far behind): it must stop
        self.lost = threading.Event()

    def acquire(self) -> None:
        self.drivers.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.record) + "\n"
        for _ in range(3):  # a contender may win a takeover in between
            if create_exclusive(self.path, text):
                break
            other = _read(self.path)
            if other is None:
                continue
            if (other and _lock_alive(self.drivers, other)) or (other == {} and
                                                                 _young(self.path)):
                raise FolderError([
                    f"{self.folder}: another sweep is running shard {other.get('shard')} "
                    f"on this folder (process {other.get('pid')} on {other.get('host')}, "
                    f"since {other.get('started')}); wait for it to finish. If it was "
                    f"stopped on another machine, its lock ({self.path}) is taken over "
                    f"{STALE_S:.0f} s after its last heartbeat"])
            if _take_over(self.path, other, text, self.token.replace(":", "-")):
                break
        else:
            raise FolderError([f"{self.folder}: could not take the lock {self.path}: other "
                               "drivers are starting on it at the same time; try again"])
        self._thread = threading.Thread(target=self._beat, name="flexisim-heartbeat",
                                        daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            if self.taken_over():
                self.lost.set()  # never renew another driver's heartbeat
                return
            try:
                os.utime(self.path)
            except OSError:  # the folder went away: the sweep will fail on its next write
                pass

    def taken_over(self) -> bool:
        """True when the lock file is no longer this driver's (another took it over)."""
        current = _read(self.path)
        return current is not None and current != {} and current.get("token") != self.token

    def others_alive(self) -> bool:
        """True when another driver (of any shard) is live on this folder."""
        for path in self.drivers.glob("shard-*.json"):
            if path.name == self.name:
                continue
            other = _read(path)
            if other and _lock_alive(self.drivers, other):
                return True
        return False

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if (_read(self.path) or {}).get("token") == self.token:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> DriverLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class Claims:
    """The claims of one driver (holding ``lock``) on the runs of a results folder."""

    def __init__(self, lock: DriverLock) -> None:
        self.lock = lock
        self.folder = lock.folder / "claims"
        self.folder.mkdir(exist_ok=True)
        self.mine: set[str] = set()
        self._text = json.dumps({"token": lock.token, "lock": lock.name}) + "\n"

    def _path(self, rid: str) -> Path:
        return self.folder / f"{rid}.json"

    def take(self, rid: str) -> bool:
        """Claim run ``rid``; False when a live driver holds it."""
        path = self._path(rid)
        if not create_exclusive(path, self._text):
            holder = _read(path)
            if holder is None:  # released meanwhile
                if not create_exclusive(path, self._text):
                    return False
            elif holder.get("token") == self.lock.token:
                pass  # already mine
            elif (holder and _lock_alive(self.lock.drivers, holder)) or (holder == {} and
                                                                         _young(path)):
                return False
            elif not _take_over(path, holder, self._text, self.lock.token.replace(":", "-")):
                return False
        self.mine.add(rid)
        return True

    def holds(self, rid: str) -> bool:
        """True when the claim file of run ``rid`` is this driver's now (read again: a claim
        may have been taken over). Anything that deletes a run's files asks this first."""
        return claim_token(self.lock.folder, rid) == self.lock.token

    def held_elsewhere(self, rid: str) -> bool:
        """True when a live driver other than this one claims run ``rid``."""
        holder = _read(self._path(rid))
        return bool(holder) and holder.get("token") != self.lock.token and _lock_alive(
            self.lock.drivers, holder)

    def release(self, rid: str) -> None:
        if rid in self.mine:
            self.mine.discard(rid)
            if (_read(self._path(rid)) or {}).get("token") == self.lock.token:
                self._path(rid).unlink(missing_ok=True)

    def release_all(self) -> None:
        for rid in list(self.mine):
            self.release(rid)
