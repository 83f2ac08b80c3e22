"""Configuration from the environment: defaults, typed values and clear refusals."""

import pytest

from core.config import ConfigError, load_config

GOOD_SECRET = "a" * 40


def test_development_defaults_use_sqlite_under_instance(tmp_path):
    cfg = load_config(str(tmp_path), {"WIZYTA_ENV": "development"})
    assert cfg["DATABASE_URL"] == f"sqlite:///{tmp_path / 'wizyta.sqlite3'}"
    assert cfg["RATELIMIT_STORAGE_URI"] == "memory://"
    assert cfg["SESSION_COOKIE_SECURE"] is False
    assert len(cfg["SECRET_KEY"]) >= 32


def test_development_secret_survives_restart(tmp_path):
    first = load_config(str(tmp_path), {"WIZYTA_ENV": "development"})["SECRET_KEY"]
    second = load_config(str(tmp_path), {"WIZYTA_ENV": "development"})["SECRET_KEY"]
    assert first == second


@pytest.mark.parametrize("secret", ["", "dev", "short-secret"])
def test_production_refuses_missing_or_weak_secret_key(tmp_path, secret):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(str(tmp_path), {"WIZYTA_ENV": "production", "SECRET_KEY": secret})


def test_production_sets_secure_cookies(tmp_path):
    """ASVS V3.4.1 cookies are Secure in production, HttpOnly and SameSite=Lax always."""
    cfg = load_config(str(tmp_path), {"SECRET_KEY": GOOD_SECRET})
    assert cfg["PRODUCTION"] is True
    assert cfg["SESSION_COOKIE_SECURE"] is True
    assert cfg["SESSION_COOKIE_HTTPONLY"] is True
    assert cfg["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MAIL_PORT", "abc", "MAIL_PORT must be a whole number"),
        ("MAIL_PORT", "70000", "MAIL_PORT must be between"),
        ("RATELIMIT_ENABLED", "maybe", "RATELIMIT_ENABLED must be on/off"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL must start with"),
        ("RATELIMIT_STORAGE_URI", "mongodb://x", "RATELIMIT_STORAGE_URI"),
        ("BASE_URL", "ftp://clinic", "BASE_URL"),
        ("TRUSTED_PROXIES", "-1", "TRUSTED_PROXIES must be at least 0"),
        ("WIZYTA_ENV", "staging", "WIZYTA_ENV"),
    ],
)
def test_malformed_values_are_refused_with_one_line(tmp_path, name, value, message):
    env = {"WIZYTA_ENV": "development", name: value}
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path), env)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_bot_check_can_be_switched_off(tmp_path):
    cfg = load_config(str(tmp_path), {"WIZYTA_ENV": "development", "BOT_CHECK": "off"})
    assert cfg["BOT_CHECK"] is False


def test_rate_limits_can_be_tuned_from_the_environment(tmp_path):
    cfg = load_config(str(tmp_path), {"WIZYTA_ENV": "development", "LOGIN_RATE_LIMIT": "3/minute"})
    assert cfg["LOGIN_RATE_LIMIT"] == "3/minute"
    with pytest.raises(ConfigError, match="LOGIN_RATE_LIMIT must be a rate"):
        load_config(str(tmp_path), {"WIZYTA_ENV": "development", "LOGIN_RATE_LIMIT": "lots"})
