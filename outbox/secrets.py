"""Webhook secrets at rest: encrypted (Fernet: AES-CBC and HMAC) with WEBHOOK_ENCRYPTION_KEY, so
that a copy of the database cannot sign as PropFlow; decrypted only to sign a delivery."""

import base64
import hashlib

from cryptography.fernet import Fernet
from django.conf import settings


def _fernet() -> Fernet:
    # Any string as the key: its SHA-256 is the Fernet key (32 bytes, urlsafe base64).
    key = hashlib.sha256(settings.WEBHOOK_ENCRYPTION_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(encrypted: str) -> str:
    return _fernet().decrypt(encrypted.encode()).decode()
