"""Writing the audit log: changes of someone's personal or medical data, the reads that call
read(), logins and refused access (refused())."""

from __future__ import annotations

from flask import has_request_context
from flask_login import current_user

from models.audit import AuditEvent

from .extensions import client_ip


def record(
    action: str,
    patient_id: int | None = None,
    object_type: str = "",
    object_id: int | None = None,
    details: str = "",
    account_id: int | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Store one audit event; the acting account and IP come from the request if any (a
    background worker passes the IP of the request it works for)."""
    if ip is None:
        ip = client_ip() if has_request_context() else ""
    if (
        has_request_context()
        and account_id is None
        and current_user
        and current_user.is_authenticated
    ):
        account_id = current_user.id
    return AuditEvent.create(
        account_id=account_id,
        patient_id=patient_id,
        action=action[:60],
        object_type=object_type[:40],
        object_id=object_id,
        ip=ip[:45],
        details=details[:500],
    )


def record_for_account(account, action: str, details: str = "") -> AuditEvent:
    """An event about an account that the account itself caused (login, 2FA, password …)."""
    return record(
        action,
        patient_id=account.patient_id,
        object_type="account",
        object_id=account.id,
        account_id=account.id,
        details=details,
    )


def read(
    what: str, patient_id: int | None, object_type: str = "", object_id: int | None = None
) -> AuditEvent:
    """ASVS V7.2: a page showed personal or medical data — who (the account), whose (the
    patient), what, when and from which IP, in one insert."""
    return record(
        f"read.{what}", patient_id=patient_id, object_type=object_type, object_id=object_id
    )


def refused(object_type: str, object_id: object) -> AuditEvent:
    """ASVS V7.2: someone asked for an object that is not theirs (answered 404)."""
    try:
        number = int(str(object_id)) if len(str(object_id)) < 12 else None
    except ValueError:
        number = None
    return record(
        "access.refused",
        object_type=object_type,
        object_id=number,
        details=f"{object_type} {str(object_id)[:40]}",
    )
