"""`make bench`: how much a b2c.trustframework task costs, against the local emulator.

Run from the repository root as ``python -m bench`` (``--help`` for the knobs). Results go to
bench/out/ (``--out``): results.json, results.md and chart.png; the plays and their output to
its work/ folder.

- ``__main__``: the command line, and the order of the steps.
- ``scenarios``: what is timed (the cases, their plays and inventories).
- ``runner``: how it is timed (emulator, runtime Python, each ansible-playbook run and its requests).
- ``imports``: the cold import time of the module_utils, in fresh interpreters.
- ``figures``: the numbers (medians, ratios, the verdict on each target).
- ``report``: results.json, results.md and chart.png.
"""

import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS_PATH = os.path.join(REPO_ROOT, "build", "collections")
