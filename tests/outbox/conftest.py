from collections.abc import Iterator

import pytest

from tests.support import webhook_receiver
from tests.support.webhook_receiver import Receiver


@pytest.fixture(autouse=True)
def _test_resolver(settings) -> Iterator[None]:
    """Host names resolve through the test's table; public addresses only, as in production."""
    settings.WEBHOOK_RESOLVER = "tests.support.webhook_receiver.resolve"
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    yield
    webhook_receiver.NAMES.clear()


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    """A real local receiver, reached at 127.0.0.1: private addresses allowed for it."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    with webhook_receiver.webhook_receiver() as running:
        yield running
