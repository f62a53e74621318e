"""Small statistics shared by the benchmarks."""

import time
from collections.abc import Callable, Sequence


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (fraction 0.5 = median, 0.99 = p99); NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timings_ms(work: Callable[[], object], repeats: int) -> list[float]:
    """The wall-clock ms of each of ``repeats`` runs of ``work``."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return timings
