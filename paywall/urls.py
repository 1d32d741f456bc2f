"""Public non-API URLs of the paywall (the dev billing provider's confirmation page)."""

urlpatterns: list = []
