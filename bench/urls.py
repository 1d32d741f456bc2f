"""Bench-only URLconf (cms.settings.bench): the product URLs plus the floor. Not part of the product."""

from django.urls import include, path

from bench.floor import floor_article

urlpatterns = [
    path("bench/floor/<slug:slug>/", floor_article, name="bench-floor"),
    path("", include("cms.urls")),
]
