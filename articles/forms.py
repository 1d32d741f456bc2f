"""Admin forms. They only collect input: the article services sanitise, split and enforce roles.

`ArticleAdminForm` asks the service itself whether the save would be allowed (a dry run inside a savepoint that is
always rolled back), so a refusal such as a contributor changing the status shows as a form error on the right
field instead of a 500, without the rule being written a second time here.
"""

from __future__ import annotations

import copy

from django import forms
from django.db import transaction
from django_prose_editor.fields import ProseEditorFormField
from django_prose_editor.widgets import AdminProseEditorWidget

from cms.core.exceptions import ApplicationError

from .models import Article, Image
from .services import article_save
from .services.articles import PUBLISH_PERMISSION

# What the editor can produce; a subset of the server-side allow-list in services/html.py (which stays the
# authority: the form does not sanitise, `article_save` does).
BODY_EDITOR_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Underline": True,
    "Strike": True,
    "Subscript": True,
    "Superscript": True,
    "Heading": {"levels": [2, 3, 4]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HorizontalRule": True,
    "HardBreak": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
    "History": True,
    "HTML": True,
}


class _DryRun(Exception):
    pass


class ArticleAdminForm(forms.ModelForm):
    body = ProseEditorFormField(
        config={"extensions": BODY_EDITOR_EXTENSIONS},
        widget=AdminProseEditorWidget,
        required=False,
        help_text="Type [paywall] as its own paragraph where the free preview ends; "
        "without it the first 3 paragraphs are free. Scripts and unknown markup are removed on save.",
    )

    source_url = forms.URLField(
        max_length=500,
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"size": 90}),
        help_text="Link to the original article, if any.",
    )

    # Set by ArticleAdmin.get_form: the user saving the form.
    user = None

    class Meta:
        model = Article
        fields = (
            "title",
            "slug",
            "dek",
            "body",
            "status",
            "published_at",
            "access_level",
            "section",
            "tags",
            "related_articles",
            "hero_image",
            "source_name",
            "source_url",
            "seo_title",
            "seo_description",
        )
        widgets = {
            "title": forms.TextInput(attrs={"size": 90}),
            "slug": forms.TextInput(attrs={"size": 90}),
            "dek": forms.Textarea(attrs={"rows": 3, "cols": 90}),
            "source_name": forms.TextInput(attrs={"size": 60}),
            "seo_title": forms.TextInput(attrs={"size": 90}),
            "seo_description": forms.Textarea(attrs={"rows": 2, "cols": 90}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.fields.get("status")
        if status is not None and not self.can_publish:
            current = self.instance.status if self.instance.pk else Article.Status.DRAFT
            status.choices = [(v, label) for v, label in Article.Status.choices if v in {Article.Status.DRAFT, current}]
            status.help_text = "Contributors write drafts; an editor publishes them."

    @property
    def can_publish(self) -> bool:
        return self.user is None or self.user.has_perm(PUBLISH_PERMISSION)

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        # Ask the service (the authority) on a throwaway copy, inside a savepoint that is always rolled back.
        candidate = copy.copy(self.instance)
        try:
            with transaction.atomic():
                article_save(article=candidate, user=self.user)
                raise _DryRun
        except _DryRun:
            pass
        except ApplicationError as exc:
            field = exc.field if exc.field in self.fields else None
            if field is None and exc.code == "cannot_publish" and "status" in self.fields:
                field = "status"
            self.add_error(field, exc.message)


class ImageAdminForm(forms.ModelForm):
    class Meta:
        model = Image
        fields = ("file", "title", "alt", "caption", "credit")
        widgets = {"caption": forms.TextInput(attrs={"size": 80}), "alt": forms.TextInput(attrs={"size": 80})}
