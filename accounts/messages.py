"""What the accounts API says back, the same in REST (`detail`) and GraphQL (`message`)."""

REGISTER_ACCEPTED = "If this address can be registered, we have sent an email to it. Check your inbox."
RESET_ACCEPTED = "If an account uses this address, we have sent it a link to reset the password."
EMAIL_VERIFIED = "Your email address is verified."
VERIFICATION_SENT = "Verification email sent if needed."
RESET_CONFIRMED = "Your password has been changed. Sign in with the new one."
