"""Writing the audit log: changes of someone's personal or medical data, the reads that call
read(), logins and refused access (refused()), and every staff action.

For staff pages (registration desk, admin) call ONE function after the change succeeds:

    audit.staff_action("visit.booked", patient_id=patient.id, object_type="appointment",
                       object_id=visit.id, details="phone booking")

Who (account id, login and role at that moment), when and from which IP are filled in from
the request; pass `patient_id` when the data is a patient's, `subject_account_id` when it is
an account's (a patient's login being unlocked, a staff login being changed). As a safety net,
`install_staff_trail` records any successful staff POST that wrote no audit row itself
(action `staff.<endpoint>`), so a forgotten call still leaves a trace — but with no "whose".
"""

from __future__ import annotations

from flask import Flask, Response, g, has_request_context, request
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
    subject_account_id: int | None = None,
) -> AuditEvent:
    """Store one audit event; the acting account and IP come from the request if any (a
    background worker passes the IP of the request it works for)."""
    if ip is None:
        ip = client_ip() if has_request_context() else ""
    actor_login = actor_role = ""
    if has_request_context():
        g.audited = True
        if current_user and current_user.is_authenticated:
            if account_id is None:
                account_id = current_user.id
            if account_id == current_user.id:
                actor_login, actor_role = current_user.login, current_user.role
    return AuditEvent.create(
        actor_login=actor_login[:64],
        actor_role=actor_role[:20],
        subject_account_id=subject_account_id,
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


def staff_action(
    action: str,
    *,
    patient_id: int | None = None,
    subject_account_id: int | None = None,
    object_type: str = "",
    object_id: int | None = None,
    details: str = "",
) -> AuditEvent:
    """A staff member changed or looked up something: who, what, whose, when, from where."""
    return record(
        action,
        patient_id=patient_id,
        object_type=object_type,
        object_id=object_id,
        details=details,
        subject_account_id=subject_account_id,
    )


def install_staff_trail(app: Flask) -> None:
    """Every successful state-changing request of a staff account leaves an audit row."""

    @app.after_request
    def _staff_trail(response: Response) -> Response:
        if (
            request.method == "POST"
            and response.status_code < 400
            and not g.get("audited")
            and current_user
            and current_user.is_authenticated
            and getattr(current_user, "is_staff", False)
        ):
            args = ",".join(f"{k}={v}" for k, v in sorted((request.view_args or {}).items()))
            record(f"staff.{request.endpoint}", details=args)
        return response
