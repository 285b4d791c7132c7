"""Read the PLAY RECAP of ansible-playbook output (used by the demo, the benchmark and the tests)."""

import re

_RECAP_LINE = re.compile(r"^(\S+)\s+:\s+(ok=.*)$", re.MULTILINE)
_COUNT = re.compile(r"(\w+)=(\d+)")


def recap_counts(output):
    """``{host: {"ok": n, "changed": n, "failed": n, ...}}`` from the last PLAY RECAP in ``output``."""
    recap = output.rsplit("PLAY RECAP", 1)[-1] if "PLAY RECAP" in output else ""
    return {
        host: {name: int(value) for name, value in _COUNT.findall(fields)}
        for host, fields in _RECAP_LINE.findall(recap)
    }


def recap_total(output, name):
    """One count (``changed``, ``failed``, ...) summed over every host of the recap."""
    return sum(counts.get(name, 0) for counts in recap_counts(output).values())
