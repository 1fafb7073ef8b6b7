"""/auth/tokens: every account lists, creates (shown once) and revokes its own API tokens."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user

from ...boundary import attempt
from ...extensions import db
from ...forms.api_tokens import ApiTokenForm
from ...forms.security import ConfirmForm
from ...i18n import gettext
from ...models import ApiToken
from ...permissions import any_logged_in, can_revoke_token
from ...services.api_tokens import create_token, refusal, revoke_token, tokens_of


def shown_once(new, back_url: str, owner):
    """The page that shows a new token's secret, never cached."""
    response = make_response(render_template("auth/api_token_created.html", token=new.row, secret=new.secret,
                                             back_url=back_url, owner=owner))
    response.headers["Cache-Control"] = "no-store"
    return response


@any_logged_in
def api_tokens():
    """The account's API tokens and the form to create one."""
    user = current_user._get_current_object()
    form = ApiTokenForm()
    if form.validate_on_submit():
        made = []
        refused = attempt(lambda: made.append(create_token(user, actor=user, name=form.name.data or "",
                                                           days=form.days.data)))
        if not refused:
            return shown_once(made[0], url_for("auth.api_tokens"), user)
        form.name.errors = refused.lines
    return render_template("auth/api_tokens.html", form=form, tokens=tokens_of(user), confirm=ConfirmForm(),
                           refused=refusal(user))


@any_logged_in
def revoke_api_token(token_id: int):
    """Revoke one of the account's own tokens that is still in force."""
    user = current_user._get_current_object()
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        abort(404)
    if ConfirmForm().validate_on_submit() and can_revoke_token(user, row):
        revoke_token(row, actor=user)
        flash(gettext("令牌已撤销，使用它的请求将被拒绝。"), "success")
    return redirect(url_for("auth.api_tokens"))
