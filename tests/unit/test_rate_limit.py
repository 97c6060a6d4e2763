"""The federation endpoint's rate limiter: a token bucket per address or peer, bursts of
refusals journaled once, and a bounded number of buckets."""

from __future__ import annotations

from openline.api.limits import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_peer_gets_its_burst_at_once_then_its_rate():
    clock = Clock()
    limiter = RateLimiter(rate=10, burst=5, clock=clock)
    assert [limiter.admit("RED").allowed for _ in range(6)] == [True] * 5 + [False]
    clock.now += 0.1  # one more token
    assert limiter.admit("RED").allowed
    assert not limiter.admit("RED").allowed


def test_peers_and_addresses_have_buckets_of_their_own():
    limiter = RateLimiter(rate=1, burst=1, clock=Clock())
    assert limiter.admit(("RED", "10.0.0.1")).allowed
    assert not limiter.admit(("RED", "10.0.0.1")).allowed
    assert limiter.admit(("RED", "10.0.0.2")).allowed
    assert limiter.admit((None, "10.0.0.1")).allowed


def test_a_refusal_says_when_to_come_back_in_whole_seconds():
    limiter = RateLimiter(rate=0.25, burst=1, clock=Clock())
    limiter.admit("RED")
    assert limiter.admit("RED").retry_after_s == 4


def test_only_the_first_refusal_of_a_burst_is_marked_for_the_journal():
    clock = Clock()
    limiter = RateLimiter(rate=1, burst=2, clock=clock)  # quiet after 2 s without a refusal
    limiter.admit("RED")
    limiter.admit("RED")
    marks = []
    for _ in range(20):  # a flood: refused (nearly) all along, 0.1 s apart
        marks.append(limiter.admit("RED").burst_began)
        clock.now += 0.1
    assert marks.count(True) == 1
    assert marks[0] is True
    clock.now += 5  # quiet, then a new flood
    assert limiter.admit("RED").allowed
    assert limiter.admit("RED").allowed
    assert limiter.admit("RED").burst_began


def test_buckets_are_bounded_forgetting_idle_ones_first():
    clock = Clock()
    limiter = RateLimiter(rate=1, burst=1, max_keys=3, clock=clock)
    limiter.admit("busy")
    limiter.admit("busy")  # refused: in a burst
    for n in range(10):
        limiter.admit(f"stranger-{n}")
    assert len(limiter) <= 3


def test_a_refunded_request_leaves_the_bucket_as_it_was():
    limiter = RateLimiter(rate=1, burst=2, clock=Clock())
    assert limiter.admit("10.0.0.1").allowed
    limiter.refund("10.0.0.1")
    limiter.refund("10.0.0.1")  # never above the burst
    limiter.refund("10.0.0.9")  # no bucket: nothing to give back
    assert [limiter.admit("10.0.0.1").allowed for _ in range(3)] == [True, True, False]
