"""`make bench`: how much a b2c.trustframework task costs, against the local emulator.

Run from the repository root as ``python -m bench`` (``--help`` for the knobs).
Results go to bench/out/: results.json, results.md and chart.png.
"""
