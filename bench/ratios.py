"""How the benchmark compares two commands timed in the same rounds: the median of each round's ratio.

Both commands of a pair run one right after the other, so a round's ratio
sees the machine alike for both; its speed drifts between rounds on a shared
VM (the same build took 6.7 s one hour and 8.7 s two hours later), which the
ratio of two separate medians would mix into the comparison.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def median_ratio(tops: Sequence[float], bottoms: Sequence[float]) -> float:
    """The median over rounds of ``tops[i] / bottoms[i]``."""
    if len(tops) != len(bottoms) or not tops:
        raise ValueError(f"{len(tops)} times against {len(bottoms)}: a ratio needs one pair per round")
    return statistics.median(top / bottom for top, bottom in zip(tops, bottoms, strict=True))
