"""One admin for secret keys issued by staff (REST API keys in accounts, Ghost Content API keys in cms.ghost): the
raw key is shown once after creation, keys are immutable and never deleted, only revoked, so last use and
revocation stay on record. Subclasses name the services that create and revoke their keys."""

from __future__ import annotations

from django.contrib import admin, messages


class IssuedKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "is_active", "created_by", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    fields = ("name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke",)
    key_label = "API key"
    key_usage = ""  # how clients send the key, shown with it

    def key_create(self, *, name: str, created_by, **fields):  # -> (key, raw)
        raise NotImplementedError

    def key_create_fields(self, form) -> dict:
        """What `key_create` receives from the creation form besides `created_by`."""
        return {"name": form.cleaned_data["name"]}

    def key_revoke(self, *, key) -> None:
        raise NotImplementedError

    @admin.display(boolean=True, description="active")
    def is_active(self, obj):
        return obj.is_active

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else (*self.readonly_fields, "name")

    def save_model(self, request, obj, form, change):
        if change:
            return  # a key is immutable once created; revoke it and create another
        key, raw = self.key_create(created_by=request.user, **self.key_create_fields(form))
        obj.pk = key.pk
        obj.refresh_from_db()  # the admin's object is now the stored key (its log entry and redirect use it)
        self.message_user(
            request,
            f"{self.key_label} for “{key.name}”: {raw} — copy it now, it will not be shown again. {self.key_usage}",
            messages.WARNING,
        )

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead, so last use and revocation stay on record

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for key in queryset:
            self.key_revoke(key=key)
        self.message_user(request, f"{queryset.count()} key(s) revoked.", messages.SUCCESS)
