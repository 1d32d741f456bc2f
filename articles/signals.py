"""Decoupled side effects only (cache purge, outgoing webhooks). No business rules here."""
