"""Log in and log out."""

from __future__ import annotations

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from core.htmx import render
from core.passwords import verify_password
from core.security import safe_next
from models.accounts import Account
from models.base import utcnow

from . import bp
from .forms import LoginForm


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    next_path = safe_next(request.values.get("next"), url_for("public.home"))
    if form.validate_on_submit():
        account = Account.get_or_none(Account.login == form.login.data.strip())
        if verify_password(account.password_hash if account else None, form.password.data):
            if account.is_active:
                session.clear()
                login_user(account)
                Account.update(last_login_at=utcnow()).where(Account.id == account.id).execute()
                return redirect(next_path, 303)
            form.form_errors.append(_("Konto nie jest aktywne."))
        else:
            form.form_errors.append(_("Nieprawidłowy login lub hasło."))
        return render("auth/login.html", form=form, next=next_path, status=422)
    status = 422 if request.method == "POST" else 200
    return render("auth/login.html", form=form, next=next_path, status=status)


@bp.post("/logout")
@login_required
def logout():
    Account.update(session_version=Account.session_version + 1).where(
        Account.id == current_user.id
    ).execute()
    logout_user()
    session.clear()
    flash(_("Wylogowano."), "info")
    return redirect(url_for("public.home"), 303)
