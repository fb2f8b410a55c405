"""The sorted names of big folders, kept between browse calls.

Browsing a folder of 10,000 files page by page would otherwise list and sort all its names for
every page. A folder's names change only when an entry is added, removed or renamed in it, and each
of those sets the folder's mtime; the cache is keyed on the folder's device and inode and trusted
while its mtime is unchanged. The kernel stamps mtime with a coarse clock, so two changes within one
tick can leave the same mtime: a listing is kept only when the folder's mtime is at least
`RACY_NS` older than the moment the listing began (git's rule for its index), so a listing that
could miss a change made in the same tick is never reused.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict

RACY_NS = 2_000_000_000
MIN_ENTRIES = 1000


class NameCache:
    """Sorted names of the `size` most recently listed folders of at least MIN_ENTRIES entries."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: OrderedDict[tuple[int, int], tuple[int, list[str]]] = OrderedDict()
        self._lock = threading.Lock()  # browse calls run in worker threads

    def sorted_names(self, fd: int) -> list[str]:
        """The names in the open folder `fd`, sorted. The list may be shared: never modify it."""
        began = time.time_ns()
        st = os.fstat(fd)
        key = (st.st_dev, st.st_ino)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] == st.st_mtime_ns:
                self._items.move_to_end(key)
                return hit[1]
        names = sorted(os.listdir(fd))
        if len(names) >= MIN_ENTRIES and st.st_mtime_ns <= began - RACY_NS:
            with self._lock:
                self._items[key] = (st.st_mtime_ns, names)
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return names
