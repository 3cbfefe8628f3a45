from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from omni.models import User
from omni.tokens import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is stored hashed and cannot be shown again)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="Email of the user the token acts as.")
        parser.add_argument("--scopes", default="read", help="Comma-separated: read, write (default read).")
        parser.add_argument("--name", default="", help="What the token is for (default: cli-<date>).")
        parser.add_argument("--days", type=int, default=365, help="Days until it expires; 0 = never (default 365).")

    def handle(self, *args, user, scopes, name, days, **options):
        try:
            owner = User.objects.get(email__iexact=user)
        except User.DoesNotExist:
            raise CommandError(f"No user with email {user}.") from None
        expires_at = timezone.now() + timedelta(days=days) if days > 0 else None
        try:
            token, raw = api_token_create(
                user=owner,
                name=name or f"cli-{timezone.now():%Y-%m-%d}",
                scopes=[s.strip() for s in scopes.split(",") if s.strip()],
                expires_at=expires_at,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        self.stdout.write(raw)
        self.stderr.write(
            f"Token {token.prefix}… for {owner.email}, scopes {','.join(token.scopes)}, "
            f"expires {token.expires_at or 'never'}."
        )
