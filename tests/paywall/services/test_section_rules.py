"""Section rules, applied inside the one ladder: a section always premium, never metered, or with its own allowance
counted apart from the main one; for one article, for lists (constant queries) and over HTTP."""

import pytest

from paywall.models import MeterRead, SectionMeterRule
from paywall.readers import Reader, reader_token_issue
from paywall.selectors import policy_book
from paywall.services import access_decide, access_decide_many, meter_merge, meter_policy_update
from tests.accounts.factories import UserFactory
from tests.articles.factories import ArticleFactory, SectionFactory
from tests.paywall.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db

Mode = SectionMeterRule.Mode


def _anonymous() -> Reader:
    return Reader(anon_id=reader_token_issue()[0])


def _section(mode: str, **limits):
    section = SectionFactory()
    SectionMeterRule.objects.create(section=section, mode=mode, **limits)
    return section


def test_a_premium_section_refuses_its_metered_articles_but_not_subscribers():
    section = _section(Mode.PREMIUM)
    article = ArticleFactory(section=section)
    decision = access_decide(reader=_anonymous(), article=article, record=True)
    assert (decision.granted, decision.reason, decision.paywall_code) == (False, "premium", "premium")
    subscriber = UserFactory()
    SubscriptionFactory(user=subscriber)
    assert access_decide(reader=Reader(user=subscriber), article=article, record=True).reason == "subscriber"
    assert not MeterRead.objects.exists()


def test_an_unmetered_section_is_free_even_past_the_allowance():
    meter_policy_update(anonymous_limit=0)
    article = ArticleFactory(section=_section(Mode.UNMETERED))
    decision = access_decide(reader=_anonymous(), article=article, record=True)
    assert (decision.granted, decision.reason, decision.counted) == (True, "free", False)
    assert not MeterRead.objects.exists()


def test_a_rule_leaves_articles_marked_free_or_premium_alone():
    section = _section(Mode.UNMETERED)
    premium = ArticleFactory(section=section, access_level="premium")
    assert access_decide(reader=_anonymous(), article=premium, record=True).reason == "premium"


def test_an_own_allowance_is_counted_apart_from_the_main_one():
    # given a main allowance of 2 and a section with its own allowance of 1 for anonymous readers
    meter_policy_update(anonymous_limit=2)
    section = _section(Mode.OWN, anonymous_limit=1, registered_limit=4)
    inside = ArticleFactory.create_batch(2, section=section)
    outside = ArticleFactory.create_batch(3)
    reader = _anonymous()
    # when the reader reads in the section: its own bucket
    first = access_decide(reader=reader, article=inside[0], record=True)
    assert (first.granted, first.limit, first.reads_left) == (True, 1, 0)
    refused = access_decide(reader=reader, article=inside[1], record=True)
    assert (refused.granted, refused.reason, refused.limit) == (False, "meter_exhausted", 1)
    # then the main allowance is untouched
    assert [access_decide(reader=reader, article=a, record=True).granted for a in outside] == [True, True, False]
    assert MeterRead.objects.filter(reader_key=f"{reader.key}#s{section.pk}").count() == 1
    assert MeterRead.objects.filter(reader_key=reader.key).count() == 2
    # and a registered reader has the section's registered allowance
    registered = access_decide(reader=Reader(user=UserFactory()), article=inside[1], record=True)
    assert (registered.granted, registered.limit, registered.reads_left) == (True, 4, 3)


def test_an_own_allowance_left_empty_is_the_main_allowance_counted_apart():
    meter_policy_update(anonymous_limit=1)
    section = _section(Mode.OWN)
    reader = _anonymous()
    assert access_decide(reader=reader, article=ArticleFactory(section=section), record=True).limit == 1
    assert access_decide(reader=reader, article=ArticleFactory(), record=True).granted  # the main one is apart


def test_lists_apply_the_rules_in_constant_queries(django_assert_max_num_queries):
    meter_policy_update(anonymous_limit=1)
    own = _section(Mode.OWN, anonymous_limit=1)
    premium, unmetered = _section(Mode.PREMIUM), _section(Mode.UNMETERED)
    reader = _anonymous()
    read_in_own = ArticleFactory(section=own)
    access_decide(reader=reader, article=read_in_own, record=True)
    policy_book()  # warm: the policies are one cache read, not a query

    def decisions(n: int):
        articles = [read_in_own]
        for _ in range(n):
            articles += [
                ArticleFactory(section=own),
                ArticleFactory(section=premium),
                ArticleFactory(section=unmetered),
                ArticleFactory(),
            ]
        with django_assert_max_num_queries(2):  # the buckets' use, the articles read (no author lookup: anonymous)
            return articles, access_decide_many(reader=reader, articles=articles)

    small = decisions(1)
    articles, many = decisions(8)
    assert len(many) == len(articles) == 33
    got = {a.section_id: (many[a.pk].reason, many[a.pk].granted) for a in articles[1:5]}
    assert got == {
        own.pk: ("meter_exhausted", False),
        premium.pk: ("premium", False),
        unmetered.pk: ("free", True),
        articles[4].section_id: ("metered", False),  # would count: the main allowance is untouched
    }
    assert many[read_in_own.pk].reason == small[1][read_in_own.pk].reason == "already_read"


def test_the_merge_moves_a_section_bucket_too():
    meter_policy_update(anonymous_limit=3)
    section = _section(Mode.OWN, anonymous_limit=1, registered_limit=2)
    reader = _anonymous()
    access_decide(reader=reader, article=ArticleFactory(section=section), record=True)
    user = UserFactory()
    assert meter_merge(anon_id=reader.anon_id, user=user) == 1
    decision = access_decide(reader=Reader(user=user), article=ArticleFactory(section=section), record=True)
    assert (decision.granted, decision.reads_left) == (True, 0)
    assert not MeterRead.objects.filter(reader_key__startswith="a:").exists()


def test_a_premium_section_over_http(api_client):
    article = ArticleFactory(section=_section(Mode.PREMIUM))
    body = api_client.get(f"/api/v1/articles/{article.slug}/").json()
    assert body["access"]["reason"] == "premium" and body["paywall"]["code"] == "premium"
