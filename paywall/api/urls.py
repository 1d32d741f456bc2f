from django.urls import path

from . import analytics, views

urlpatterns = [
    path("plans/", views.PlanListApi.as_view(), name="plan-list"),
    path("subscriptions/trial/", views.SubscriptionTrialStartApi.as_view(), name="subscription-trial"),
    path("subscriptions/checkout/", views.SubscriptionCheckoutApi.as_view(), name="subscription-checkout"),
    path("me/subscription/", views.MeSubscriptionApi.as_view(), name="me-subscription"),
    path("me/subscription/cancel/", views.MeSubscriptionCancelApi.as_view(), name="me-subscription-cancel"),
    path("me/subscription/resume/", views.MeSubscriptionResumeApi.as_view(), name="me-subscription-resume"),
    path("meter/", views.MeterApi.as_view(), name="meter"),
    path("analytics/funnel/", analytics.FunnelReportApi.as_view(), name="analytics-funnel"),
    path("analytics/experiments/<slug:slug>/", analytics.ExperimentReportApi.as_view(), name="analytics-experiment"),
    path("billing/webhooks/stripe/", views.StripeWebhookApi.as_view(), name="stripe-webhook"),
]
