"""GitHub's pace for integrations: writes one at a time and a second apart, content creation
within 80 a minute and 500 an hour, a secondary limit's pause honoured by every write."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace

from bot.adapters.github import RetryPolicy, WritePacer
from bot.runtime.sweep import sweep
from tests.conftest import FAST, REPO, service_for
from tests.test_sweep import seed, wait_on_requester


class Clock:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def pacer(clock: Clock, **policy) -> WritePacer:
    return WritePacer(RetryPolicy(**policy), clock=clock, sleep=clock.sleep)


async def starts(p: WritePacer, clock: Clock, kinds: list[bool]) -> list[float]:
    started = []
    for creates in kinds:
        async with p.turn(creates):
            started.append(clock.now)
    return started


async def test_writes_go_out_a_second_apart():
    clock = Clock()
    times = await starts(pacer(clock), clock, [False, False, True, False])
    assert [b - a for a, b in itertools.pairwise(times)] == [1.0, 1.0, 1.0]


async def test_content_creation_stays_within_the_minute_and_hour_limits():
    clock = Clock()
    p = pacer(clock, write_spacing=0, content_per_minute=3, content_per_hour=4)
    times = await starts(p, clock, [True] * 5)
    assert times[:3] == [1000.0] * 3
    assert times[3] == 1060.0  # the fourth waits for the first to leave the minute
    assert times[4] == 4600.0  # the fifth waits for the first to leave the hour
    # Writes that create nothing are not held back by the content limits.
    assert (await starts(p, clock, [False]))[0] == clock.now


async def test_a_pause_holds_every_write():
    clock = Clock()
    p = pacer(clock)
    await starts(p, clock, [False])
    p.pause(60)
    assert (await starts(p, clock, [False]))[0] == 1060.0


async def test_writes_never_overlap():
    clock = Clock()
    p = pacer(clock, write_spacing=0)
    inside = []

    async def write(n: int) -> None:
        async with p.turn(False):
            inside.append(("in", n))
            await asyncio.sleep(0)  # let the others try to get in
            inside.append(("out", n))

    await asyncio.gather(*(write(n) for n in range(5)))
    assert all(inside[i][0] == "in" and inside[i + 1][0] == "out" for i in range(0, 10, 2))


async def test_a_sweep_under_githubs_secondary_limits_is_never_refused(github):
    # Writes a twentieth of a second apart (a second in production), at most 3 comments a
    # minute: the fake refuses anything beyond, or two writes at once, as GitHub does.
    github.enforce_secondary_limits(content_per_minute=3, content_per_hour=100)
    for n in range(1, 4):
        wait_on_requester(github, n, 20)  # a nudge each
    for n in range(4, 8):
        seed(github, n, age=8)  # an overdue flag each
    policy = replace(FAST, write_spacing=0.05, content_per_minute=3, content_per_hour=100)
    service = service_for(github, policy=policy)
    await service.start()
    try:
        report = await sweep(service, await service.github.api_for_repo(REPO), REPO)
    finally:
        await service.stop()
    writes = [c for c in github.calls if c.is_write]
    assert github.refusals == [] and report.writes == len(writes) == 7
    assert min(b.at - a.at for a, b in itertools.pairwise(writes)) >= 0.05
    # The requesters hear first; the maintainers' flags come after.
    kinds = ["comment" if w.path.endswith("/comments") else "label" for w in writes]
    assert kinds == ["comment"] * 3 + ["label"] * 4
