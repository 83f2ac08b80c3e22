"""Start-up: bad configuration gives one clear line, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app

ROOT = Path(__file__).resolve().parents[2]


def _flask(args, env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TEST_DATABASE_URL"}}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_unreachable_database_stops_with_one_line(capsys):
    with pytest.raises(SystemExit) as info:
        create_app({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere"})
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("wizyta: configuration error: cannot open DATABASE_URL")


def test_cli_with_malformed_setting_prints_one_line_and_no_traceback(tmp_path):
    result = _flask(
        ["init-db"], {"MAIL_PORT": "twenty-five", "WIZYTA_ENV": "development"}, tmp_path
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "MAIL_PORT must be a whole number" in result.stderr


def test_production_without_secret_key_refuses_to_start(tmp_path):
    env = {
        "WIZYTA_ENV": "production",
        "SECRET_KEY": "",
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
    }
    result = _flask(["init-db"], env, tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "SECRET_KEY must be set" in result.stderr


def test_init_db_on_fresh_sqlite_file_through_cli(tmp_path):
    env = {"WIZYTA_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db"}
    first = _flask(["init-db"], env, tmp_path)
    second = _flask(["init-db"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    from models.schema import BASE_VERSION, MIGRATIONS

    newest = BASE_VERSION + len(MIGRATIONS)  # a fresh database gets the newest schema at once
    assert f"upgraded from version 0 to {newest}" in first.stdout
    assert f"up to date (version {newest})" in second.stdout


def test_unreachable_redis_for_rate_limits_is_a_warning_not_a_stop(caplog, database_url):
    """Issue 15: exiting made gunicorn respawn workers that never served; see tests/faults."""
    app = create_app(
        {"DATABASE_URL": database_url, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}
    )
    assert "RATELIMIT_STORAGE_URI (redis://127.0.0.1:1/0) does not answer" in caplog.text
    assert app.test_client().get("/login").status_code == 200


@pytest.mark.redis
def test_app_starts_with_redis_rate_limit_storage(database_url):
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    app = create_app(
        {"DATABASE_URL": database_url, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"}
    )
    assert app.test_client().get("/no-such-page").status_code == 404
