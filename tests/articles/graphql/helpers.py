"""Shared GraphQL documents and a REST -> GraphQL shape normaliser for parity tests."""

from __future__ import annotations

import re

from django.utils.dateparse import parse_datetime
from graphene.utils.str_converters import to_camel_case

LIST_ITEM = """
fragment ListItem on Article {
  id slug title dek
  section { slug name }
  tags { slug name }
  authors { slug name }
  publishedAt updatedAt
  heroImage { url width height alt caption credit renditions { width height format url } }
  accessLevel commentCount url snippet
}
"""

OFFER = "message loginUrl subscribeUrl plans { code name amount currency interval display } trial { days available }"
DETAIL = (
    LIST_ITEM
    + """
fragment Detail on Article {
  ...ListItem
  body bodyIsPreview
  source { name url }
  seo { title description }
  jsonLd
  access { granted reason readsLeft limit resetsAt readerKind policy { experiment arm } }
  paywall { code OFFER_FIELDS }
  gift { status message }
  offer { OFFER_FIELDS }
}
""".replace("OFFER_FIELDS", OFFER)
)

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T")


def camelize(value, *, keep_keys_of: frozenset = frozenset({"jsonLd"})):
    """REST's snake_case keys -> graphene's camelCase; values untouched (JSON-LD keys are schema.org's own)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            camel = to_camel_case(key)
            out[camel] = item if camel in keep_keys_of else camelize(item, keep_keys_of=keep_keys_of)
        return out
    if isinstance(value, list):
        return [camelize(v, keep_keys_of=keep_keys_of) for v in value]
    return value


def normalise(value):
    """Datetimes as instants (DRF renders them in TIME_ZONE, graphene in UTC: same instant, other text)."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str) and _DATETIME.match(value):
        parsed = parse_datetime(value)
        if parsed is not None:
            return parsed
    return value
