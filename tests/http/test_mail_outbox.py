"""The durable outbox: without a mail server nothing is lost; send-mail flushes it."""

from core.mail import flush_outbox, queue_mail
from models.base import db
from models.mail import OutboxMessage


def test_without_mail_server_messages_stay_in_the_outbox(ctx):
    with db.atomic():
        queue_mail("pacjent@example.com", "Temat", "Treść")
    assert flush_outbox() == (0, 0)
    message = OutboxMessage.get()
    assert message.sent_at is None and message.attempts == 0


def test_mail_queued_in_a_rolled_back_transaction_is_not_sent(ctx):
    try:
        with db.atomic():
            queue_mail("pacjent@example.com", "Temat", "Treść")
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    assert OutboxMessage.select().count() == 0


def test_send_mail_command_reports_failures_and_keeps_messages(runner, app, ctx):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    queue_mail("pacjent@example.com", "Temat", "Treść")
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0
    assert "Sent 0 messages, 1 failed" in result.output
    message = OutboxMessage.get()
    assert message.attempts == 1 and message.sent_at is None and message.last_error
