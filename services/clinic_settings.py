"""Clinic rules and contact details the admin keeps in the database; the environment
(core.config) gives the defaults.

`apply_overrides(config)` runs before every request: a stored value replaces the environment's
in the app's config, a removed one brings the environment's back. So everything that reads
`current_app.config` — the booking rules (services.booking, and a `clinic_rules()` builder that
reads the config), the footer, the help page, the e-mails' "call us" phone — sees the admin's
value at once, in every worker process, with no second place to look.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import peewee as pw
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit
from core.errors import DomainError
from models.base import utcnow, write_transaction
from models.settings import ClinicSetting
from services.catalogue_cache import bump_catalogue_version, catalogue

DEFAULTS_KEY = "CLINIC_SETTINGS_DEFAULTS"


@dataclass(frozen=True)
class Setting:
    key: str
    label: Any
    kind: str  # "int" (low, high) or "text" (max length)
    low: int = 0
    high: int = 200
    group: str = "rules"


SETTINGS: tuple[Setting, ...] = (
    Setting("BOOKING_HORIZON_DAYS", _l("Rezerwacja najdalej na (dni naprzód)"), "int", 1, 730),
    Setting("BOOKING_MIN_NOTICE_HOURS", _l("Rezerwacja najpóźniej (godz. przed)"), "int", 0, 720),
    Setting(
        "CANCEL_MIN_NOTICE_HOURS", _l("Odwołanie online najpóźniej (godz. przed)"), "int", 0, 720
    ),
    Setting(
        "BOOKING_LIMIT_PER_SPECIALTY",
        _l("Zaplanowane wizyty w jednej poradni (0 = bez limitu)"),
        "int",
        0,
        50,
    ),
    Setting("ADMIN_CONTACT_NAME", _l("Administrator danych"), "text", high=200, group="contact"),
    Setting("ADMIN_CONTACT_ADDRESS", _l("Adres"), "text", high=200, group="contact"),
    Setting("ADMIN_CONTACT_PHONE", _l("Telefon rejestracji"), "text", high=30, group="contact"),
    Setting("ADMIN_CONTACT_EMAIL", _l("E-mail"), "text", high=254, group="contact"),
    Setting("CLINIC_OPENING_HOURS", _l("Godziny otwarcia"), "text", high=1000, group="help"),
    Setting(
        "CLINIC_LOCALITY_HELP",
        _l("Jak dopisać brakującą miejscowość"),
        "text",
        high=1000,
        group="help",
    ),
)
BY_KEY = {s.key: s for s in SETTINGS}


class SettingInvalid(DomainError):
    status = 422

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    @property
    def message(self) -> str:
        return _("Nieprawidłowa wartość: %(name)s.", name=BY_KEY[self.key].label)


def _parse(setting: Setting, raw: str) -> Any:
    if setting.kind == "int":
        value = int(raw)
        if not setting.low <= value <= setting.high:
            raise ValueError(raw)
        return value
    if len(raw) > setting.high:
        raise ValueError(raw)
    return raw


def stored() -> dict[str, Any]:
    """The admin's values (parsed); a row that no longer parses is ignored, not fatal, and
    a database that `init-db` has not upgraded yet has none (the defaults serve)."""
    values: dict[str, Any] = {}
    # kept with the cached catalogue (the table bumps its version), so applying them before
    # every request costs no query of its own
    try:
        rows = catalogue().settings
    except (pw.OperationalError, pw.ProgrammingError):
        return values  # no tables yet: the page says so (503) or init-db has not run
    for key, raw in rows:
        setting = BY_KEY.get(key)
        if setting is None:
            continue
        try:
            values[key] = _parse(setting, raw)
        except ValueError:
            continue
    return values


def apply_overrides(config: dict) -> None:
    """Make `config` hold the admin's values, the environment's where there is none."""
    defaults = config.setdefault(DEFAULTS_KEY, {})
    values = stored()
    for key in BY_KEY:
        if key in values:
            defaults.setdefault(key, config.get(key, ""))
            config[key] = values[key]
        elif key in defaults:
            config[key] = defaults.pop(key)


def defaults(config: dict) -> dict[str, Any]:
    """The environment's value of every setting (what an empty field goes back to)."""
    saved = config.get(DEFAULTS_KEY, {})
    return {key: saved.get(key, config.get(key, "")) for key in BY_KEY}


def save(changes: dict[str, Any], config: dict) -> list[str]:
    """Store the given values; None or "" removes the override. Returns the changed keys."""
    current = stored()
    changed: list[str] = []
    with write_transaction():
        for key, value in changes.items():
            setting = BY_KEY.get(key)
            if setting is None:
                raise KeyError(key)
            if value is None or value == "":
                if key in current:
                    ClinicSetting.delete().where(ClinicSetting.key == key).execute()
                    changed.append(key)
                continue
            try:
                value = _parse(setting, str(value).strip())
            except ValueError:
                raise SettingInvalid(key) from None
            if current.get(key) == value:
                continue
            ClinicSetting.insert(key=key, value=str(value), updated_at=utcnow()).on_conflict(
                conflict_target=[ClinicSetting.key],
                update={ClinicSetting.value: str(value), ClinicSetting.updated_at: utcnow()},
            ).execute()
            changed.append(key)
        if changed:
            audit.staff_action(
                "admin.settings.changed", object_type="clinic_setting", details=",".join(changed)
            )
    bump_catalogue_version()  # drops this request's copy read before the change
    apply_overrides(config)
    return changed
