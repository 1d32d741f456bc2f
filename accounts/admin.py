"""Admin for readers and staff, and for frontend API keys (created here, shown once, revocable)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from cms.core.key_admin import IssuedKeyAdmin

from . import services
from .models import API_KEY_SCOPES, ApiKey, User


class VerifiedFilter(admin.SimpleListFilter):
    title = "email verified"
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return (("yes", "Verified"), ("no", "Not verified"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(email_verified_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(email_verified_at__isnull=True)
        return queryset


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "display_name")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = ("email", "display_name", "is_verified", "is_staff", "is_active", "date_joined", "last_login")
    list_filter = (VerifiedFilter, "is_staff", "is_superuser", "is_active", "newsletter", "groups")
    search_fields = ("email", "display_name", "pending_email")
    ordering = ("-date_joined",)
    readonly_fields = ("date_joined", "last_login", "email_verified_at", "pending_email")
    filter_horizontal = ("groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "newsletter", "notify_replies")}),
        ("Verification", {"fields": ("email_verified_at", "pending_email")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "display_name", "password1", "password2")}),)
    actions = ("mark_verified",)

    @admin.display(boolean=True, description="verified", ordering="email_verified_at")
    def is_verified(self, obj):
        return obj.is_verified

    @admin.action(description="Mark the selected accounts' email as verified", permissions=["change"])
    def mark_verified(self, request, queryset):
        for user in queryset:
            services.user_email_mark_verified(user=user)
        self.message_user(request, f"{queryset.count()} account(s) marked verified.", messages.SUCCESS)


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(scope, scope) for scope in API_KEY_SCOPES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Rights beyond reading content: `analytics` reads the revenue desk API. Fixed once created.",
    )

    class Meta:
        model = ApiKey
        fields = ("name", "scopes")


@admin.register(ApiKey)
class ApiKeyAdmin(IssuedKeyAdmin):
    form = ApiKeyForm
    key_label = "API key"
    key_usage = "Send it as the X-Api-Key header."
    list_display = (*IssuedKeyAdmin.list_display[:2], "scopes", *IssuedKeyAdmin.list_display[2:])
    fields = ("name", "scopes", *IssuedKeyAdmin.fields[1:])

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if obj is None else (*fields, "scopes")

    def key_create_fields(self, form) -> dict:
        return {**super().key_create_fields(form), "scopes": form.cleaned_data.get("scopes") or []}

    def key_create(self, *, name: str, created_by, scopes=()):
        return services.api_key_create(name=name, created_by=created_by, scopes=scopes)

    def key_revoke(self, *, key) -> None:
        services.api_key_revoke(key=key)
