"""`api-token create`: a bearer token for the JSON API, printed once (alone on the last line)."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..models import User
from ..services.api_tokens import DEFAULT_DAYS, MAX_DAYS, TokenError, create_token
from ..services.audit import chain_pending


@click.group("api-token")
def api_token_group() -> None:
    """Bearer tokens of the JSON API (/api/v1)."""


@api_token_group.command("create")
@click.argument("username")
@click.option("--name", default="", help="令牌名称（便于在账户页面识别）")
@click.option("--days", type=click.IntRange(1, MAX_DAYS), default=DEFAULT_DAYS, show_default=True,
              help="有效天数")
@with_appcontext
def create_command(username: str, name: str, days: int) -> None:
    """Create a token for USERNAME; it acts with exactly that account's role and scope."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        click.echo(f"账户不存在：{username}", err=True)
        sys.exit(2)
    try:
        new = create_token(user, actor=None, name=name or "命令行创建", days=days)
    except TokenError as e:
        click.echo(f"不能创建令牌：{e}", err=True)
        sys.exit(1)
    db.session.commit()
    chain_pending()
    click.echo(f"已为 {user.username}（{user.role.label}）创建API令牌“{new.row.name}”，"
               f"有效期至 {new.row.expires_at:%Y-%m-%d %H:%M} UTC。令牌只显示这一次，请妥善保存：")
    click.echo(new.secret)
