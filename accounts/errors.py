# ruff: noqa: S105 - error codes, not secrets
"""Error codes raised by the accounts services (one enum per app), mapped to REST and GraphQL errors."""

from enum import StrEnum


class AccountsErrorCode(StrEnum):
    INVALID_CREDENTIALS = "invalid_credentials"
    INACTIVE = "inactive"
    LOGIN_LOCKED = "login_locked"
    TOKEN_INVALID = "token_invalid"
    PASSWORD_INCORRECT = "password_incorrect"
    PASSWORD_INVALID = "password_invalid"
    EMAIL_INVALID = "email_invalid"
    SUBSCRIPTION_LIVE = "subscription_live"
    AUTHENTICATION_REQUIRED = "not_authenticated"
