"""Loading the logged-in account from the session; the session version ends old sessions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from models.accounts import Account

from .extensions import login_manager


@login_manager.user_loader
def load_account(session_id: str) -> Account | None:
    """`<account id>:<session version>`; a bumped version (logout, password change) ends it."""
    account_id, _, version = session_id.partition(":")
    if not account_id.isdigit() or not version.isdigit():
        return None
    account = Account.get_or_none(Account.id == int(account_id))
    if account is None or account.session_version != int(version) or not account.is_active:
        return None
    return account


login_manager.login_view = "auth.login"
login_manager.login_message = _l("Zaloguj się, aby przejść dalej.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"
