"""`python manage.py content_api_key create "<name>"` (the key on the last line), `list`, `revoke <prefix>`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cms.core.exceptions import ApplicationError
from cms.ghost.keys import content_api_key_create, content_api_key_revoke
from cms.ghost.models import ContentApiKey


class Command(BaseCommand):
    help = "Ghost Content API keys: create NAME (prints the key on its last line), list, revoke PREFIX."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("create").add_argument("name")
        sub.add_parser("list")
        sub.add_parser("revoke").add_argument("prefix")

    def handle(self, *args, action: str, **options):
        if action == "create":
            try:
                key, raw = content_api_key_create(name=options["name"])
            except ApplicationError as exc:
                raise CommandError(exc.message) from None
            self.stdout.write(f"Content API key for “{key.name}” (prefix {key.prefix}); it is not shown again:")
            self.stdout.write(raw)
        elif action == "list":
            for key in ContentApiKey.objects.order_by("-created_at"):
                state = "revoked " + key.revoked_at.isoformat() if key.revoked_at else "active"
                used = key.last_used_at.isoformat() if key.last_used_at else "never used"
                self.stdout.write(f"{key.prefix}  {key.name}  {state}  {used}")
        else:
            keys = list(ContentApiKey.objects.filter(prefix=options["prefix"].strip().lower()))
            if len(keys) != 1:
                raise CommandError(f"{len(keys)} keys have the prefix {options['prefix']!r}; give exactly one.")
            content_api_key_revoke(key=keys[0])
            self.stdout.write(f"Revoked {keys[0].prefix} ({keys[0].name}).")
