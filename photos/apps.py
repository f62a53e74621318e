from django.apps import AppConfig
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from PIL import Image, ImageFile, PngImagePlugin


class PhotosConfig(AppConfig):
    name = "photos"
    verbose_name = "Photos"

    def ready(self) -> None:
        # Pillow refuses images over its own limit (89.5 MP by default) as decompression
        # bombs; PropFlow's pixel limit is the setting, so the two must agree.
        Image.MAX_IMAGE_PIXELS = settings.PHOTO_MAX_PIXELS
        # A truncated file is unreadable, not decoded in part (Pillow's default, stated here).
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        # A PNG's text chunks are decompressed as it is opened, outside the decode's estimate
        # (photos.imaging.decode_megabytes): 1 MB each (Pillow's default) and 8 MB in all, not
        # Pillow's 64 MB.
        PngImagePlugin.MAX_TEXT_CHUNK = 1024 * 1024
        PngImagePlugin.MAX_TEXT_MEMORY = 8 * 1024 * 1024
        connection_created.connect(_register_sqlite_functions, dispatch_uid="photos.sqlite")


def _register_sqlite_functions(connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """The reuse lookup's distance on SQLite, which has no popcount (PostgreSQL's bit_count does
    it there): the connection's SQL machinery, not business logic, hence a signal."""
    if connection.vendor != "sqlite":
        return
    from photos.selectors import SQLITE_HAMMING_FUNCTION, sqlite_hamming64

    connection.connection.create_function(
        SQLITE_HAMMING_FUNCTION, 2, sqlite_hamming64, deterministic=True
    )
