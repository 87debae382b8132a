"""Password hashing (argon2id) and one-time passwords."""

from __future__ import annotations

import secrets
import string
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["MIN_PASSWORD_LENGTH", "hash_password", "needs_rehash", "one_time_password", "verify_password"]

MIN_PASSWORD_LENGTH = 12
_HASHER = PasswordHasher()
_ALPHABET = string.ascii_letters + string.digits


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verifying against this when the account does not exist keeps the response time the same.
    return _HASHER.hash("not-a-real-password")


def hash_password(password: str) -> str:
    """The argon2id hash of a password."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when the password matches the hash (constant work when there is no account)."""
    try:
        return _HASHER.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored_hash)


def one_time_password(length: int = 16) -> str:
    """A random password handed out once; it must be changed at first sign-in."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
