"""Admin of the meter policies: the default policy, section rules and experiments (with their arms inline and the
"Stop now" action). Forms only translate: the checks are `paywall.services.policies`' and the default policy is
saved through `meter_policy_update`; every save drops the cached policies (paywall/apps.py), so a change applies to
the next request."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from .models import Experiment, ExperimentArm, MeterPolicy, SectionMeterRule
from .services import meter_policy_update
from .services.policies import experiment_check, experiment_stop, rules_check

_RULE_FIELDS = ("window", "rolling_days", "anonymous_limit", "registered_limit", "registration_wall")


class _RulesForm(forms.ModelForm):
    """Policy values: rolling days only for a rolling window."""

    def clean(self):
        data = super().clean()
        for field, message in rules_check(window=data.get("window"), rolling_days=data.get("rolling_days")).items():
            self.add_error(field, message)
        return data


class MeterPolicyForm(_RulesForm):
    class Meta:
        model = MeterPolicy
        fields = (*_RULE_FIELDS, "attribution_days")


@admin.register(MeterPolicy)
class MeterPolicyAdmin(admin.ModelAdmin):
    """The default policy: window, allowances (empty: the settings), registration wall, attribution. Saved through
    `meter_policy_update`: effective at the next request, without resetting anyone's count."""

    form = MeterPolicyForm
    list_display = ("__str__", "window", "anonymous_limit", "registered_limit", "registration_wall", "updated_at")

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not MeterPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        policy = meter_policy_update(**{field: form.cleaned_data[field] for field in MeterPolicyForm.Meta.fields})
        obj.pk = policy.pk


class SectionMeterRuleForm(forms.ModelForm):
    class Meta:
        model = SectionMeterRule
        fields = ("section", "mode", "anonymous_limit", "registered_limit")

    def clean(self):
        data = super().clean()
        if data.get("mode") != SectionMeterRule.Mode.OWN:
            for field in ("anonymous_limit", "registered_limit"):
                if data.get(field) is not None:
                    self.add_error(field, "Only a section with its own allowance takes allowances.")
        return data


@admin.register(SectionMeterRule)
class SectionMeterRuleAdmin(admin.ModelAdmin):
    """A section's exception for its metered articles: always premium, never metered, or its own allowance."""

    form = SectionMeterRuleForm
    list_display = ("section", "mode", "anonymous_limit", "registered_limit", "updated_at")
    list_filter = ("mode",)
    list_select_related = ("section",)
    autocomplete_fields = ("section",)


class ExperimentArmForm(_RulesForm):
    class Meta:
        model = ExperimentArm
        fields = ("name", "is_control", "share", *_RULE_FIELDS, "ordering")


class ExperimentArmFormSet(forms.BaseInlineFormSet):
    """The arms together, with their experiment's times: `experiment_check`."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        arms = [
            {
                "name": f.cleaned_data["name"],
                "share": f.cleaned_data["share"],
                "is_control": f.cleaned_data["is_control"],
            }
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        experiment = self.instance
        try:
            experiment_check(
                experiment_id=experiment.pk, start_at=experiment.start_at, stop_at=experiment.stop_at, arms=arms
            )
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc


class ExperimentArmInline(admin.TabularInline):
    model = ExperimentArm
    form = ExperimentArmForm
    formset = ExperimentArmFormSet
    extra = 2
    min_num = 0


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    """Experiments of meter policies. Readers split between the arms by a stable hash of the experiment and their
    id; "Stop now" returns everyone to the default policy at the next request (the assignments stay)."""

    list_display = ("name", "slug", "status", "start_at", "stop_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "hypothesis", "start_at", "stop_at")
    inlines = [ExperimentArmInline]
    actions = ["stop_now"]

    @admin.display(description="status")
    def status(self, obj: Experiment) -> str:
        now = timezone.now()
        if obj.start_at is None:
            return "draft"
        if obj.stop_at is not None and obj.stop_at <= now:
            return "stopped"
        return "running" if obj.start_at <= now else "scheduled"

    @admin.action(description="Stop now", permissions=["change"])
    def stop_now(self, request, queryset):
        stopped = sum(experiment_stop(experiment=experiment) for experiment in queryset)
        self.message_user(
            request, f"Stopped {stopped} experiment(s); everyone gets the default policy.", messages.SUCCESS
        )
