"""The bench's one interleaving convention (``bench.throughput.interleaved``): A B in even rounds, B A in odd ones,
results always in the runs' order — every ratio in ``make bench`` and ``bench.ab`` relies on it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bench.throughput import interleaved


def test_rounds_alternate_their_order_and_results_keep_the_runs_order() -> None:
    ran: list[str] = []

    def run(name: str) -> Callable[[], Awaitable[str]]:
        async def go() -> str:
            ran.append(name)
            return name.lower()
        return go

    rounds = [asyncio.run(interleaved(number, run("A"), run("B"), run("C"))) for number in range(3)]

    assert ran == ["A", "B", "C", "C", "B", "A", "A", "B", "C"]
    assert rounds == [["a", "b", "c"]] * 3
