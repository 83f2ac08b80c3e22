"""Consent texts and their versions ("zgody"), as the admin keeps them.

A consent is identified by its `code`; changing its wording makes a new row with the next
version and retires the old one, so every ConsentRecord keeps pointing at the text the
patient actually accepted. A new version of a REQUIRED consent is due again: a patient who
accepted an earlier version is asked to accept the new one at their next login
(`due_for`, checked once per session by the account blueprint).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import peewee as pw
from flask_babel import gettext as _

from core import audit
from core.errors import DomainError
from models.accounts import Account, Consent, ConsentRecord
from models.base import write_transaction

from .account_changes import set_consent

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class ConsentError(DomainError):
    status = 422

    @property
    def message(self) -> str:
        return _("Nie udało się zapisać zgody.")


class CodeTaken(ConsentError):
    @property
    def message(self) -> str:
        return _("Zgoda o tym kodzie już istnieje: dodaj jej nową wersję.")


class UnknownConsent(ConsentError):
    status = 404


@dataclass(frozen=True)
class ConsentText:
    title: str
    text: str
    required: bool


def current_versions() -> list[Consent]:
    """The newest version of every consent code, active or retired."""
    newest = Consent.select(Consent.code, pw.fn.MAX(Consent.version).alias("v")).group_by(
        Consent.code
    )
    return list(
        Consent.select()
        .join(newest, on=(Consent.code == newest.c.code) & (Consent.version == newest.c.v))
        .order_by(Consent.required.desc(), Consent.code)
    )


def versions(code: str) -> list[Consent]:
    rows = list(Consent.select().where(Consent.code == code).order_by(Consent.version.desc()))
    if not rows:
        raise UnknownConsent()
    return rows


def create(code: str, text: ConsentText) -> Consent:
    if not CODE_RE.match(code):
        raise ConsentError()
    with write_transaction():
        if Consent.select().where(Consent.code == code).exists():
            raise CodeTaken()
        consent = Consent.create(code=code, version=1, **text.__dict__)
        audit.staff_action(
            "admin.consent.created", object_type="consent", object_id=consent.id, details=code
        )
    return consent


def new_version(code: str, text: ConsentText) -> Consent:
    """The next version becomes the active one; earlier versions are retired."""
    with write_transaction():
        latest = versions(code)[0]
        Consent.update(active=False).where(Consent.code == code).execute()
        consent = Consent.create(
            code=code, version=latest.version + 1, active=True, **text.__dict__
        )
        audit.staff_action(
            "admin.consent.new_version",
            object_type="consent",
            object_id=consent.id,
            details=f"{code} v{consent.version}",
        )
    return consent


def set_retired(code: str, retired: bool) -> None:
    """Stop asking for a consent (or ask again): only its newest version is ever active."""
    with write_transaction():
        latest = versions(code)[0]
        Consent.update(active=not retired).where(Consent.id == latest.id).execute()
        audit.staff_action(
            "admin.consent.retired" if retired else "admin.consent.reactivated",
            object_type="consent",
            object_id=latest.id,
            details=code,
        )


def due_for(account: Account) -> list[Consent]:
    """Active required consents whose earlier version the account accepted, but not this one."""
    granted = (
        ConsentRecord.select(ConsentRecord.consent, ConsentRecord.granted)
        .where(ConsentRecord.account == account.id)
        .order_by(ConsentRecord.at, ConsentRecord.id)
    )
    latest: dict[int, bool] = {}
    for consent_id, was_granted in granted.tuples():
        latest[consent_id] = was_granted
    accepted_ids = [cid for cid, ok in latest.items() if ok]
    if not accepted_ids:
        return []
    accepted_codes = Consent.select(Consent.code).where(Consent.id.in_(accepted_ids))
    return list(
        Consent.select()
        .where(
            Consent.active
            & Consent.required
            & Consent.code.in_(accepted_codes)
            & Consent.id.not_in(accepted_ids)
        )
        .order_by(Consent.code)
    )


def accept(account: Account, consents: list[Consent], ip: str) -> None:
    for consent in consents:
        set_consent(account, consent, True, ip)
