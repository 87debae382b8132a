"""Staff accounts: roles, what each role may do, sign-in with lockout, password changes."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mpp.console._passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    one_time_password,
    verify_password,
)
from mpp.console.models import StaffUser

__all__ = [
    "LOCKOUT",
    "MAX_FAILURES",
    "AccountError",
    "Role",
    "StaffView",
    "authenticate",
    "change_password",
    "create_staff",
    "has_staff",
    "is_locked",
    "reset_password",
    "sign_out_everywhere",
]

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Role(str, Enum):
    """What a staff member is for."""

    ADMIN = "admin"
    EDITOR = "editor"
    OPERATOR = "operator"
    VIEWER = "viewer"


class AccountError(ValueError):
    """A staff account operation was refused; the message is shown to staff (Indonesian)."""


@dataclass(frozen=True)
class StaffView:
    """What a request knows about the signed-in staff member."""

    id: int
    email: str
    role: Role
    tenant_ids: tuple[str, ...]
    office_ids: tuple[str, ...]
    must_change_password: bool

    def can_edit_tenant(self, tenant: str) -> bool:
        """Admins edit every tenant; editors only their own."""
        return self.role is Role.ADMIN or (self.role is Role.EDITOR and tenant in self.tenant_ids)

    def can_serve_office(self, office: str) -> bool:
        """Admins serve every office; operators only their own (all when none is assigned)."""
        if self.role is Role.ADMIN:
            return True
        return self.role is Role.OPERATOR and (not self.office_ids or office in self.office_ids)

    @classmethod
    def of(cls, user: StaffUser) -> StaffView:
        """The view of a stored account."""
        return cls(
            id=user.id,
            email=user.email,
            role=Role(user.role),
            tenant_ids=tuple(user.tenant_ids or ()),
            office_ids=tuple(user.office_ids or ()),
            must_change_password=user.must_change_password,
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes even for timezone-aware columns.
    return value.replace(tzinfo=dt.timezone.utc) if value is not None and value.tzinfo is None else value


def has_staff(db: Session, role: Role | None = None) -> bool:
    """True when at least one active account (of this role) exists."""
    q = select(func.count()).select_from(StaffUser).where(StaffUser.active.is_(True))
    if role is not None:
        q = q.where(StaffUser.role == role.value)
    return bool(db.scalar(q))


def create_staff(
    db: Session, email: str, role: Role, tenant_ids: list[str] | None = None, office_ids: list[str] | None = None
) -> tuple[StaffUser, str]:
    """Create an account; returns it with its one-time password (to be changed at first sign-in)."""
    email = email.strip().lower()
    if not _EMAIL_RE.match(email):
        raise AccountError("Alamat e-mail tidak valid.")
    if db.scalar(select(StaffUser).where(StaffUser.email == email)) is not None:
        raise AccountError("Akun dengan e-mail ini sudah ada.")
    if role is Role.EDITOR and not tenant_ids:
        raise AccountError("Editor harus diberi minimal satu instansi (--tenant).")
    password = one_time_password()
    user = StaffUser(
        email=email,
        role=role.value,
        tenant_ids=sorted(set(tenant_ids or [])),
        office_ids=sorted(set(office_ids or [])),
        password_hash=hash_password(password),
        must_change_password=True,
        failed_count=0,
        session_epoch=0,
        active=True,
    )
    db.add(user)
    db.flush()
    return user, password


def authenticate(db: Session, email: str, password: str, now: dt.datetime | None = None) -> StaffUser | None:
    """The account when the password is right and it is not locked; counts failures and locks."""
    now = now or _now()
    user = db.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None or not user.active:
        verify_password(None, password)
        return None
    locked = _aware(user.locked_until)
    if locked is not None and locked > now:
        return None
    if not verify_password(user.password_hash, password):
        user.failed_count += 1
        if user.failed_count >= MAX_FAILURES:
            user.locked_until = now + LOCKOUT
            user.failed_count = 0
        return None
    user.failed_count = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def is_locked(user: StaffUser, now: dt.datetime | None = None) -> bool:
    """True while the account is locked after too many failures."""
    locked = _aware(user.locked_until)
    return locked is not None and locked > (now or _now())


def change_password(db: Session, user: StaffUser, current: str, new: str) -> None:
    """Change a password (signs out every other session)."""
    if not verify_password(user.password_hash, current):
        raise AccountError("Kata sandi lama salah.")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Kata sandi baru minimal {MIN_PASSWORD_LENGTH} karakter.")
    if new == current:
        raise AccountError("Kata sandi baru harus berbeda dari yang lama.")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_epoch += 1


def reset_password(db: Session, user: StaffUser) -> str:
    """A new one-time password for an account (an admin hands it over); unlocks it."""
    password = one_time_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.failed_count = 0
    user.locked_until = None
    user.session_epoch += 1
    return password


def sign_out_everywhere(db: Session, user: StaffUser) -> None:
    """Invalidate every session of the account."""
    user.session_epoch += 1
