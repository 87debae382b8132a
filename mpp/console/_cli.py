"""`mpp staff`, `mpp privacy` and `mpp kb export/import` (registered by mpp/cli.py)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["add_kb_commands", "first_admin_hint", "privacy_app", "staff_app"]

staff_app = typer.Typer(help="Staff console accounts.", no_args_is_help=True)
privacy_app = typer.Typer(help="Residents' personal data (UU PDP 27/2022).", no_args_is_help=True)


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


@staff_app.command("add")
def staff_add(
    email: Annotated[str, typer.Argument(help="e-mail of the staff member")],
    role: Annotated[str, typer.Option(help="admin, editor, operator or viewer")],
    tenant: Annotated[list[str] | None, typer.Option(help="tenant id an editor may edit (repeatable)")] = None,
    office: Annotated[list[str] | None, typer.Option(help="office id an operator serves (repeatable)")] = None,
) -> None:
    """Create a staff account and print its one-time password (changed at first sign-in)."""
    from mpp.console.accounts import AccountError, Role, create_staff
    from mpp.db import session_scope

    try:
        role_enum = Role(role)
    except ValueError as exc:
        raise typer.BadParameter("role must be admin, editor, operator or viewer") from exc
    try:
        with session_scope() as db:
            user, password = create_staff(db, email, role_enum, tenant or [], office or [])
            email = user.email
    except AccountError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Akun {email} ({role_enum.value}) dibuat.")
    typer.echo(f"Kata sandi sekali pakai: {password}")
    typer.echo("Wajib diganti saat masuk pertama kali di /console/login.")


@staff_app.command("list")
def staff_list() -> None:
    """List staff accounts."""
    from sqlalchemy import select

    from mpp.console.models import StaffUser
    from mpp.db import session_scope

    with session_scope() as db:
        for u in db.scalars(select(StaffUser).order_by(StaffUser.email)):
            scope = ",".join([*u.tenant_ids, *u.office_ids]) or "-"
            typer.echo(f"{u.email:40s} {u.role:9s} {scope} {'aktif' if u.active else 'nonaktif'}")


@staff_app.command("reset-password")
def staff_reset_password(email: Annotated[str, typer.Argument(help="e-mail of the account")]) -> None:
    """Give an account a new one-time password and sign it out everywhere."""
    from sqlalchemy import select

    from mpp.console.accounts import reset_password
    from mpp.console.models import StaffUser
    from mpp.db import session_scope

    with session_scope() as db:
        user = db.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
        if user is None:
            typer.echo("Akun tidak ditemukan.", err=True)
            raise typer.Exit(1)
        password = reset_password(db, user)
    typer.echo(f"Kata sandi sekali pakai: {password}")


@privacy_app.command("delete")
def privacy_delete(
    sender: Annotated[str, typer.Option(help="the conversation id, e.g. whatsapp:+62812...")],
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Delete a resident's data from every table with a `sender` column (logged without the data)."""
    from mpp.console.privacy import delete_resident
    from mpp.db import get_engine

    if not yes:
        typer.confirm("Hapus semua data warga ini secara permanen?", abort=True)
    reference, counts = delete_resident(get_engine(), sender, _actor())
    typer.echo(json.dumps({"reference": reference, "rows": counts, "total": sum(counts.values())}))


def add_kb_commands(kb_app: typer.Typer) -> None:
    """Add `export` and `import` to the `mpp kb` group."""

    @kb_app.command("export")
    def kb_export(
        out: Annotated[Path, typer.Option(help="folder for the tenant YAML files")],
        tenant: Annotated[list[str] | None, typer.Option(help="only these tenants (repeatable)")] = None,
    ) -> None:
        """Write the live catalogue (YAML plus what staff published) as tenant YAML files."""
        from mpp.console.catalogue import effective_catalogue, export_catalogue
        from mpp.db import session_scope
        from mpp.settings import get_settings

        with session_scope() as db:
            catalogue = effective_catalogue(db, get_settings().catalogue_dir)
        paths = export_catalogue(catalogue, out, tenant or None)
        typer.echo(f"{len(paths)} berkas ditulis ke {out}")

    @kb_app.command("import")
    def kb_import(
        paths: Annotated[list[Path], typer.Argument(help="tenant YAML files or folders")],
    ) -> None:
        """Publish every service of these tenant files that differs from the live catalogue."""
        from mpp.console.catalogue import CatalogueChangeError, import_catalogue
        from mpp.db import session_scope
        from mpp.settings import get_settings

        files: dict[str, str] = {}
        for p in paths:
            for f in sorted(p.glob("*.yaml")) if p.is_dir() else [p]:
                files[f.name] = f.read_text(encoding="utf-8")
        try:
            with session_scope() as db:
                changed = import_catalogue(db, _actor(), files, get_settings().catalogue_dir)
        except CatalogueChangeError as exc:
            for m in exc.messages:
                typer.echo(f"ERROR {m}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"{len(changed)} layanan diterbitkan: {', '.join(changed) or '-'}")


def first_admin_hint() -> str | None:
    """How to create the first admin, when there is none yet (printed by `mpp run`)."""
    from sqlalchemy.exc import SQLAlchemyError

    from mpp.console.accounts import Role, has_staff
    from mpp.db import session_scope

    try:
        with session_scope() as db:
            if has_staff(db, Role.ADMIN):
                return None
    except SQLAlchemyError:
        return None
    return (
        "Belum ada akun admin konsol petugas. Buat dengan:\n"
        "  .venv/bin/mpp staff add EMAIL --role admin\n"
        "lalu masuk di /console/login dengan kata sandi sekali pakai yang tercetak."
    )
