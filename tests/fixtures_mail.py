"""Fixture `mailbox`: a real SMTP server (aiosmtpd) in the test process."""
