from django.apps import AppConfig
from django.conf import settings
from PIL import Image


class PhotosConfig(AppConfig):
    name = "photos"
    verbose_name = "Photos"

    def ready(self) -> None:
        # Pillow refuses images over its own limit (89.5 MP by default) as decompression
        # bombs; PropFlow's pixel limit is the setting, so the two must agree.
        Image.MAX_IMAGE_PIXELS = settings.PHOTO_MAX_PIXELS
