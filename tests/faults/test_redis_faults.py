"""Redis (rate-limit storage) killed or frozen: start and serve, short timeouts, limits kept
close to their values by a per-worker share in memory, back to Redis by itself.

Each test runs a redis-server of its own on a free port and gunicorn with 3 workers.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from app import create_app
from core.extensions import worker_share
from tests.faults.live_gunicorn import Gunicorn, Visitor, free_port, init_database
from tests.faults.redis_server import RedisServer, redis_server_binary

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(redis_server_binary() is None, reason="redis-server is not installed"),
]

WORKERS = 3
LIMIT = 10  # LOGIN_RATE_LIMIT default: 10 per minute
SHARE = -(-LIMIT // WORKERS)


def _server(tmp_path, storage: str) -> Gunicorn:
    url = f"sqlite:///{tmp_path / 'redis-faults.sqlite3'}"
    init_database(url)
    return Gunicorn(
        tmp_path / "gunicorn.log",
        {"DATABASE_URL": url, "RATELIMIT_STORAGE_URI": storage, "IP_MAX_FAILURES": "100000"},
        workers=WORKERS,
    )


def _attempt(base: str, n: int) -> int:
    """A wrong login on a fresh connection; bounded by the client timeout (a hang fails)."""
    visitor = Visitor(base, timeout=10)
    status, _headers, _page = visitor.post("/login", {"login": f"nikt{n}", "password": "złe"})
    return status


def _attempts(base: str, count: int) -> list[int]:
    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(lambda n: _attempt(base, n), range(count)))


def test_worker_share_keeps_the_sum_near_the_limit():
    assert worker_share("10 per minute", 3) == "4 per 1 minute"
    assert worker_share("10 per minute", 1) == "10 per minute"
    assert worker_share("5/hour;100/day", 4) == "2 per 1 hour;25 per 1 day"


def test_the_app_starts_with_redis_down_and_says_so_in_the_log(app_config, caplog):
    """Was: exit code 2, so gunicorn respawned workers that never served."""
    config = {**app_config, "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{free_port()}/0"}
    application = create_app(config)
    assert "does not answer" in caplog.text
    assert application.test_client().get("/login").status_code == 200


def test_gunicorn_serves_with_redis_down_from_the_start(tmp_path):
    server = _server(tmp_path, f"redis://127.0.0.1:{free_port()}/0")
    try:
        server.start()
        statuses = _attempts(server.url, 3 * LIMIT)
    finally:
        server.stop()
    assert "does not answer" in server.log()
    assert not [s for s in statuses if s >= 500]
    assert statuses.count(422) <= WORKERS * SHARE, "each worker keeps to its share"


def test_redis_killed_limits_stay_near_the_limit_and_come_back_when_it_returns(tmp_path):
    redis = RedisServer(tmp_path).start()
    server = _server(tmp_path, redis.uri)
    try:
        server.start()
        redis.kill()
        down = _attempts(server.url, 3 * LIMIT)
        redis = RedisServer(tmp_path, port=redis.port).start()
        recovered = _wait_for_redis_use(server, redis)
    finally:
        server.stop()
        redis.stop()
    assert not [s for s in down if s >= 500]
    through = down.count(422)
    print(f"\nRedis killed: {through} of {len(down)} logins through (limit {LIMIT}/min)")
    assert 0 < through <= WORKERS * SHARE, "was up to 3 × 10 with per-worker memory limits"
    assert recovered, "the workers went back to Redis by themselves"


def test_redis_frozen_does_not_stall_requests_and_recovers_when_thawed(tmp_path):
    redis = RedisServer(tmp_path).start()
    server = _server(tmp_path, redis.uri)
    try:
        server.start()
        redis.freeze()
        frozen = _attempts(server.url, 2 * LIMIT)  # each would hang without socket timeouts
        redis.thaw()
        recovered = _wait_for_redis_use(server, redis)
    finally:
        server.stop()
        redis.stop()
    assert not [s for s in frozen if s >= 500]
    assert set(frozen) <= {422, 429}
    assert recovered


def _wait_for_redis_use(server: Gunicorn, redis: RedisServer, within: float = 60) -> bool:
    """Flask-Limiter re-checks a dead storage at growing intervals (up to 32 s)."""
    client = redis.client()
    client.flushall()
    deadline = time.monotonic() + within
    n = 0
    while time.monotonic() < deadline:
        n += 1
        _attempt(server.url, 1000 + n)
        if client.dbsize() > 0:
            return True
        time.sleep(0.5)
    return False
