"""The demo logins of the embedded default (`manage.py seed_demo`): demo data, not a domain operation, so it lives
apart from the account services it uses."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from . import throttling
from .selectors import user_get_by_email

User = get_user_model()

DEMO_ACCOUNTS = (  # noqa: S105 - published demo logins for the embedded default
    # role, email, password, display name, staff, superuser, group
    ("reader", "reader@masthead.local", "demo-reader-2024", "Demo Reader", False, False, None),
    ("subscriber", "subscriber@masthead.local", "demo-subscriber-2024", "Demo Subscriber", False, False, None),
    ("editor", "editor@masthead.local", "demo-editor-2024", "Demo Editor", True, False, "Editor"),
    ("contributor", "contributor@masthead.local", "demo-contrib-2024", "Demo Contributor", True, False, "Contributor"),
    ("admin", "admin@masthead.local", "demo-admin-2024", "Demo Admin", True, True, None),
)


def demo_accounts_ensure() -> list[tuple[str, str, str]]:
    """Create (or reset) the demo logins, all verified with known passwords. Idempotent.

    Returns [(role, email, password), ...] for printing. The subscriber's subscription is added by billing's seed.
    """
    result = []
    now = timezone.now()
    with transaction.atomic():
        for role, email, password, display_name, is_staff, is_superuser, group in DEMO_ACCOUNTS:
            user = user_get_by_email(email=email) or User(email=email)
            user.display_name = user.display_name or display_name
            user.is_staff, user.is_superuser, user.is_active = is_staff, is_superuser, True
            user.email_verified_at = user.email_verified_at or now
            if not user.check_password(password):
                user.set_password(password)
            user.save()
            if group:
                user.groups.add(Group.objects.get_or_create(name=group)[0])
            throttling.login_lock_clear(email=email)
            result.append((role, email, password))
    return result
