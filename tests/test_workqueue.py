"""The work queue: per-issue order, concurrency across issues, and an honest shutdown."""

from __future__ import annotations

import asyncio

from bot.runtime.workqueue import Job, QueueFull, WorkQueue


async def test_same_key_runs_in_order_one_at_a_time_other_keys_concurrently():
    queue = WorkQueue(concurrency=4)
    queue.start()
    order: list[str] = []
    running: set[str] = set()
    overlap = []
    gate = asyncio.Event()

    def job(key: str, name: str) -> Job:
        async def run() -> None:
            overlap.append(key in running)
            running.add(key)
            if name == "b1":
                await gate.wait()  # issue b is slow; issue a must not wait for it
            order.append(name)
            running.discard(key)

        return Job(key, name, run)

    for name in ("a1", "b1", "a2", "a3"):
        queue.submit(job(name[0], name))
    while order != ["a1", "a2", "a3"]:
        await asyncio.sleep(0)
    gate.set()
    await queue.join()
    assert order == ["a1", "a2", "a3", "b1"]
    assert not any(overlap)
    assert await queue.close(grace=1) == []


async def test_close_reports_what_it_could_not_finish():
    queue = WorkQueue(concurrency=1)
    queue.start()
    never = asyncio.Event()

    async def stuck() -> None:
        await never.wait()

    queue.submit(Job("x", "delivery-1", stuck))
    queue.submit(Job("x", "delivery-2", stuck))
    unfinished = await queue.close(grace=0.01)
    assert unfinished == ["delivery-1", "delivery-2"]
    try:
        queue.submit(Job("y", "delivery-3", stuck))
    except QueueFull:
        pass
    else:
        raise AssertionError("a closed queue must refuse work")


async def test_a_failing_job_does_not_stop_the_worker():
    queue = WorkQueue(concurrency=1)
    queue.start()
    done = []

    async def boom() -> None:
        raise RuntimeError("bad")

    async def fine() -> None:
        done.append(True)

    queue.submit(Job("k", "1", boom))
    queue.submit(Job("k", "2", fine))
    await queue.join()
    assert done == [True]
    await queue.close(grace=1)
