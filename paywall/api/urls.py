from cms.api.routes import api_routes

from . import analytics, gifts, groups, views

urlpatterns = api_routes(
    ("plans/", views.PlanListApi, "plan-list"),
    ("subscriptions/trial/", views.SubscriptionTrialStartApi, "subscription-trial"),
    ("subscriptions/checkout/", views.SubscriptionCheckoutApi, "subscription-checkout"),
    ("me/subscription/", views.MeSubscriptionApi),
    ("me/subscription/cancel/", views.MeSubscriptionCancelApi),
    ("me/subscription/resume/", views.MeSubscriptionResumeApi),
    ("meter/", views.MeterApi),
    ("articles/<slug:slug>/gifts/", gifts.ArticleGiftCreateApi, "article-gift-create"),
    ("me/gifts/", gifts.MeGiftListApi, "me-gift-list"),
    ("me/gifts/<int:id>/", gifts.MeGiftRevokeApi, "me-gift-revoke"),
    ("analytics/funnel/", analytics.FunnelReportApi),
    ("analytics/experiments/<slug:slug>/", analytics.ExperimentReportApi, "analytics-experiment"),
    ("billing/webhooks/stripe/", views.StripeWebhookApi, "stripe-webhook"),
)
urlpatterns += api_routes(*((f"groups/{view.route}", view, view.url_name) for view in groups.ROUTED))
