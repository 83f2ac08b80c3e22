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


MAIL_MODELS = [OutboxMessage]
