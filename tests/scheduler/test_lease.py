"""The database lease: acquire, renew, steal after expiry, release (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from app.clock import utcnow
from app.scheduler import services

TTL = 10


def test_first_acquire_inserts_and_a_second_holder_waits(app):
    now = utcnow()
    assert services.acquire_lease("a", TTL, now=now)
    assert not services.acquire_lease("b", TTL, now=now + timedelta(seconds=1))
    lease = services.get_lease()
    assert lease.holder == "a" and lease.expires_at == now + timedelta(seconds=TTL)
    assert services.holds_lease("a", now=now) and not services.holds_lease("b", now=now)


def test_renewal_extends_and_keeps_the_acquisition_time(app):
    now = utcnow()
    assert services.acquire_lease("a", TTL, now=now)
    later = now + timedelta(seconds=5)
    assert services.acquire_lease("a", TTL, now=later)
    lease = services.get_lease()
    assert lease.acquired_at == now and lease.renewed_at == later
    assert lease.expires_at == later + timedelta(seconds=TTL)


def test_a_lapsed_lease_is_taken_over_and_the_old_holder_loses_it(app):
    now = utcnow()
    assert services.acquire_lease("a", TTL, now=now)
    after = now + timedelta(seconds=TTL + 1)
    assert not services.holds_lease("a", now=after)
    assert services.acquire_lease("b", TTL, now=after)
    lease = services.get_lease()
    assert lease.holder == "b" and lease.acquired_at == after
    assert not services.acquire_lease("a", TTL, now=after + timedelta(seconds=1))


def test_release_lets_a_standby_in_at_once(app):
    now = utcnow()
    assert services.acquire_lease("a", TTL, now=now)
    assert not services.release_lease("b", now=now)  # only the holder releases
    assert services.release_lease("a", now=now)
    assert not services.holds_lease("a", now=now)
    assert services.acquire_lease("b", TTL, now=now)


def test_tick_is_the_same_for_every_process():
    at = utcnow().replace(microsecond=0)
    tick = services.tick_for(60, at + timedelta(seconds=0.4))
    assert tick.second == 0 and tick <= at
    assert services.tick_for(60, tick + timedelta(seconds=59)) == tick
    assert services.tick_for(60, tick + timedelta(seconds=60)) == tick + timedelta(seconds=60)
