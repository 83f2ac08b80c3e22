"""`flask --app app …` commands: init-db, seed-demo, create-admin, generate-slots, mail."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import click
from flask import Flask

from models.base import db


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=name) from None


def register_commands(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db_command() -> None:
        """Create or upgrade the schema; safe to run any number of times."""
        from models.schema import init_schema

        before, after = init_schema()
        if before == after:
            click.echo(f"Schema is up to date (version {after}).")
        else:
            click.echo(f"Schema upgraded from version {before} to {after}.")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the clinic already has data.")
    @click.option("--weeks", default=8, show_default=True, help="Weeks of slots to generate.")
    def seed_demo_command(if_empty: bool, weeks: int) -> None:
        """Build a realistic demo clinic with staff, slots and demo patient logins."""
        from core.demo import clinic_is_empty, seed_demo

        if if_empty and not clinic_is_empty():
            click.echo("The clinic already has data; demo not seeded.")
            return
        summary = seed_demo(weeks=weeks)
        for line in summary:
            click.echo(line)

    @app.cli.command("generate-slots")
    @click.option("--from", "date_from", required=True, help="First day, YYYY-MM-DD.")
    @click.option("--to", "date_to", required=True, help="Last day, YYYY-MM-DD.")
    def generate_slots_command(date_from: str, date_to: str) -> None:
        """Materialise slots from schedules for a date range (idempotent)."""
        from services.scheduling import generate_slots

        start, end = _date(date_from, "--from"), _date(date_to, "--to")
        if end < start:
            raise click.BadParameter("--to is before --from", param_hint="--to")
        if end - start > timedelta(days=800):
            raise click.BadParameter("at most 800 days at a time", param_hint="--to")
        result = generate_slots(start, end)
        click.echo(
            f"Created {result['created']} slots, removed {result['removed']} free slots on "
            f"closed days; {result['total']} slots in total."
        )

    @app.cli.command("import-localities")
    @click.argument("simc_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--terc",
        "terc_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="TERC CSV with names of communes and counties.",
    )
    def import_localities_command(simc_file: Path, terc_file: Path | None) -> None:
        """Import localities from the official TERYT SIMC CSV (or Wizyta's own CSV)."""
        from services.localities import LocalityImportError, import_localities

        try:
            created, updated = import_localities(simc_file, terc_file)
        except LocalityImportError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Imported localities: {created} new, {updated} updated.")

    @app.cli.command("create-admin")
    @click.option("--login", prompt=True)
    @click.option("--email", prompt=True)
    @click.password_option()
    def create_admin_command(login: str, email: str, password: str) -> None:
        """Create an administrator account."""
        from services.staff_accounts import create_staff_account

        with db.atomic():
            account = create_staff_account(login, email, password, role="admin")
        click.echo(f"Administrator {account.login} created.")

    @app.cli.command("send-mail")
    def send_mail_command() -> None:
        """Send queued mail from the outbox; safe to run from cron."""
        from core.mail import flush_outbox
        from core.mail_status import failed_messages
        from services.registration import process_link_requests

        # Link requests a crashed worker left behind become mail first.
        with app.test_request_context("/", base_url=app.config["BASE_URL"]):
            process_link_requests(limit=1000)
        sent, failed = flush_outbox(limit=1000)
        click.echo(f"Sent {sent} messages, {failed} failed (will be retried).")
        given_up = len(failed_messages())
        if given_up:
            click.echo(f"{given_up} message(s) gave up after all attempts: see flask mail-failed.")

    @app.cli.command("mail-failed")
    def mail_failed_command() -> None:
        """List messages that gave up after all attempts (resend with `flask resend-mail ID`)."""
        from core.mail_status import failed_messages

        rows = failed_messages()
        if not rows:
            click.echo("No failed messages.")
            return
        for msg in rows:
            click.echo(
                f"{msg.id}\t{msg.failed_at:%Y-%m-%d %H:%M} UTC\t{msg.to}\t{msg.subject}\t"
                f"{msg.attempts} attempts\t{msg.last_error}"
            )

    @app.cli.command("resend-mail")
    @click.argument("message_id", type=int)
    def resend_mail_command(message_id: int) -> None:
        """Queue an unsent message again with a fresh set of attempts, then flush."""
        from core.mail import flush_outbox
        from core.mail_status import resend

        if not resend(message_id):
            raise click.ClickException(f"no unsent message with id {message_id}")
        sent, failed = flush_outbox(limit=1000)
        click.echo(f"Message {message_id} queued again. Sent {sent} messages, {failed} failed.")
