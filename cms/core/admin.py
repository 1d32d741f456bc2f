"""Site settings: one row, edited in the admin (no add once it exists, no delete)."""

from __future__ import annotations

from django.contrib import admin

from .models import SiteSettings


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    fieldsets = (
        (None, {"fields": ("title", "description", "lang", "timezone", "members_support_address")}),
        ("Branding", {"fields": ("logo", "icon", "accent_color", "cover_image")}),
        ("Navigation", {"fields": ("navigation", "secondary_navigation")}),
        ("Meta", {"fields": ("meta_title", "meta_description")}),
        ("Social", {"fields": ("og_image", "og_title", "og_description")}),
        ("Twitter", {"fields": ("twitter_image", "twitter_title", "twitter_description")}),
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not SiteSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
