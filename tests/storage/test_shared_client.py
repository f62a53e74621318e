"""The S3 storage's boto3 connection is made once per process, not once per thread (each ASGI
request's thread paid for a new one). Making a connection contacts no server."""

import copy
import threading
from typing import Any

import pytest
from storages.backends.s3 import S3Storage

from propflow.storage import SharedClientS3Storage

OPTIONS = {
    "bucket_name": "propflow",
    "access_key": "test-access-key",
    "secret_key": "test-secret-key",
    "endpoint_url": "http://127.0.0.1:9",
    "region_name": "us-east-1",
}


def _connections_of_threads(storage: S3Storage, threads: int = 3) -> list[tuple[Any, Any]]:
    """Each of a few new threads' signed and unsigned connections, as the thread sees them."""
    seen: list[tuple[Any, Any]] = []

    def look() -> None:
        seen.append((storage.connection, storage.unsigned_connection))

    for _ in range(threads):
        thread = threading.Thread(target=look)
        thread.start()
        thread.join()
    return seen


def test_every_thread_uses_the_connections_of_the_first():
    storage = SharedClientS3Storage(**OPTIONS)
    signed, unsigned = storage.connection, storage.unsigned_connection

    assert _connections_of_threads(storage) == [(signed, unsigned)] * 3
    assert signed.meta.client is not unsigned.meta.client


def test_a_storage_copied_as_pickle_does_it_shares_its_own_connections():
    # deepcopy goes through __getstate__ and __setstate__, as pickling a stored file does.
    storage = copy.deepcopy(SharedClientS3Storage(**OPTIONS))
    signed = storage.connection

    assert [connection for connection, _ in _connections_of_threads(storage)] == [signed] * 3


@pytest.mark.parametrize(("backend", "shared"), [(S3Storage, False), (SharedClientS3Storage, True)])
def test_only_the_shared_storage_spares_a_new_thread_a_new_client(backend, shared):
    storage = backend(**OPTIONS)
    first = storage.connection.meta.client

    ((other, _),) = _connections_of_threads(storage, threads=1)

    assert (other.meta.client is first) is shared
