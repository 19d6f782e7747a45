"""This process's resident memory (RSS), now and at its peak, in MB."""

from __future__ import annotations

import gc
import resource

import psutil


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rss_mb() -> float:
    """This process's resident memory now, in MB, after a full garbage collection."""
    gc.collect()
    return round(psutil.Process().memory_info().rss / 2**20, 1)
