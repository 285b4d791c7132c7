"""The Python range of the modules is written once (tests/config.yml and its newest end) and the README says it."""

import os

from tools.sanity_pythons import claimed_range

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_the_readme_states_the_claimed_python_range():
    oldest, newest = claimed_range()
    with open(os.path.join(REPO_ROOT, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    assert "Python %s to %s where the\n  modules run" % (oldest, newest) in readme
    assert "on %s and %s" % (oldest, newest) in readme


def test_the_oldest_python_is_older_than_the_newest():
    oldest, newest = claimed_range()
    assert tuple(map(int, oldest.split("."))) < tuple(map(int, newest.split(".")))
