"""A board seat's secret is kept only as its hash (the participant row's ``secret_hash``)."""
from __future__ import annotations

import hashlib


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
