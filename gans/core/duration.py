"""Durations as a forecast reads them."""
from __future__ import annotations


def duration(seconds: float) -> str:
    """45 s, 12 min, 3.4 h: as precise as a forecast deserves."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
