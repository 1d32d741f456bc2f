from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from cms.core.models import IssuedKey


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        extra.setdefault("email_verified_at", timezone.now())
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A reader or a member of staff. Signs in with the email address (unique, case-insensitive)."""

    email = models.EmailField(max_length=254, unique=True)
    uuid = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="Public id (the apps' StoreKit appAccountToken)."
    )
    display_name = models.CharField(max_length=80, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the editors' admin.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    pending_email = models.EmailField(
        max_length=254, blank=True, help_text="A new address waiting for verification; replaces `email` once verified."
    )
    newsletter = models.BooleanField(default=False)
    notify_replies = models.BooleanField(default=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()


API_KEY_SCOPES = ("analytics",)  # rights an API key may be given beyond reading content


class ApiKey(IssuedKey):
    """A key for a server-side frontend (SSR site, newsletter renderer): higher rate limits, never a reader.

    Only a SHA-256 digest of the key is stored; the raw key (`mh_<prefix>_<secret>`) is shown once at creation.
    """

    prefix = models.CharField(max_length=12, unique=True, editable=False)
    scopes = models.JSONField(
        default=list,
        blank=True,
        help_text='Rights beyond reading content, e.g. ["analytics"] (the revenue desk API). Empty: content only.',
    )

    class Meta(IssuedKey.Meta):
        verbose_name = "API key"

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or ())
