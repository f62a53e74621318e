from rest_framework.routers import SimpleRouter

# An object id in a URL: its 36 characters, which the view then parses (a bad one is a 404).
UUID_PATTERN = "[0-9a-fA-F-]{36}"


class OptionalSlashRouter(SimpleRouter):
    """Every path answers with or without its final slash (mobile clients get this wrong)."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"
