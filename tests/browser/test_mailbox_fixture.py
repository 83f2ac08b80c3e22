"""The `mailbox` fixture: mail from the outbox really arrives over SMTP, retries after an outage."""

from datetime import timedelta

import pytest

from core.mail import flush_outbox, queue_mail
from models.base import db, utcnow
from models.mail import OutboxMessage


@pytest.fixture
def app_config(app_config, mailbox):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mailbox.port}


def test_queued_mail_arrives_in_the_mailbox_with_body_and_attachment(ctx, mailbox):
    with db.atomic():
        queue_mail(
            "pacjent@example.com",
            "Aktywacja konta",
            "Kliknij: http://localhost/activate/abc.def-ghi.\nPozdrawiamy",
            attachments=[
                {"filename": "wizyta.ics", "content_type": "text/calendar", "data": b"BEGIN"}
            ],
        )
    assert flush_outbox() == (1, 0)
    message = mailbox.wait_for(to="pacjent@example.com")
    assert message["Subject"] == "Aktywacja konta"
    assert mailbox.links(message) == ["http://localhost/activate/abc.def-ghi"]
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "wizyta.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert OutboxMessage.get().sent_at is not None


def test_wait_for_picks_the_recipient_and_fails_clearly_when_nothing_comes(ctx, mailbox):
    queue_mail("a@example.com", "Do A", "treść")
    queue_mail("b@example.com", "Do B", "treść")
    flush_outbox()
    assert mailbox.wait_for(to="B@example.com")["Subject"] == "Do B"
    with pytest.raises(pytest.fail.Exception, match="expected 1 message.*c@example.com"):
        mailbox.wait_for(to="c@example.com", timeout=0.2)


def test_mail_stays_in_the_outbox_while_smtp_is_down_and_goes_out_later(ctx, mailbox):
    mailbox.stop()
    queue_mail("pacjent@example.com", "Przypomnienie", "Jutro wizyta")
    assert flush_outbox() == (0, 1)
    message = OutboxMessage.get()
    assert message.attempts == 1 and message.sent_at is None and message.last_error
    assert message.next_attempt_at > utcnow()

    mailbox.start()
    assert flush_outbox() == (0, 0), "a failed message waits for its next attempt time"
    OutboxMessage.update(next_attempt_at=utcnow() - timedelta(seconds=1)).execute()
    assert flush_outbox() == (1, 0)
    assert mailbox.wait_for(to="pacjent@example.com")["Subject"] == "Przypomnienie"
    message = OutboxMessage.get()
    assert message.attempts == 2 and message.sent_at is not None
