"""Group commit: messages that arrive while one transaction is being written share the next one.

Under load each transaction carries many messages (a few statements for all of them), so throughput
grows with the number of people writing; alone, a message gets a transaction of its own at once.
"""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Generic, Optional, Sequence, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    def __init__(self, work: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]], max_batch: int = 64):
        self._work, self._max = work, max_batch
        self._queue: list[tuple[Item, asyncio.Future]] = []
        self._runner: Optional[asyncio.Task] = None

    async def submit(self, item: Item) -> Result:
        """`item`'s result, computed in the next batch (which starts now if none is running)."""
        future = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.get_running_loop().create_task(self._run())
        return await future

    async def _run(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:self._max], self._queue[self._max:]
            try:
                results = await self._work([item for item, _ in batch])
            except Exception as exc:  # noqa: BLE001 - handed to every waiter of this batch, which reports it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results):
                if not future.done():
                    future.set_result(result)
