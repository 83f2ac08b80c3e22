"""init-db upgrades an outbox made before message_id / last_attempt_at / failed_at."""

from __future__ import annotations

import peewee as pw

from models import ALL_MODELS
from models.base import BaseModel, db, is_sqlite, utcnow
from models.mail import OutboxMessage
from models.meta import SchemaVersion


class _OldOutbox(BaseModel):
    to = pw.CharField(max_length=254)
    subject = pw.CharField(max_length=300)
    body_text = pw.TextField()
    attachments = pw.TextField(default="[]")
    created_at = pw.DateTimeField(default=utcnow)
    sent_at = pw.DateTimeField(null=True)
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(default=utcnow)
    claimed_until = pw.DateTimeField(null=True)
    last_error = pw.CharField(max_length=500, default="")

    class Meta:
        table_name = "outbox_message"


def test_init_db_adds_the_outbox_columns_and_keeps_queued_mail(runner, ctx):
    db.drop_tables(ALL_MODELS, **({} if is_sqlite() else {"cascade": True}))
    db.create_tables([m for m in ALL_MODELS if m is not OutboxMessage] + [_OldOutbox])
    SchemaVersion.create(version=1)
    _OldOutbox.create(to="p@example.com", subject="Temat", body_text="Treść")

    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "upgraded from version 1" in result.output
    kept = OutboxMessage.get()
    assert kept.to == "p@example.com" and kept.message_id == "" and kept.failed_at is None
