"""OpenAPI description of the authentication schemes (loaded by AccountsConfig.ready)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class JWTScheme(SimpleJWTScheme):
    """Our JWTAuthentication is simplejwt's with a cheaper user lookup: the same bearer scheme."""

    target_class = "accounts.backends.JWTAuthentication"


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.backends.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": "Server-side frontend key (created in the admin). Never authenticates as a reader.",
        }
