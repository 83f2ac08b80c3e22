"""What the outbox can tell a patient and staff: delivery state, failed mail, resending."""

from __future__ import annotations

from models.base import utcnow, write_transaction
from models.mail import OutboxMessage

SENT, PENDING, NOT_SENT_YET = "sent", "pending", "not-sent-yet"


def sending_fails() -> bool:
    """True when the latest settled SMTP attempt (any message) failed: the server is down."""
    latest = (
        OutboxMessage.select(OutboxMessage.sent_at, OutboxMessage.last_error)
        .where(OutboxMessage.last_attempt_at.is_null(False) & OutboxMessage.claimed_until.is_null())
        .order_by(OutboxMessage.last_attempt_at.desc())
        .first()
    )
    return latest is not None and latest.sent_at is None and bool(latest.last_error)


def delivery_state(message_ids: list[int]) -> str:
    """SENT when all these messages went out; NOT_SENT_YET when one of them (or, for none
    known, the latest attempt of any message) failed; PENDING while they wait their turn."""
    ids = [i for i in message_ids if isinstance(i, int)][:10]
    rows = list(OutboxMessage.select().where(OutboxMessage.id.in_(ids))) if ids else []
    if rows and all(row.sent_at is not None for row in rows):
        return SENT
    if any(row.sent_at is None and (row.failed_at or row.last_error) for row in rows):
        return NOT_SENT_YET
    return NOT_SENT_YET if sending_fails() else PENDING


def failed_messages() -> list[OutboxMessage]:
    return list(
        OutboxMessage.select()
        .where(OutboxMessage.failed_at.is_null(False) & OutboxMessage.sent_at.is_null())
        .order_by(OutboxMessage.failed_at)
    )


def resend(message_id: int) -> bool:
    """Queue a failed (or stuck) unsent message again with a fresh set of attempts."""
    with write_transaction():
        changed = (
            OutboxMessage.update(
                failed_at=None, attempts=0, next_attempt_at=utcnow(), claimed_until=None
            )
            .where((OutboxMessage.id == message_id) & OutboxMessage.sent_at.is_null())
            .execute()
        )
    return changed == 1
