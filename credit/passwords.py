"""Password hashing with Argon2id (argon2-cffi).

New hashes use the library's default parameters, RFC 9106's low-memory profile (t=3, m=64 MiB, p=4):
about 100 ms per check on a 2-core machine. Hashes of the former scheme (PBKDF2-SHA256) still
verify; `needs_rehash` says so, and the sign-in rehashes them with the current parameters.
`verify_dummy` spends the time of a real check, so an unknown user name answers as slowly as a
known one. Tests switch to a cheap parameter set with `use_cost(CHEAP)`.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@dataclass(frozen=True)
class Cost:
    time_cost: int
    memory_cost: int  # KiB
    parallelism: int


STRONG = Cost(time_cost=3, memory_cost=64 * 1024, parallelism=4)  # argon2-cffi's default, RFC 9106 low memory
CHEAP = Cost(time_cost=1, memory_cost=8, parallelism=1)  # tests only: a fraction of a millisecond

MAX_LENGTH = 1024
_LEGACY = "pbkdf2_sha256$"


class _State:
    hasher = PasswordHasher(STRONG.time_cost, STRONG.memory_cost, STRONG.parallelism)
    dummy: str | None = None


def use_cost(cost: Cost) -> None:
    """Parameters for new hashes (and for the dummy check); the process's default is STRONG."""
    _State.hasher = PasswordHasher(cost.time_cost, cost.memory_cost, cost.parallelism)
    _State.dummy = None


def hash_password(password: str, cost: Cost | None = None) -> str:
    """A new hash with today's parameters, or with `cost` (e.g. CHEAP demo users for tests and benchmarks)."""
    if cost is not None:
        return PasswordHasher(cost.time_cost, cost.memory_cost, cost.parallelism).hash(password)
    return _State.hasher.hash(password)


def check_password(stored: str, password: str) -> bool:
    if stored.startswith(_LEGACY):
        return _check_pbkdf2(stored, password)
    try:
        return _State.hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True for a former-scheme hash or an Argon2 hash made with other parameters than today's."""
    if stored.startswith(_LEGACY):
        return True
    try:
        return _State.hasher.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def verify_dummy(password: str) -> None:
    """As long as a real check, for a user name that does not exist (or a disabled account)."""
    if _State.dummy is None:
        _State.dummy = _State.hasher.hash("not a password of anyone")
    check_password(_State.dummy, password)


def verify(stored: str | None, secret: str) -> tuple[bool, str | None]:
    """Check a secret against a stored hash, or against the dummy when there is none (an unknown or
    disabled account), so both take as long. Returns (ok, new hash to store when it needs rehashing)."""
    if stored is None or len(secret) > MAX_LENGTH:
        verify_dummy(secret[:MAX_LENGTH])
        return False, None
    ok = check_password(stored, secret)
    return ok, (hash_password(secret) if ok and needs_rehash(stored) else None)


def problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < 8:
        return "A password needs at least 8 characters."
    if len(password) > MAX_LENGTH:
        return f"A password has at most {MAX_LENGTH} characters."
    if any(ch in password for ch in "\r\n\x00"):
        return "A password is one line of text."
    return None


def legacy_pbkdf2(password: str, salt: bytes, iterations: int = 120_000) -> str:
    """A hash of the former scheme, for tests that an old hash still signs in and is rehashed."""
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def _check_pbkdf2(stored: str, password: str) -> bool:
    try:
        _, iterations, salt, digest = stored.split("$")
        candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)
