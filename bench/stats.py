"""Summaries of repeated measurements: median and spread, nothing fancier."""

import statistics


def summarize(values):
    """Median, min, max and interquartile range (IQR needs at least two values)."""
    values = sorted(values)
    summary = {"median": statistics.median(values), "min": values[0], "max": values[-1], "n": len(values)}
    if len(values) >= 2:
        q1, _q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
        summary.update(q1=q1, q3=q3)
    return summary


def slope(small_size, small_walls, large_size, large_walls):
    """Seconds per extra task between two play sizes: the per-task cost without the fixed startup."""
    if large_size <= small_size:
        return None
    return (statistics.median(large_walls) - statistics.median(small_walls)) / (large_size - small_size)


def ratio(value, reference):
    if value is None or not reference:
        return None
    return value / reference
