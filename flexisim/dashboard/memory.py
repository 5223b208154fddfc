"""How much memory a dashboard model takes, how much the computer has free, and who holds it.

One browser tab must not be able to exhaust a workshop laptop (issue 16, item 2): a 94-byte
file asking for 6 million ASN used to be built at once, and the server grew from 365 MB to
4.6 GB in 16 s. Every model the dashboard builds -- a session's live model in the server, or
the runs of a comparison or a decomposition in the worker processes -- is first *admitted*
here (:func:`admit`): its memory is estimated from the benchmarked bytes per agent times a
safety factor (:func:`estimate`) and compared with the memory the computer has available,
less what the other sessions' models hold and a margin for the system and the browser. A model
that does not fit is not built, and the page says what it would need, what is free and the
largest population that fits.

What was admitted stays in a process-wide registry (thread-safe: sessions run in threads of
one server) until the model is garbage or the runs are over, so two tabs asking at the same
moment cannot both be given the same free memory. The registry counts a model that is built
twice -- once as its estimate here, once in the computer's used memory -- for the *other*
sessions: an error on the safe side, and what keeps a second build from starting before the
first has allocated.

:func:`install` (called by ``app.py`` before the server starts sessions) bounds how long Solara
keeps a disconnected session and frees a session's models when it closes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import gc
import itertools
import math
import os
import threading
import weakref
from typing import Any

import solara

from flexisim.scenario import LEVERS

#: One megabyte as benchmarks/README.md counts it (10^6 bytes: its 2.36 GB at 5.6 M ASN
#: minus the fixed 250 MB is 377 bytes per ASN).
MB = 1_000_000
#: Bytes per ASN agent of a model with both worlds (the policy world and its office-only twin)
#: and the default citizens per ASN: benchmarks/README.md, "Scaling" (below the
#: ``run_all.py --repeats 3 --profile`` table): "about 380 bytes per ASN for both worlds with
#: their citizens (2.36 GB at 5.6M), plus a fixed ~250 MB of interpreter and libraries".
BYTES_PER_ASN = 380
#: The citizens per ASN agent that figure was measured with (levers.toml's default).
DEFAULT_CITIZENS_PER_ASN = float(LEVERS["citizens_per_asn"].default)
#: Bytes per citizen agent (both worlds) above or below that default: a file may ask for up to
#: 5 citizens per ASN, ten times the default. Measured for the dashboard at 400,000 ASN after
#: three steps: 145, 170 and 442 MB with 0.05, 0.5 and 5.0 citizens per ASN (docs/dashboard.md,
#: "Memory").
BYTES_PER_CITIZEN = 150
#: The fixed part, the same line of benchmarks/README.md: interpreter and libraries, which each
#: worker process of the comparison's pool pays once, before its first run (measured: 343 MB
#: peak per worker at 2,000 ASN).
PROCESS_BYTES = 250 * MB
#: Every estimate is multiplied by this. A dashboard model measured 416-458 bytes per ASN after
#: its build and five steps (1,000,000 and 200,000 ASN): above the benchmark's 380 (the page's
#: data collection, memory the allocator keeps), and a workshop laptop has no swap to absorb an
#: error.
SAFETY_FACTOR = 1.5
#: Memory left to the system and to the browser showing the page, whatever the models need.
KEEP_FREE_BYTES = 500 * MB
#: Above this many ASN agents a model is built only on request: the page shows its estimate and
#: a button (a model of 200,000 ASN takes about 1.5 s and 90 MB; 6 million about 40 s and
#: 2.5 GB).
BUILD_ON_REQUEST_ASN = 200_000
#: How long Solara keeps the session of a tab that lost its connection (a closed laptop lid,
#: a dropped network) before closing it and freeing its model. Solara's default is 24 h; a tab
#: closed normally is closed at once. ``SOLARA_KERNEL_CULL_TIMEOUT`` in the environment wins.
CULL_TIMEOUT = "60s"


def megabytes(nbytes: int, *, up: bool) -> int:
    """Whole MB for the page: a need rounded up, what is free rounded down."""
    return -(-nbytes // MB) if up else nbytes // MB


def bytes_per_asn(citizens_per_asn: float = DEFAULT_CITIZENS_PER_ASN) -> float:
    """Estimated bytes per ASN agent of one model (both worlds), safety factor included.

    Parameters
    ----------
    citizens_per_asn : float
        Citizen agents per ASN agent (lever ``citizens_per_asn``).

    Returns
    -------
    float
        Bytes per ASN agent.
    """
    citizens = (citizens_per_asn - DEFAULT_CITIZENS_PER_ASN) * BYTES_PER_CITIZEN
    return SAFETY_FACTOR * (BYTES_PER_ASN + citizens)


def model_bytes(n_asn: int, citizens_per_asn: float = DEFAULT_CITIZENS_PER_ASN) -> int:
    """Estimated bytes of one model of ``n_asn`` ASN agents (both worlds), safety included."""
    return math.ceil(n_asn * bytes_per_asn(citizens_per_asn))


@dataclasses.dataclass(frozen=True)
class Estimate:
    """What a build would take, against what the dashboard may still use.

    Attributes
    ----------
    n_asn : int
        ASN agents of each model.
    needed : int
        Estimated bytes, safety factor included: one model in the server, or ``models`` at a
        time in worker processes plus the ``new_processes`` to start.
    available : int or None
        Bytes the dashboard may still give to models: the computer's available memory less
        what the other sessions' models hold and :data:`KEEP_FREE_BYTES`; None when the
        computer does not say how much memory it has free.
    largest : int
        The largest population (ASN agents, rounded down) that fits ``available``; 0 when not
        even the smallest one does.
    models : int
        Models held at a time; in worker processes when ``in_workers``.
    in_workers : bool
        The models run in the comparison's worker processes, not in the server.
    """

    n_asn: int
    needed: int
    available: int | None
    largest: int
    models: int = 1
    in_workers: bool = False

    @property
    def fits(self) -> bool:
        """Whether it may be built: within ``available``, or, when the free memory is
        unknown, no larger than what is built without asking."""
        if self.available is None:
            return self.n_asn <= BUILD_ON_REQUEST_ASN
        return self.needed <= self.available

    @property
    def on_request(self) -> bool:
        """Whether a model this large is built only when the facilitator asks for it."""
        return self.n_asn > BUILD_ON_REQUEST_ASN


class MemoryCapExceeded(Exception):
    """A model (or a comparison's runs) that does not fit the memory the dashboard may use."""

    def __init__(self, estimate: Estimate) -> None:
        free = "unknown" if estimate.available is None else f"{estimate.available // MB} MB"
        super().__init__(f"{estimate.n_asn} ASN agents need about {estimate.needed // MB} MB; "
                         f"free for the dashboard: {free}")
        self.estimate = estimate


#: The estimate of the last build this session asked for and was refused (by "Build model" or
#: by Mesa's Reset), shown on the page; per session (``solara.reactive``).
refused: solara.Reactive[Estimate | None] = solara.reactive(None)


def system_available() -> int | None:
    """Bytes of memory the computer has available now, or None if it does not say.

    Linux's ``MemAvailable`` (/proc/meminfo: free memory plus what the kernel can reclaim
    without swapping), else psutil's equivalent where it is installed (other systems).
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024  # the file counts kB
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil
    except ImportError:
        return None
    return int(psutil.virtual_memory().available)


_lock = threading.RLock()
#: token -> (session id, bytes) of every admitted model or batch of runs not yet released
_held: dict[int, tuple[str, int]] = {}
#: token -> the model it was admitted for (weakly), for :func:`release_session`
_owners: dict[int, weakref.ref[Any]] = {}
_tokens = itertools.count(1)


def session_id() -> str:
    """The current Solara session (virtual kernel) id; "" outside a session (tests, start-up)."""
    from solara.server import kernel_context

    try:
        if kernel_context.has_current_context():
            return str(kernel_context.get_current_context().id)
    except RuntimeError:  # no thread or task context at all
        pass
    return ""


def held(*, session: str | None = None, other_than: str | None = None) -> int:
    """Bytes the registry holds: all, one ``session``'s, or all but ``other_than``'s."""
    with _lock:
        # a copy: a finalizer run by the garbage collector in this thread (the lock is
        # re-entrant) may release an entry while the sum is being taken
        return sum(nbytes for owner, nbytes in list(_held.values())
                   if (session is None or owner == session)
                   and (other_than is None or owner != other_than))


def _round_down(n: int) -> int:
    """Two significant digits, down: 2,631,578 -> 2,600,000 (a number a room can read)."""
    if n < 100:
        return n
    step = 10 ** (len(str(n)) - 2)
    return n // step * step


def estimate(n_asn: int, citizens_per_asn: float = DEFAULT_CITIZENS_PER_ASN, *,
             models: int = 1, new_processes: int = 0, in_workers: bool = False,
             available: int | None = None) -> Estimate:
    """The memory a model of ``n_asn`` ASN agents needs, against what is free now.

    Parameters
    ----------
    n_asn : int
        ASN agents of each model.
    citizens_per_asn : float
        Citizen agents per ASN agent.
    models : int
        Models held at the same time (the runs of a comparison in flight at once: one per
        worker process, however many replications are queued behind them).
    new_processes : int
        Worker processes that the runs would start (each :data:`PROCESS_BYTES`, with the
        safety factor).
    in_workers : bool
        The models run in worker processes (for the page's message).
    available : int, optional
        The computer's available memory in bytes (default: :func:`system_available` now).

    Returns
    -------
    Estimate
        ``needed`` and ``available`` in bytes; ``largest`` in ASN agents.
    """
    fixed = math.ceil(new_processes * SAFETY_FACTOR * PROCESS_BYTES)
    needed = fixed + models * model_bytes(n_asn, citizens_per_asn)
    free = system_available() if available is None else available
    lever = LEVERS["n_asn"]
    if free is None:
        return Estimate(n_asn, needed, None, BUILD_ON_REQUEST_ASN, models, in_workers)
    room = max(0, free - held(other_than=session_id()) - KEEP_FREE_BYTES)
    largest = _round_down(max(0, int((room - fixed) // (models * bytes_per_asn(citizens_per_asn)))))
    largest = min(largest, int(lever.max))
    return Estimate(n_asn, needed, room, largest if largest >= lever.min else 0, models,
                    in_workers)


class Reservation:
    """Memory admitted for a model or a batch of runs, held in the registry until released.

    Release it by hand (:meth:`release`, or use it as a context manager) when the runs are
    over, or :meth:`attach` it to the model it was admitted for: it is released when that model
    is garbage.
    """

    def __init__(self, token: int, nbytes: int) -> None:
        self.token = token
        self.nbytes = nbytes

    def attach(self, owner: Any) -> None:
        """Release when ``owner`` is garbage-collected (its finalizer, not its ``__del__``:
        a model in a reference cycle is collected all the same), or when its session closes
        (:func:`release_session`, which also calls the owner's ``release()``)."""
        weakref.finalize(owner, _release, self.token)
        with _lock:
            if self.token in _held:
                _owners[self.token] = weakref.ref(owner)

    def release(self) -> None:
        _release(self.token)

    def __enter__(self) -> Reservation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _release(token: int) -> None:
    with _lock:
        _held.pop(token, None)
        _owners.pop(token, None)


def release_session(session: str) -> int:
    """Release what a closed session holds: each of its models is told to let go of its
    memory (``release()``) and its entries leave the registry. Returns the bytes released.

    The models themselves may outlive their session: Solara 1.58.2's ``use_task`` (which
    Mesa's play loop uses, once per session) registers a callback in a process-wide list that
    is never emptied, and through its closure the session's model reactive stays reachable
    for the life of the server. What a released model held is freed all the same.
    """
    with _lock:
        tokens = [k for k, (owner, _) in _held.items() if owner == session]
        owners = [_owners.get(k) for k in tokens]
        freed = sum(_held[k][1] for k in tokens)
    for ref in owners:
        owner = ref() if ref is not None else None
        if owner is not None and callable(getattr(owner, "release", None)):
            owner.release()
    for token in tokens:
        _release(token)
    return freed


def admit(n_asn: int, citizens_per_asn: float = DEFAULT_CITIZENS_PER_ASN, *,
          models: int = 1, new_processes: int = 0, in_workers: bool = False) -> Reservation:
    """Reserve the memory of a build, or refuse it.

    Parameters are those of :func:`estimate`. Before a large build, garbage is collected
    first (:func:`collect`), so that models already dropped do not count as used.

    Returns
    -------
    Reservation
        Held by this session until released.

    Raises
    ------
    MemoryCapExceeded
        When the estimate does not fit (its ``estimate`` says by how much).
    """
    if n_asn * models > BUILD_ON_REQUEST_ASN:
        collect()
    with _lock:  # estimate and entry together: a second build sees the first one's memory
        need = estimate(n_asn, citizens_per_asn, models=models, new_processes=new_processes,
                        in_workers=in_workers)
        if not need.fits:
            raise MemoryCapExceeded(need)
        token = next(_tokens)
        _held[token] = (session_id(), need.needed)
    return Reservation(token, need.needed)


def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None elsewhere (musl, macOS, Windows)."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


_trim = _malloc_trim()


def collect() -> None:
    """Free now what dropped models hold.

    A model's agents refer back to it, so only the cycle collector frees it, and a long-lived
    object is looked at rarely (minutes, in a server that allocates little). And glibc keeps
    freed heap for the process: a dropped model of 1,000,000 ASN left the server 327 MB larger,
    3 MB after ``malloc_trim`` (docs/dashboard.md, "Memory").
    """
    gc.collect()
    if _trim is not None:
        _trim(0)


def collect_soon(delay: float = 1.0) -> None:
    """:func:`collect` in a moment, in the background: after the page has let go of a
    replaced model (the render in progress still refers to it)."""
    timer = threading.Timer(delay, collect)
    timer.daemon = True
    timer.start()


def _free_on_close() -> Any:
    """At each session's start: when it closes, release and collect what its models held."""
    closed = solara.kernel_closed_event()
    session = session_id()

    def cleanup() -> None:
        # runs inside Solara's close, before the session's widgets and state are let go: wait
        # in a thread of our own until the close has finished, then free
        threading.Thread(target=_free_when_closed, args=(closed, session), daemon=True,
                         name="flexisim-free-session").start()

    return cleanup


def _free_when_closed(closed: threading.Event, session: str, timeout: float = 30.0) -> None:
    closed.wait(timeout)
    release_session(session)
    collect()


_installed = False


def install() -> None:
    """Bound the life of a disconnected session (:data:`CULL_TIMEOUT`, unless
    ``SOLARA_KERNEL_CULL_TIMEOUT`` is set) and free a session's models when it closes.

    ``app.py`` calls this before the server starts sessions (idempotent).
    """
    global _installed
    import solara.server.settings

    if "SOLARA_KERNEL_CULL_TIMEOUT" not in {k.upper() for k in os.environ}:
        solara.server.settings.kernel.cull_timeout = CULL_TIMEOUT
    if not _installed:
        solara.lab.on_kernel_start(_free_on_close)
        _installed = True
