"""Content API keys in the admin: staff create one per integration (the key is shown once) and revoke it."""

from __future__ import annotations

from django.contrib import admin, messages

from .keys import content_api_key_create, content_api_key_revoke
from .models import ContentApiKey


@admin.register(ContentApiKey)
class ContentApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "is_active", "created_by", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    fields = ("name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke",)

    @admin.display(boolean=True, description="active")
    def is_active(self, obj):
        return obj.is_active

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else (*self.readonly_fields, "name")

    def save_model(self, request, obj, form, change):
        if change:
            return  # a key is immutable once created; revoke it and create another
        key, raw = content_api_key_create(name=form.cleaned_data["name"], created_by=request.user)
        obj.pk = key.pk
        obj.refresh_from_db()  # the admin's object is now the stored key (its log entry and redirect use it)
        self.message_user(
            request,
            f"Content API key for “{key.name}”: {raw} — copy it now, it will not be shown again. "
            "Frontends send it as ?key= to /ghost/api/content/.",
            messages.WARNING,
        )

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead, so last use and revocation stay on record

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            content_api_key_revoke(key=key)
        self.message_user(request, f"{queryset.count()} key(s) revoked.", messages.SUCCESS)
