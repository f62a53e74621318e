"""django-storages' S3 storage with one boto3 connection per process.

S3Storage keeps its boto3 resource in a ``threading.local``: each new thread builds a session
and a client again (loading botocore's service model and resolving the endpoint), and an ASGI
server runs each request's sync code in a thread of a pool that grows and shrinks, so about
every upload paid 50-180 ms for it. botocore clients are thread-safe; the shared S3 service
resource holds nothing but its client (each call makes its own ``Object``), and S3Storage
already shares its ``bucket`` resource across threads.
"""

from types import SimpleNamespace
from typing import Any

from storages.backends.s3 import S3Storage


class SharedClientS3Storage(S3Storage):  # type: ignore[misc]  # django-storages is untyped
    """S3Storage whose signed and unsigned connections are made once and shared by every
    thread. Two threads that find none at once may each make one; the last one made stays."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self._share_connections()

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._share_connections()

    def _share_connections(self) -> None:
        # In place of S3Storage's threading.local(): one namespace that every thread reads.
        self._connections = SimpleNamespace()
        self._unsigned_connections = SimpleNamespace()
