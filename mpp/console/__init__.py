"""The staff console's domain: accounts, sessions, published catalogue, audit, unanswered questions, hand-offs."""

from __future__ import annotations

from mpp.console.accounts import AccountError, Role, StaffView
from mpp.console.catalogue import CatalogueChangeError, effective_catalogue

__all__ = ["AccountError", "CatalogueChangeError", "Role", "StaffView", "effective_catalogue"]
