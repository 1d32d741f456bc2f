"""Public non-API URLs of the paywall: the dev billing provider's checkout confirmation page."""

from django.urls import path

from .billing.dev_views import DevCheckoutView

app_name = "paywall"

urlpatterns = [
    path("billing/dev/checkout/<str:token>/", DevCheckoutView.as_view(), name="dev-checkout"),
]
