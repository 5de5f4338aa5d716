"""Run a deeply recursive library call (WeasyPrint's layout) with room of its own on CPython's frame stack.

CPython 3.11 keeps Python frames in 16 KB chunks and unmaps a chunk the moment the frame that opened it
returns, so a recursion that keeps swinging across a chunk's end maps, faults in and unmaps a fresh chunk at
every crossing. Whether it does depends on how deep the caller already is: the same contract took 77 ms to
render from a script and 89 ms at the depth of a batch job (715 mmap/munmap pairs per document, seen with
strace). Called through `call`, the work starts in a chunk with ROOM bytes free and never crosses one;
the pages it does not touch cost nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
ROOM = 256 * 1024  # WeasyPrint's layout of a long contract uses a few tens of KB of frames


def _enter(fn, args, kwargs):
    return fn(*args, **kwargs)


# A frame's size is its locals plus its value stack (co_stacksize slots), reserved when it is pushed: this frame
# is ROOM bytes, so CPython opens a chunk twice that size for it and the callee's frames fill the other half.
_enter.__code__ = _enter.__code__.replace(co_stacksize=ROOM // 8)


def call(fn: Callable[..., T], /, *args, **kwargs) -> T:
    """fn(*args, **kwargs), its frames in ROOM bytes of frame stack opened for this call."""
    return _enter(fn, args, kwargs)
