"""The decision ladder is written once: `access_decide` (one article) and `access_decide_many` (a list) must give the
same decision, field for field, for every kind of reader and every access level."""

from __future__ import annotations

import pytest

from articles.models import Article, ArticleAuthor
from paywall.readers import Reader, reader_token_issue
from paywall.services import Reason, access_decide, access_decide_many, meter_policy_update
from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory, AuthorFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("meter_implementation")]
LEVELS = list(Article.AccessLevel)


def _anonymous(**_) -> Reader:
    return Reader(anon_id=reader_token_issue()[0])


def _anonymous_without_id(**_) -> Reader:
    return Reader()


def _registered(**_) -> Reader:
    return Reader(user=UserFactory())


def _registered_who_read_it(*, articles, **_) -> Reader:
    reader = Reader(user=UserFactory())
    access_decide(reader=reader, article=articles[Article.AccessLevel.METERED], record=True)
    return reader


def _registered_exhausted(**_) -> Reader:
    reader = Reader(user=UserFactory())
    for article in ArticleFactory.create_batch(5):
        access_decide(reader=reader, article=article, record=True)
    return reader


def _anonymous_with_some_reads(**_) -> Reader:
    reader = _anonymous()
    access_decide(reader=reader, article=ArticleFactory(), record=True)
    return reader


def _author(*, articles, **_) -> Reader:
    user = UserFactory()
    author = AuthorFactory(user=user)
    for level in (Article.AccessLevel.METERED, Article.AccessLevel.PREMIUM):
        ArticleAuthor.objects.create(article=articles[level], author=author)
    return Reader(user=user)


def _fixture_reader(name):
    def make(*, request, **_) -> Reader:
        return Reader(user=request.getfixturevalue(name))

    return make


def _network_reader(*, request, **_) -> Reader:
    """An anonymous reader whose request came from a live group's network."""
    request.getfixturevalue("live_group")
    return Reader(anon_id=reader_token_issue()[0], client_ip="192.0.2.10")


READERS = {
    "anonymous": _anonymous,
    "anonymous with reads": _anonymous_with_some_reads,
    "anonymous without id": _anonymous_without_id,
    "registered": _registered,
    "registered who read it": _registered_who_read_it,
    "registered, exhausted": _registered_exhausted,
    "author": _author,
    "trial": _fixture_reader("trial_reader"),
    "subscriber": _fixture_reader("subscriber"),
    "lapsed": _fixture_reader("lapsed_subscriber"),
    "staff": _fixture_reader("editor"),
    "group member": _fixture_reader("group_member"),
    "group network": _network_reader,
}


@pytest.mark.parametrize("kind", list(READERS))
@pytest.mark.parametrize("limits", [(3, 5), (0, 0)], ids=["default limits", "no allowance"])
def test_one_article_and_a_list_decide_alike(request, kind, limits):
    # given one article of each access level and a reader of this kind
    meter_policy_update(anonymous_limit=limits[0], registered_limit=limits[1])
    articles = {level: ArticleFactory(access_level=level) for level in LEVELS}
    reader = READERS[kind](articles=articles, request=request)
    # when the list decides for all of them at once
    many = access_decide_many(reader=reader, articles=list(articles.values()))
    # then each one-article look agrees with it, field for field
    for level, article in articles.items():
        assert access_decide(reader=reader, article=article) == many[article.pk], (kind, level)


def test_the_table_reaches_every_reason_a_look_can_give(request):
    """A guard on the table above: its kinds of reader, with the default limits, meet every rung of the ladder."""
    reasons = set()
    for make in READERS.values():
        articles = {level: ArticleFactory(access_level=level) for level in LEVELS}
        reader = make(articles=articles, request=request)
        reasons |= {d.reason for d in access_decide_many(reader=reader, articles=list(articles.values())).values()}
    every_reason = {value for name, value in vars(Reason).items() if name.isupper()}
    # a preview token is not a kind of reader; a gift token opens one article's detail, never a list
    assert reasons == every_reason - {Reason.PREVIEW, Reason.GIFT}


@pytest.mark.parametrize("kind", list(READERS))
def test_section_rules_walls_and_arms_decide_alike(request, kind):
    """The same, with every section rule, the registration wall and a running experiment's arm (a weekly window)."""
    from datetime import timedelta

    from django.utils import timezone

    from paywall.models import Experiment, ExperimentArm, SectionMeterRule
    from tests.articles.factories import SectionFactory

    meter_policy_update(anonymous_limit=1, registered_limit=2, registration_wall=True)
    experiment = Experiment.objects.create(slug="ladder", name="L", start_at=timezone.now() - timedelta(hours=1))
    ExperimentArm.objects.create(
        experiment=experiment, name="weekly", share=100, is_control=True, window="week", registration_wall=True
    )
    articles = {level: ArticleFactory(access_level=level) for level in LEVELS}
    reader = READERS[kind](articles=articles, request=request)
    ruled = []
    for mode, limits in (("premium", {}), ("unmetered", {}), ("own", {"anonymous_limit": 1, "registered_limit": 1})):
        section = SectionFactory()
        SectionMeterRule.objects.create(section=section, mode=mode, **limits)
        ruled += ArticleFactory.create_batch(2, section=section)
    access_decide(reader=reader, article=ruled[-1], record=True)  # one read in the own section
    many = access_decide_many(reader=reader, articles=[*articles.values(), *ruled])
    for article in [*articles.values(), *ruled]:
        assert access_decide(reader=reader, article=article) == many[article.pk], (kind, article.section_id)
