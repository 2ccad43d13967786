"""Deliveries are answered at once and worked here, in the background.

Jobs with the same key (one issue) run one at a time in arrival order; different keys run
concurrently, up to `concurrency` at once. On shutdown the queue stops taking work, finishes
what it can within a grace period, and reports what it could not finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Job:
    key: Hashable
    delivery_id: str
    run: Callable[[], Awaitable[Any]]


class QueueFull(Exception):
    pass


class WorkQueue:
    def __init__(
        self,
        *,
        concurrency: int = 8,
        max_pending: int = 10_000,
        on_depth: Callable[[int], None] | None = None,
    ) -> None:
        self.concurrency = concurrency
        self.max_pending = max_pending
        self._on_depth = on_depth
        self._pending: dict[Hashable, deque[Job]] = {}
        self._ready: asyncio.Queue[Hashable] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._running: dict[Hashable, Job] = {}
        self._depth = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.accepting = True
        self._waiting: set[asyncio.Future[Any]] = set()  # callers of `run`

    @property
    def depth(self) -> int:
        return self._depth

    def start(self) -> None:
        if not self._workers:
            self._workers = [
                asyncio.create_task(self._work(), name=f"worker-{i}")
                for i in range(self.concurrency)
            ]

    def submit(self, job: Job) -> None:
        if not self.accepting:
            raise QueueFull("shutting down")
        if self._depth >= self.max_pending:
            raise QueueFull("too much work waiting")
        self._set_depth(self._depth + 1)
        queue = self._pending.get(job.key)
        if queue is None:
            self._pending[job.key] = deque([job])
            self._ready.put_nowait(job.key)
        else:
            queue.append(job)

    async def run(self, key: Hashable, label: str, work: Callable[[], Awaitable[T]]) -> T:
        """Queue `work` behind whatever is queued for `key`, and wait for its result. If the
        queue closes before the work is done, the wait ends with CancelledError."""
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()

        async def job() -> None:
            try:
                result = await work()
            except Exception as exc:
                if not done.done():
                    done.set_exception(exc)
            else:
                if not done.done():
                    done.set_result(result)

        self.submit(Job(key, label, job))
        self._waiting.add(done)
        try:
            return await done
        finally:
            self._waiting.discard(done)

    async def join(self) -> None:
        """Wait until every submitted job is done (tests wait on this, never on a sleep)."""
        await self._idle.wait()

    async def _work(self) -> None:
        while True:
            key = await self._ready.get()
            queue = self._pending[key]
            job = queue[0]
            self._running[key] = job
            try:
                await job.run()
            except asyncio.CancelledError:
                raise
            except Exception:  # the job logs its own failures; a worker never dies of one
                log.exception("job failed", extra={"fields": {"delivery_id": job.delivery_id}})
            finally:
                self._running.pop(key, None)
                queue.popleft()
                self._set_depth(self._depth - 1)
                if queue:
                    self._ready.put_nowait(key)
                else:
                    del self._pending[key]

    def _set_depth(self, depth: int) -> None:
        self._depth = depth
        if depth == 0:
            self._idle.set()
        else:
            self._idle.clear()
        if self._on_depth is not None:
            self._on_depth(depth)

    async def close(self, grace: float) -> list[str]:
        """Stop taking work, let queued work finish for up to `grace` seconds, then cancel.
        Returns the delivery ids that were not finished."""
        self.accepting = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout=grace)
        unfinished = [job.delivery_id for queue in self._pending.values() for job in queue]
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        for waiting in self._waiting:
            waiting.cancel()
        self._workers = []
        return unfinished
