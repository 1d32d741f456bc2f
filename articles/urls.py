"""Public non-API URLs of the newsroom: feeds and sitemaps."""

urlpatterns: list = []
