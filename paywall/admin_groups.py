"""Admin for group subscriptions: staff create groups, edit their seats, domain, admins and networks, remove
members, and give a group a complimentary subscription. Validation and subscriptions go through the same services as
the API (`paywall.services.groups`)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from cms.core.exceptions import ApplicationError

from .group_selectors import group_is_live
from .models import Group, GroupMembership, GroupNetwork, Plan
from .services import groups as services


def _cleaned(value: str, clean) -> str:
    try:
        return clean(value)
    except ApplicationError as exc:
        raise forms.ValidationError(exc.message) from None


class GroupNetworkForm(forms.ModelForm):
    class Meta:
        model = GroupNetwork
        fields = ("cidr", "label")

    def clean_cidr(self) -> str:
        return _cleaned(self.cleaned_data["cidr"], services.group_network_clean)


class GroupNetworkInline(admin.TabularInline):
    model = GroupNetwork
    form = GroupNetworkForm
    extra = 0


class GroupMembershipInline(admin.TabularInline):
    """Seats in use; staff may free one. Members join by invitation, domain or `members` API (the seat lock)."""

    model = GroupMembership
    extra = 0
    fields = ("user", "source", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class GroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ("name", "plan", "seats", "domain", "admins")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = Plan.objects.filter(per_seat=True)

    def clean_seats(self) -> int:
        seats = self.cleaned_data["seats"]
        used = self.instance.memberships.count() if self.instance.pk else 0
        if seats < used:
            raise forms.ValidationError(f"{used} members use a seat: remove some first.")
        return seats

    def clean_domain(self) -> str:
        return _cleaned(self.cleaned_data.get("domain", ""), services.group_domain_clean)


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    form = GroupForm
    list_display = ("name", "plan", "seats", "domain", "live", "created_at")
    search_fields = ("name", "domain", "admins__email")
    list_select_related = ("plan",)
    autocomplete_fields = ("admins",)
    inlines = [GroupNetworkInline, GroupMembershipInline]
    actions = ["comp_one_year"]

    @admin.display(boolean=True, description="members read")
    def live(self, obj: Group) -> bool:
        return group_is_live(obj)

    @admin.action(description="Give a complimentary subscription for one year", permissions=["change"])
    def comp_one_year(self, request, queryset):
        for group in queryset:
            try:
                services.group_subscription_comp(group=group, actor=request.user, days=365)
                self.message_user(request, f"{group}: one year given.", messages.SUCCESS)
            except ApplicationError as exc:
                self.message_user(request, f"{group}: {exc.message}", messages.WARNING)
