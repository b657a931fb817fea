"""Counting work under way, so shutdown (and tests) can wait for it to finish."""

import asyncio


class InFlight:
    """Counts operations under way so shutdown can wait for them to finish."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def __enter__(self) -> None:
        self._count += 1
        self._idle.clear()

    def __exit__(self, *_: object) -> None:
        self._count -= 1
        if self._count == 0:
            self._idle.set()

    async def drained(self, seconds: float) -> bool:
        """Wait until nothing is in flight; False if that took longer than seconds."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
            return True
        except TimeoutError:
            return False
