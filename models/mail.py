"""The durable outbox: mail is stored with the change that caused it, then sent."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel, utcnow


class OutboxMessage(BaseModel):
    to = pw.CharField(max_length=254)
    subject = pw.CharField(max_length=300)
    body_text = pw.TextField()
    attachments = pw.TextField(default="[]")  # JSON list of {filename, content_type, data}
    created_at = pw.DateTimeField(default=utcnow)
    sent_at = pw.DateTimeField(null=True, index=True)
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(default=utcnow)
    claimed_until = pw.DateTimeField(null=True)
    last_error = pw.CharField(max_length=500, default="")
    # Made when the message is queued, so a resend after a crash mid-send carries the same
    # Message-ID and the recipient's mail program can tell it is a duplicate.
    message_id = pw.CharField(max_length=255, default="")
    last_attempt_at = pw.DateTimeField(null=True, index=True)
    # Set when the attempts are used up: staff see it (`flask mail-failed`) and can resend.
    failed_at = pw.DateTimeField(null=True, index=True)


MAIL_MODELS = [OutboxMessage]
