"""A photo's decode in a child process, under a memory limit and a deadline.

Decoders of hostile files can take far more memory or time than their header says (and a bug
in one can crash it): QC decodes each photo in a forked child whose address space may grow by
at most the decode's allowance (RLIMIT_AS over what it inherited) and whose CPU time is capped,
while the parent waits for its answer up to a wall-clock deadline and kills it then. A child
over its memory gets a MemoryError from Pillow's allocator (or dies); either way the parent
survives and says why.

The limit counts the address space the child adds: heap the parent had already freed is reused
without being counted, so a long-lived parent's free heap is slack on top of the allowance (a
Celery worker's pool process holds little; Pillow's image buffers, allocated in blocks of up to
16 MB, nearly always take new address space).
"""

from __future__ import annotations

import logging
import os
import pickle
import resource
import selectors
import signal
import time
from dataclasses import dataclass
from typing import BinaryIO

from photos.exif import UnreadableImageError
from photos.imaging import Analysis, analyse

logger = logging.getLogger(__name__)

_STATUS = "/proc/self/status"
_READ_BYTES = 1024 * 1024


class DecodeAbortedError(Exception):
    """The decode went over its memory or time, or its process died: the message says which."""


@dataclass(frozen=True)
class DecodeLimits:
    max_pixels: int
    max_decode_mb: int
    max_seconds: float


@dataclass(frozen=True)
class ChildUsage:
    """What the child's decode took: its peak resident memory above what it started with."""

    peak_rss_mb: float


def analyse_in_child(stream: BinaryIO, limits: DecodeLimits) -> tuple[Analysis, ChildUsage]:
    """imaging.analyse run in a child process within the limits.

    Raises UnreadableImageError as analyse does (and for any other error of the decoder), and
    DecodeAbortedError when the child ran out of its memory, its time, or died. The stream's
    position is left at its start.
    """
    read_end, write_end = os.pipe()
    stream.seek(0)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; coverage does not follow a fork
        os.close(read_end)
        _child(stream, limits, write_end)
    os.close(write_end)
    timed_out = True  # until the child has answered or closed the pipe by dying
    try:
        payload, timed_out = _read_all(read_end, limits.max_seconds)
    finally:
        os.close(read_end)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        stream.seek(0)
    if timed_out:
        raise DecodeAbortedError(f"decoding took longer than {limits.max_seconds:g} s")
    if not payload:
        raise DecodeAbortedError(_death(status, limits))
    kind, value, usage = pickle.loads(payload)  # noqa: S301 - our own child's answer
    if kind == "analysis":
        return value, usage
    if kind == "unreadable":
        raise value
    if kind == "memory":
        raise DecodeAbortedError(
            f"decoding needed more than the {limits.max_decode_mb:,} MB allowed"
        )
    # Decoders of untrusted files raise more than they document; such a file is unreadable
    # (and ends in ERROR) rather than a failed task that would be tried again.
    logger.warning("photo decoder failed: %s", value)
    raise UnreadableImageError(f"the image could not be processed ({value})")


def _child(stream: BinaryIO, limits: DecodeLimits, write_end: int) -> None:  # pragma: no cover
    started = _status_kb("VmRSS")
    try:
        address_space = (_status_kb("VmSize") + limits.max_decode_mb * 1024) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        # A backstop for a parent killed meanwhile (a task's hard time limit): nobody would
        # otherwise stop this child.
        cpu_seconds = int(limits.max_seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        try:
            analysis = analyse(
                stream, max_pixels=limits.max_pixels, max_decode_mb=limits.max_decode_mb
            )
            answer: tuple[str, object] = ("analysis", analysis)
        except UnreadableImageError as error:
            answer = ("unreadable", error)
        except MemoryError:
            answer = ("memory", "")
        except Exception as error:  # noqa: BLE001 - whatever it is, the parent reports it
            answer = ("failed", type(error).__name__)
        usage = ChildUsage(peak_rss_mb=(_status_kb("VmHWM") - started) / 1024)
        payload = pickle.dumps((*answer, usage))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
    finally:
        os._exit(0)


def _read_all(read_end: int, seconds: float) -> tuple[bytes, bool]:
    """Everything the child writes until it closes the pipe, or (what came, True) at the
    deadline."""
    deadline = time.monotonic() + seconds
    chunks: list[bytes] = []
    with selectors.DefaultSelector() as selector:
        selector.register(read_end, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                return b"".join(chunks), True
            chunk = os.read(read_end, _READ_BYTES)
            if not chunk:
                return b"".join(chunks), False
            chunks.append(chunk)


def _death(status: int, limits: DecodeLimits) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGXCPU:
            return f"decoding took more than {int(limits.max_seconds) + 1} s of CPU"
        return f"the decoding process was killed ({signal.Signals(number).name})"
    return f"the decoding process exited without an answer (status {os.WEXITSTATUS(status)})"


def _status_kb(field: str) -> int:
    with open(_STATUS) as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)
