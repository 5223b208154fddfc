"""Compile the simulation kernels once: a tiny run that fills numba's on-disk cache.

    python -m flexisim.warmup

The mechanisms' loops are numba kernels compiled with ``cache=True`` (flexisim.engine.kernel):
the first run on a machine compiles them (about 15 s), later runs load them from the cache
beside the sources (``__pycache__``) in well under a second. ``tools/venv.sh`` (./run.sh,
./test.sh) runs this module once after installing, with a message, and records that it did;
a cluster job runs the same tiny run before its workers start
(:func:`flexisim.experiment.cluster.warm_up_command`). ``flexisim run`` prints
:data:`MESSAGE` before a run that will compile (:func:`notice_if_cold`).

Whether the cache is cold is told cheaply and conservatively (:func:`cache_is_cold`): no
numba index file (``*.nbi``) in the mechanisms' ``__pycache__``. When numba keeps its cache
elsewhere (``$NUMBA_CACHE_DIR``, or the user's cache when the package's folder is read-only)
nothing is claimed. An index made on another CPU model does not count as cold (numba then
compiles anyway, without the message).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TextIO

__all__ = ["MESSAGE", "TYPICAL_SECONDS", "WARM_UP_ASN", "WARM_UP_STEPS", "cache_is_cold",
           "main", "notice_if_cold", "warm_up"]

#: The warm-up run: small and short, it calls every kernel of a default run once (a
#: 60-week run of 3,000 ASN after it compiles nothing more).
WARM_UP_ASN, WARM_UP_STEPS = 600, 2
#: Compiling every kernel from a cold cache, measured (2-CPU machine, numba 0.61+: 16.7 s)
TYPICAL_SECONDS = 15
MESSAGE = (f"Compiling the simulation kernels once (about {TYPICAL_SECONDS} s; later runs "
           "start at once)...")

_PACKAGE = Path(__file__).resolve().parent
#: the folders of the modules that define kernels, whose ``__pycache__`` numba writes to
KERNEL_FOLDERS = (_PACKAGE / "mechanisms", _PACKAGE / "engine")


def cache_is_cold(folders: tuple[Path, ...] = KERNEL_FOLDERS) -> bool:
    """True when the kernels have never been compiled here: numba would cache them in the
    ``__pycache__`` of `folders` (no ``$NUMBA_CACHE_DIR``, the folders writable) and none of
    those holds an index file. False when that cannot be told (a cache kept elsewhere)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return False
    for folder in folders:
        if not os.access(folder, os.W_OK):
            return False  # numba falls back to the user's cache: not looked into
        cache = folder / "__pycache__"
        if cache.is_dir() and any(cache.glob("*.nbi")):
            return False
    return True


def notice_if_cold(stream: TextIO | None = None) -> bool:
    """Print :data:`MESSAGE` (one line, to stderr) when the cache is cold; True if printed."""
    if not cache_is_cold():
        return False
    print(MESSAGE, file=stream or sys.stderr, flush=True)
    return True


def warm_up(stream: TextIO | None = None, *, message: bool | None = None) -> float:
    """Run the tiny warm-up (:data:`WARM_UP_ASN` ASN, :data:`WARM_UP_STEPS` weeks), which
    compiles every kernel of a run or loads it from the cache; the seconds it took.

    `message`: print :data:`MESSAGE` first (default: when the cache is cold) and, after it,
    how long compiling took.
    """
    stream = stream or sys.stderr
    if message is None:
        message = cache_is_cold()
    if message:
        print(MESSAGE, file=stream, flush=True)
    start = time.perf_counter()
    from flexisim.model import FlexiworkModel

    FlexiworkModel(rng=1, n_asn=WARM_UP_ASN).run(WARM_UP_STEPS)
    seconds = time.perf_counter() - start
    if message:
        print(f"Kernels compiled and cached in {seconds:.0f} s.", file=stream, flush=True)
    return seconds


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m flexisim.warmup", description=__doc__
                                     .split("\n\n")[0])
    parser.parse_args(argv)
    warm_up()
    return 0


if __name__ == "__main__":
    sys.exit(main())
