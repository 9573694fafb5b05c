import asyncio

from grove.kube.clock import VirtualClock, parse_rfc3339, rfc3339


async def test_virtual_clock_wakes_sleepers_in_order_without_real_time() -> None:
    clock = VirtualClock(start=1000.0)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    tasks = [asyncio.create_task(sleeper("late", 4 * 3600)), asyncio.create_task(sleeper("early", 5))]
    await asyncio.sleep(0)
    assert clock.next_deadline() == 1005.0
    await clock.advance(10)
    assert woke == [("early", 1005.0)]
    await clock.advance(4 * 3600)
    assert woke[-1] == ("late", 1000.0 + 4 * 3600)
    await asyncio.gather(*tasks)


def test_rfc3339_round_trip() -> None:
    assert rfc3339(parse_rfc3339("2026-01-01T00:00:05Z")) == "2026-01-01T00:00:05Z"
