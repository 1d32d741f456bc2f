from django.urls import path

from . import views

urlpatterns = [
    path("auth/csrf/", views.CsrfTokenApi.as_view(), name="auth-csrf"),
    path("auth/register/", views.RegisterApi.as_view(), name="auth-register"),
    path("auth/verify-email/", views.EmailVerifyApi.as_view(), name="auth-verify-email"),
    path("auth/verify-email/resend/", views.EmailVerifyResendApi.as_view(), name="auth-verify-email-resend"),
    path("auth/login/", views.LoginApi.as_view(), name="auth-login"),
    path("auth/refresh/", views.TokenRefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout/", views.LogoutApi.as_view(), name="auth-logout"),
    path("auth/password-reset/", views.PasswordResetApi.as_view(), name="auth-password-reset"),
    path("auth/password-reset/confirm/", views.PasswordResetConfirmApi.as_view(), name="auth-password-reset-confirm"),
    path("me/", views.MeApi.as_view(), name="me"),
]
