from cms.api.routes import api_routes

from . import analytics, gifts, groups, views

urlpatterns = api_routes(
    ("plans/", views.PlanListApi, "plan-list"),
    ("subscriptions/trial/", views.SubscriptionTrialStartApi, "subscription-trial"),
    ("subscriptions/checkout/", views.SubscriptionCheckoutApi, "subscription-checkout"),
    ("subscriptions/app-store/", views.AppStoreLinkApi, "subscription-app-store"),
    ("subscriptions/google-play/", views.GooglePlayLinkApi, "subscription-google-play"),
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
    ("billing/webhooks/app-store/", views.AppStoreWebhookApi, "app-store-webhook"),
    ("billing/webhooks/google-play/", views.GooglePlayWebhookApi, "google-play-webhook"),
)
urlpatterns += api_routes(*((f"groups/{view.route}", view, view.url_name) for view in groups.ROUTED))
