"""An enabled store without what verifies its purchases is refused at start (system checks), not at the first
purchase."""

from __future__ import annotations

import pytest

from paywall.checks import store_billing_check

COMPLETE = {
    "APP_STORE_BUNDLE_ID": "com.example.news",
    "APP_STORE_ROOT_CERTIFICATES": ["/etc/masthead/AppleRootCA-G3.cer"],
    "APP_STORE_ENVIRONMENT": "Production",
    "APP_STORE_APP_APPLE_ID": 1234,
    "GOOGLE_PLAY_PACKAGE_NAME": "com.example.news",
    "GOOGLE_PLAY_SERVICE_ACCOUNT_FILE": "/etc/masthead/play.json",
    "GOOGLE_PUBSUB_AUDIENCE": "https://news.example.com/api/v1/billing/webhooks/google-play/",
    "GOOGLE_PUBSUB_SERVICE_ACCOUNT_EMAIL": "push@example.iam.gserviceaccount.com",
}


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({}, []),
        ({"APP_STORE_BUNDLE_ID": "", "GOOGLE_PLAY_PACKAGE_NAME": "", "APP_STORE_ROOT_CERTIFICATES": []}, []),
        ({"APP_STORE_ROOT_CERTIFICATES": []}, ["paywall.E003"]),
        ({"APP_STORE_ENVIRONMENT": "Xcode"}, ["paywall.E004"]),
        ({"APP_STORE_APP_APPLE_ID": None}, ["paywall.E005"]),
        ({"APP_STORE_ENVIRONMENT": "Sandbox", "APP_STORE_APP_APPLE_ID": None}, []),
        ({"GOOGLE_PUBSUB_SERVICE_ACCOUNT_EMAIL": ""}, ["paywall.E006"]),
    ],
)
def test_store_settings_are_checked(settings, change, errors):
    for name, value in {**COMPLETE, **change}.items():
        setattr(settings, name, value)
    assert [error.id for error in store_billing_check(None)] == errors
