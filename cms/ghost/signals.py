"""Cache purges only: a saved page, site settings row or plan changes public Ghost answers."""

from django.db.models.signals import post_delete, post_save

from articles.models import Page
from cms.core.caching import content_generation_bump
from cms.core.models import SiteSettings
from cms.core.selectors import site_settings_forget
from paywall.models import Plan

for model in (Page, SiteSettings, Plan):
    post_save.connect(content_generation_bump, sender=model, dispatch_uid=f"ghost-purge-save-{model.__name__}")
    post_delete.connect(content_generation_bump, sender=model, dispatch_uid=f"ghost-purge-delete-{model.__name__}")
post_save.connect(site_settings_forget, sender=SiteSettings, dispatch_uid="ghost-site-settings-forget")
post_delete.connect(site_settings_forget, sender=SiteSettings, dispatch_uid="ghost-site-settings-forget-delete")
