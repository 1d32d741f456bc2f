"""Gift links: a subscriber shares one article with readers who have no access.

A link is created by a reader with a live subscription (a trial too, unless GIFT_LINKS_FOR_TRIAL is off), at most
GIFT_LINKS_PER_MONTH a calendar month (TIME_ZONE); it is valid GIFT_LINK_DAYS days and opens its article for at most
GIFT_LINK_REDEMPTIONS distinct recipients (reader keys, as the meter's). The token is `<random id>:<HMAC>` made by
Django's `signing.Signer` with SECRET_KEY and a salt of its own: a forged or altered token is `invalid`, never a
500, and the random id (16 bytes) cannot be guessed.

Whether a token opens an article is asked by the paywall's one ladder (`access._decide`, the `gift` rung after
`author`): `gift_pass_check` reads the link (no write), `gift_redeem` records the recipient when the ladder reaches
the rung on a detail read. Limits hold under concurrency:
- the monthly allowance: the giver's user row is locked (SELECT ... FOR UPDATE) while the month's links are counted
  and the new one inserted, so two requests at once are serialised;
- a link's redemptions: a conditional UPDATE (`redemptions < redemptions_max`, not revoked, not expired) raises
  the counter, and the recipient's row is unique per link, so a recipient re-opening the link (even twice at once)
  never uses a second redemption.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from cms.core.exceptions import ApplicationError, NotFound, PermissionDenied

from ..models import GiftLink, GiftRedemption
from ..readers import Reader
from ..selectors import subscription_entitlement_get
from .errors import PaywallErrorCode

_SALT = "masthead.paywall.gift"
TOKEN_MAX_LENGTH = 200

OK, INVALID, EXPIRED, EXHAUSTED, REVOKED = "ok", "invalid", "expired", "exhausted", "revoked"
UNREDEEMED = "unredeemed"  # a look (HEAD) by a reader who has not redeemed the link: not opened, nothing to say
GIFT_MESSAGES = {
    INVALID: "This gift link is not valid for this article.",
    EXPIRED: "This gift link has expired.",
    EXHAUSTED: "This gift link has been used by as many readers as it allows.",
    REVOKED: "This gift link was withdrawn by the subscriber who shared it.",
}


class GiftLimitReached(ApplicationError):
    """429: the giver used this month's allowance; `renews_at` (start of next local month), `retry_after` seconds."""

    status_code = 429

    def __init__(self, *, renews_at: datetime, now: datetime):
        retry_after = max(1, math.ceil((renews_at - now).total_seconds()))
        super().__init__(
            f"You have shared {settings.GIFT_LINKS_PER_MONTH} gift links this month; "
            f"more from {renews_at:%B} {renews_at.day}.",
            code=PaywallErrorCode.GIFT_LIMIT_REACHED,
            extra={"renews_at": renews_at.isoformat(), "retry_after": retry_after},
        )
        self.renews_at, self.retry_after = renews_at, retry_after


@dataclass(frozen=True)
class GiftPass:
    """What a gift token says for one article: `status` (OK, or why it does not open it) and the link's id."""

    status: str
    link_id: int | None = None
    giver_id: int | None = None

    @property
    def opened(self) -> bool:
        return self.status == OK


def gift_token_issue(token_id: str) -> str:
    return signing.Signer(salt=_SALT).sign(token_id)


def gift_token_read(token: str | None) -> str | None:
    """The random id inside a well-signed token, or None (missing, too long, altered, forged)."""
    if not token or len(token) > TOKEN_MAX_LENGTH or not token.isprintable():
        return None
    try:
        return signing.Signer(salt=_SALT).unsign(token)
    except signing.BadSignature:
        return None


def _month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The local calendar month around `now`: (its first instant, the next month's first instant), aware."""
    local = timezone.localtime(now)
    following = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return timezone.make_aware(datetime(local.year, local.month, 1)), timezone.make_aware(datetime(*following, 1))


def gift_giver_check(*, user, now: datetime) -> None:
    """403 unless the reader may give: a live subscription (a trial only with GIFT_LINKS_FOR_TRIAL)."""
    entitlement = subscription_entitlement_get(user=user, now=now)
    allowed = entitlement is not None and (entitlement.kind != "trial" or settings.GIFT_LINKS_FOR_TRIAL)
    if not allowed:
        raise PermissionDenied(
            "Only subscribers can share gift links."
            if entitlement is None
            else "Readers on a trial cannot share gift links.",
            code=PaywallErrorCode.GIFT_NOT_ALLOWED,
        )


def gift_link_create(*, user, article, now: datetime | None = None) -> GiftLink:
    """Create a gift link of `article` for `user` (403 `gift_not_allowed`, 429 `gift_limit_reached`).

    Locking: the giver's user row, for the transaction, so concurrent creations by one giver are counted one after
    the other and never exceed GIFT_LINKS_PER_MONTH."""
    backdated = now is not None  # tests and imports pass the time of creation
    now = now or timezone.now()
    gift_giver_check(user=user, now=now)
    month_start, renews_at = _month_bounds(now)
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
        used = GiftLink.objects.filter(giver_id=user.pk, created_at__gte=month_start).count()
        if used >= settings.GIFT_LINKS_PER_MONTH:
            raise GiftLimitReached(renews_at=renews_at, now=now)
        link = GiftLink(
            giver_id=user.pk,
            article=article,
            token_id=secrets.token_urlsafe(16),
            expires_at=now + timedelta(days=settings.GIFT_LINK_DAYS),
            redemptions_max=settings.GIFT_LINK_REDEMPTIONS,
        )
        link.save(force_insert=True)
        if backdated:  # created_at is the clock's (auto_now_add): the month counts by the time the caller passed
            GiftLink.objects.filter(pk=link.pk).update(created_at=now)
            link.created_at = now
    return link


def gift_link_token(link: GiftLink) -> str:
    return gift_token_issue(link.token_id)


def gift_link_revoke(*, link_id: int, user=None, now: datetime | None = None) -> GiftLink:
    """Withdraw a link: the giver's own (`user`), or any link for staff (`user=None`). Idempotent: revoking a
    revoked link keeps its first revocation time. 404 for another reader's link."""
    now = now or timezone.now()
    links = GiftLink.objects.all() if user is None else GiftLink.objects.filter(giver_id=user.pk)
    link = links.filter(pk=link_id).first()
    if link is None:
        raise NotFound("No such gift link.", code=PaywallErrorCode.GIFT_NOT_FOUND)
    if GiftLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=now):
        link.revoked_at = now
    else:
        link.refresh_from_db(fields=["revoked_at"])
    return link


def gift_pass_check(*, token: str | None, article, now: datetime) -> GiftPass:
    """What the token says for this article, read only (redemptions are checked by `gift_redeem`)."""
    token_id = gift_token_read(token)
    if token_id is None:
        return GiftPass(INVALID)
    row = (
        GiftLink.objects.filter(token_id=token_id)
        .values("pk", "giver_id", "article_id", "expires_at", "revoked_at")
        .first()
    )
    if row is None or row["article_id"] != article.pk:  # a gift opens its own article, never another one
        return GiftPass(INVALID)
    status = REVOKED if row["revoked_at"] is not None else EXPIRED if row["expires_at"] <= now else OK
    return GiftPass(status, row["pk"], row["giver_id"])


def gift_redeem(*, gift: GiftPass, reader: Reader, now: datetime, record: bool) -> GiftPass:
    """Let this reader in with the link, if it still opens: a recipient who already redeemed it is let in again
    without using a redemption; a new one uses one (only when `record`, a detail read; a look such as HEAD lets in
    only readers who redeemed it before). The giver never uses their own link. EXHAUSTED when no redemption is left.

    Concurrency: a conditional UPDATE raises the link's counter only below its maximum (and while not revoked or
    expired), in the same transaction as the recipient's unique row; a concurrent duplicate of one recipient fails
    on that row, its transaction (and its increment) is rolled back, and it is let in like a re-opening."""
    if not gift.opened or not (reader.user or reader.anon_id):
        return gift if not gift.opened else replace(gift, status=INVALID)
    if reader.user is not None and reader.user.pk == gift.giver_id:
        return replace(gift, status=INVALID)
    key = reader.key
    if GiftRedemption.objects.filter(link_id=gift.link_id, reader_key=key).exists():
        return gift
    if not record:
        return replace(gift, status=_state_now(gift.link_id, now) or UNREDEEMED)
    try:
        with transaction.atomic():
            raised = GiftLink.objects.filter(
                pk=gift.link_id,
                redemptions__lt=F("redemptions_max"),
                revoked_at__isnull=True,
                expires_at__gt=now,
            ).update(redemptions=F("redemptions") + 1)
            if not raised:
                return replace(gift, status=_state_now(gift.link_id, now) or EXHAUSTED)
            GiftRedemption.objects.create(link_id=gift.link_id, reader_key=key)
    except IntegrityError:  # the same recipient, redeemed by a concurrent request
        pass
    return gift


def _state_now(link_id: int, now: datetime) -> str | None:
    """REVOKED or EXPIRED when that is why the link did not open (changed since `gift_pass_check`), else None."""
    row = GiftLink.objects.filter(pk=link_id).values("revoked_at", "expires_at").first()
    if row is None or row["revoked_at"] is not None:
        return REVOKED
    return EXPIRED if row["expires_at"] <= now else None


def gift_redemptions_merge(*, anon_id: str, user) -> int:
    """An anonymous recipient signed in or registered: the links they opened stay opened for the account, without
    another redemption (those the account had already redeemed keep the account's row)."""
    account = f"u:{user.pk}"
    already = GiftRedemption.objects.filter(reader_key=account).values("link_id")
    try:
        with transaction.atomic():
            return (
                GiftRedemption.objects.filter(reader_key=f"a:{anon_id}")
                .exclude(link_id__in=already)
                .update(reader_key=account)
            )
    except IntegrityError:  # the account redeemed one of them at this very moment: it keeps its own row
        return 0
