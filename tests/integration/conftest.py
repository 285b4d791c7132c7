"""Order of the integration suite: what runs for minutes starts first.

`make integration` hands the tests to pytest-xdist workers one by one in collection order
(--dist loadgroup --no-loadscope-reorder): a long sequential test started first runs
while the other workers share the rest, instead of keeping one worker busy at the end.
"""


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker("long_running") is None)
