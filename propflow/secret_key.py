"""The secret key of an installation run with DEBUG on and no SECRET_KEY: random, made once."""

import os
import secrets
import tempfile
from contextlib import suppress
from pathlib import Path


def development_secret_key(path: Path) -> str:
    """The key kept in ``path``; made on first use (random, readable by its owner only).

    Side effects: creates ``path`` (and its folder) when it is missing. Processes starting
    together agree on one key: the file appears complete, and only the first one is kept.
    """
    with suppress(FileNotFoundError):
        return path.read_text()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")  # mode 0600
    try:
        with open(descriptor, "w") as draft_file:
            draft_file.write(secrets.token_urlsafe(50))
        with suppress(FileExistsError):
            os.link(draft, path)
    finally:
        os.unlink(draft)
    return path.read_text()
