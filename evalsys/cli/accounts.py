"""`create-user` and `unlock-user`: the way in for the first admins and for a locked-out security admin."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..models import Role, User
from ..services.accounts import AccountError, create_user, unlock_user
from ..services.audit import chain_pending


def _fail(message: str, code: int = 2) -> None:
    click.echo(message, err=True)
    sys.exit(code)


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="the account's single role")
@click.option("--authority", "authority_code", default=None, help="authority code (required for --role authority)")
@click.option("--display-name", default="", help="the person's name")
@click.option("--password-stdin", is_flag=True, required=True, help="read the password from standard input")
@with_appcontext
def create_user_command(username: str, role: str, authority_code: str | None, display_name: str,
                        password_stdin: bool) -> None:
    """Create an account from the command line (e.g. the first admin and security admin)."""
    password = sys.stdin.readline().rstrip("\r\n")
    if Role(role) == Role.APPLICANT:
        _fail("申报单位账户请通过 /auth/register 注册")
    try:
        user = create_user(username, Role(role), password, actor=None, display_name=display_name or username,
                           authority_code=authority_code)
    except AccountError as e:
        _fail(f"创建失败：{e}")
    db.session.commit()
    chain_pending()
    click.echo(f"created {user.username} ({user.role.value})")


@click.command("unlock-user")
@click.argument("username")
@with_appcontext
def unlock_user_command(username: str) -> None:
    """Lift a lockout (the way back in for a locked-out security admin)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        _fail(f"没有用户 {username}")
    unlock_user(user, actor=None)
    db.session.commit()
    chain_pending()
    click.echo(f"unlocked {username}")
