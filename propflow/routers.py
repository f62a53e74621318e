from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """Every path answers with or without its final slash (mobile clients get this wrong)."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"
