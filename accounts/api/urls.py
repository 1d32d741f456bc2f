from cms.api.routes import api_routes

from . import views

urlpatterns = api_routes(
    ("auth/csrf/", views.CsrfTokenApi),
    ("auth/register/", views.RegisterApi),
    ("auth/verify-email/", views.EmailVerifyApi),
    ("auth/verify-email/resend/", views.EmailVerifyResendApi),
    ("auth/login/", views.LoginApi),
    ("auth/refresh/", views.TokenRefreshApi),
    ("auth/logout/", views.LogoutApi),
    ("auth/password-reset/", views.PasswordResetApi),
    ("auth/password-reset/confirm/", views.PasswordResetConfirmApi),
    ("me/", views.MeApi),
)
