"""`manage.py vapid_keys`: a new VAPID key pair for web push, printed as .env lines."""

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management.base import BaseCommand


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def vapid_key_pair() -> tuple[str, str]:
    """(public, private): the P-256 public point uncompressed (65 bytes, what browsers take as
    applicationServerKey) and the private scalar (32 bytes), both base64url without padding."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(public), _b64url(private.private_numbers().private_value.to_bytes(32, "big"))


class Command(BaseCommand):
    help = "Print a new VAPID key pair for web push, as .env lines. New keys void every browser's subscription."

    def handle(self, *args, **options):
        public, private = vapid_key_pair()
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}\nVAPID_PRIVATE_KEY={private}\n")
