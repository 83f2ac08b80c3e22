"""Logins ("konto"), consents and two-factor recovery codes."""

from __future__ import annotations

import peewee as pw

from .base import BaseModel, utcnow
from .clinic import StaffMember
from .patients import Patient

PATIENT = "patient"
STAFF_ROLES = ("registrar", "doctor", "admin")
ROLES = (PATIENT, *STAFF_ROLES)

# A patient account belongs to a Patient, a staff account to a StaffMember, never both; the
# role is one of ROLES. Enforced by the database on tables created by init-db (the migration of
# an older database checks the rows it converts; services.staff_accounts validates too).
ACCOUNT_OWNER_CHECK = (
    "(role = 'patient' AND patient_id IS NOT NULL AND staff_member_id IS NULL) OR "
    "(role IN ('registrar', 'doctor', 'admin') AND patient_id IS NULL "
    "AND staff_member_id IS NOT NULL)"
)


class Account(BaseModel):
    """A login: a patient's (`patient` set) or a staff member's (`staff_member` set)."""

    patient = pw.ForeignKeyField(
        Patient, unique=True, null=True, backref="accounts", on_delete="CASCADE"
    )
    staff_member = pw.ForeignKeyField(
        StaffMember, unique=True, null=True, backref="accounts", on_delete="CASCADE"
    )
    login = pw.CharField(max_length=64, unique=True)
    email = pw.CharField(max_length=254, unique=True)
    password_hash = pw.CharField(max_length=255)
    role = pw.CharField(max_length=20, default="patient")
    activated_at = pw.DateTimeField(null=True)
    disabled = pw.BooleanField(default=False)
    failed_logins = pw.IntegerField(default=0)
    locked_until = pw.DateTimeField(null=True)
    lock_count = pw.IntegerField(default=0)
    session_version = pw.IntegerField(default=1)
    totp_secret = pw.CharField(max_length=64, null=True)
    totp_last_step = pw.BigIntegerField(null=True)
    pending_email = pw.CharField(max_length=254, null=True)
    created_at = pw.DateTimeField(default=utcnow)
    last_login_at = pw.DateTimeField(null=True)
    # the desk saw an ID ("autoryzacja"); until then UNVERIFIED_CAN_BOOK decides what it may do
    identity_verified_at = pw.DateTimeField(null=True)

    # Flask-Login protocol
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.activated_at is not None and not self.disabled

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES and self.staff_member_id is not None

    @property
    def is_patient(self) -> bool:
        return self.role == PATIENT and self.patient_id is not None

    class Meta:
        constraints = [pw.Check(ACCOUNT_OWNER_CHECK, name="account_owner")]


# Logins and e-mails are unique regardless of letter case ("Anna" and "anna" are one login);
# the database enforces it, so two registrations racing each other cannot both win.
Account.add_index(Account.index(pw.fn.LOWER(Account.login), unique=True, name="account_login_ci"))
Account.add_index(Account.index(pw.fn.LOWER(Account.email), unique=True, name="account_email_ci"))


class Guardianship(BaseModel):
    """A guardian's account manages a dependant patient ("subkonto", "podopieczny")."""

    guardian = pw.ForeignKeyField(Account, backref="guardianships", on_delete="CASCADE")
    patient = pw.ForeignKeyField(Patient, backref="guardians", on_delete="CASCADE")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("guardian", "patient"), True),)


class RecoveryCode(BaseModel):
    account = pw.ForeignKeyField(Account, backref="recovery_codes", on_delete="CASCADE")
    code_hash = pw.CharField(max_length=255)
    used_at = pw.DateTimeField(null=True)


class Consent(BaseModel):
    """A consent text the clinic asks for ("zgoda"); a new wording is a new version."""

    code = pw.CharField(max_length=40)
    version = pw.IntegerField(default=1)
    title = pw.CharField(max_length=200)
    text = pw.TextField()
    required = pw.BooleanField(default=False)
    active = pw.BooleanField(default=True)

    class Meta:
        indexes = ((("code", "version"), True),)


class ConsentRecord(BaseModel):
    """One grant or withdrawal of a consent: the history is never overwritten."""

    account = pw.ForeignKeyField(Account, backref="consent_records", on_delete="CASCADE")
    consent = pw.ForeignKeyField(Consent, on_delete="RESTRICT")
    granted = pw.BooleanField()
    at = pw.DateTimeField(default=utcnow)
    ip = pw.CharField(max_length=45, default="")


class IpBlock(BaseModel):
    """Failed logins counted per client IP; too many in a window block the IP for a while."""

    ip = pw.CharField(max_length=45, unique=True)
    failures = pw.IntegerField(default=0)
    window_started_at = pw.DateTimeField(default=utcnow)
    blocked_until = pw.DateTimeField(null=True, index=True)
    block_count = pw.IntegerField(default=0)


class LoginFailure(BaseModel):
    """Failed logins of one account from one source (IP): the lock-out targets the source that
    failed, so a stranger elsewhere cannot keep the owner out (ASVS V2.2.1)."""

    account = pw.ForeignKeyField(Account, backref="login_failures", on_delete="CASCADE")
    ip = pw.CharField(max_length=45)
    failures = pw.IntegerField(default=0)
    last_at = pw.DateTimeField(default=utcnow)
    locked_until = pw.DateTimeField(null=True)
    lock_count = pw.IntegerField(default=0)

    class Meta:
        indexes = ((("account", "ip"), True),)


class SpentChallenge(BaseModel):
    """An anti-bot challenge already used once; the unique nonce refuses a replay."""

    nonce = pw.CharField(max_length=64, unique=True)
    at = pw.DateTimeField(default=utcnow, index=True)


class EmailRequest(BaseModel):
    """A "send me a reset / activation link" request waiting for the worker.

    Every valid request stores one row and nothing else, whether or not the address has an
    account; the lookup, the mail and the audit row happen later in the worker. So the answer
    takes the same time either way and does not tell who has an account (ASVS V2.5.x).
    """

    kind = pw.CharField(max_length=20)
    email = pw.CharField(max_length=254)
    ip = pw.CharField(max_length=45, default="")
    locale = pw.CharField(max_length=8, default="pl")
    created_at = pw.DateTimeField(default=utcnow)


ACCOUNT_MODELS = [
    Account,
    Guardianship,
    RecoveryCode,
    Consent,
    ConsentRecord,
    IpBlock,
    LoginFailure,
    SpentChallenge,
    EmailRequest,
]
