"""Random streams of a run, keyed by name.

Every run has one seed. Each mechanism (and the population, and the recruits' attributes)
draws from its own stream, a :class:`numpy.random.SeedSequence` child of that seed whose
spawn key is derived from the stream's **name** -- not from its position in a list -- so
adding, removing or reordering a mechanism leaves every other stream's draws unchanged
(tests/test_registry.py proves it).

The streams of the first version were spawned by position (``SeedSequence(seed).spawn(10)``);
their names keep those spawn keys (:data:`LEGACY_KEYS`), so results of the shipped mechanisms
stay bit-identical. Every other name gets a key from a stable hash of the name (BLAKE2b, not
Python's salted ``hash()``), with the top bit set so it can never equal a legacy key.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["LEGACY_KEYS", "generator", "hash_uniform", "recruit_seed", "seed_sequence",
           "stream_key"]

#: Spawn keys of the streams of the first version (their positions in its spawn list).
LEGACY_KEYS: dict[str, int] = {
    "population": 0, "eligibility": 1, "workmode": 2, "effort": 3, "production": 4,
    "oversight": 5, "citizens": 6, "workforce": 7, "appraisal": 8, "recruits": 9,
}


def stream_key(name: str) -> int:
    """The spawn key of stream ``name``: its legacy key, or 64 bits of BLAKE2b of the name
    with the top bit set."""
    if not name or not isinstance(name, str):
        raise ValueError(f"a stream needs a non-empty name, not {name!r}")
    if name in LEGACY_KEYS:
        return LEGACY_KEYS[name]
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") | (1 << 63)


def seed_sequence(seed: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of stream ``name`` in the run with ``seed``."""
    return np.random.SeedSequence(int(seed), spawn_key=(stream_key(name),))


def generator(seed: int, name: str) -> np.random.Generator:
    """A fresh generator of stream ``name`` in the run with ``seed``."""
    return np.random.default_rng(seed_sequence(seed, name))


def recruit_seed(seed: int) -> int:
    """The 64-bit seed of the recruits' hashed attributes (:func:`hash_uniform`)."""
    return int(seed_sequence(seed, "recruits").generate_state(1, np.uint64)[0])


def hash_uniform(seed: int, key: np.ndarray, week: int, n_attributes: int) -> np.ndarray:
    """Counter-based uniforms in [0, 1): one per (seed, key, week, attribute).

    Returns an array of shape ``(n_attributes, len(key))``. A SplitMix64 finaliser over the
    key: recruits' attributes must not depend on how many other slots were refilled that week
    (that differs between a policy world and its counterfactual), so each draw is a pure
    function of its key -- common random numbers by construction, and vectorised.
    """
    attribute = np.arange(1, n_attributes + 1, dtype=np.uint64)[:, None]
    with np.errstate(over="ignore"):
        x = (np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
             ^ key.astype(np.uint64)[None, :] * np.uint64(0xBF58476D1CE4E5B9)
             ^ np.uint64(week % (1 << 64)) * np.uint64(0x94D049BB133111EB)  # warm-up: < 0
             ^ attribute * np.uint64(0xD6E8FEB86659FD93))
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    # the top 24 bits: exactly representable in float32, so the result stays below 1.0
    return (x >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / (1 << 24))
