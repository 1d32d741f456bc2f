"""Ghost ids are 24 lowercase hex characters (MongoDB ObjectIds); Masthead's are integers.

`<kind digit><the pk in 23 zero-padded lowercase hex digits>`: the first digit says which table the id belongs to,
so ids never collide across resources, and sections and tags (both Ghost tags) get distinct id spaces.
`uuid` is a UUID5 of the resource kind and pk: stable across runs and databases.
"""

from __future__ import annotations

import re
import uuid

POST, PAGE, AUTHOR, SECTION, TAG, TIER = "1", "2", "3", "4", "5", "6"
_KIND_NAMES = {POST: "post", PAGE: "page", AUTHOR: "author", SECTION: "section", TAG: "tag", TIER: "tier"}
_ID = re.compile(r"[0-9a-f]{24}")
_NAMESPACE = uuid.UUID("6d61737468656164b0a7c0ffee15ab1e")  # fixed: uuids stay stable forever


class MalformedId(ValueError):
    """Not a Ghost id at all (the views answer 422 ValidationError)."""


def ghost_id(kind: str, pk: int) -> str:
    return f"{kind}{int(pk):023x}"


def ghost_id_parse(value: str) -> tuple[str, int]:
    """(kind digit, pk) of a well-formed id; raises MalformedId otherwise. An unknown kind digit parses (its
    lookup simply finds nothing: 404)."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise MalformedId(value)
    return value[0], int(value[1:], 16)


def ghost_pk(kind: str, value: str) -> int | None:
    """The pk of an id of `kind`, None for a well-formed id of another kind; raises MalformedId."""
    parsed_kind, pk = ghost_id_parse(value)
    if parsed_kind != kind or pk > 2**63 - 1:
        return None
    return pk


def ghost_uuid(kind: str, pk: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{_KIND_NAMES.get(kind, kind)}:{pk}"))
