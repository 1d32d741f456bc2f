"""The comment rules, exercised through the services: policy, moderation, limits, duplicates, flags, bans, counter."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from articles.models import Article
from cms.core.exceptions import ApplicationError, NotFound, PermissionDenied
from comments.demo import demo_comments_ensure
from comments.models import Comment, CommentFlag
from comments.services import (
    LOGIN_MESSAGE,
    CommentViewer,
    comment_ban_create,
    comment_ban_lift,
    comment_count_recount,
    comment_create,
    comment_delete,
    comment_edit,
    comment_flag,
    comment_moderate,
    comment_render,
    comments_check_post,
    comments_check_see,
    comments_moderate,
)
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _count(article: Article) -> int:
    article.refresh_from_db(fields=["comment_count"])
    return article.comment_count


# --- policy -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "has_user", "see", "post"),
    [
        ("anonymous", False, 401, 401),
        ("registered", True, None, 403),
        ("trial", True, None, None),
        ("subscriber", True, None, None),
        ("staff", True, None, None),
    ],
)
def test_default_policy_matrix(kind, has_user, see, post, reader):
    viewer = CommentViewer(user=reader if has_user else None, reader_kind=kind, can_read_article=True)

    def outcome(check):
        try:
            check(viewer=viewer)
        except ApplicationError as exc:
            return exc.status_code
        return None

    assert outcome(comments_check_see) == see
    assert outcome(comments_check_post) == post


def test_anonymous_gets_the_reference_message():
    with pytest.raises(ApplicationError) as exc:
        comments_check_see(viewer=CommentViewer(user=None, reader_kind="anonymous", can_read_article=True))
    assert exc.value.message == "You must become a subscriber or login to view or post comments on this article."
    assert exc.value.message == LOGIN_MESSAGE
    assert exc.value.code == "login_required"


def test_policy_settings_are_honoured(settings, reader):
    registered = CommentViewer(user=reader, reader_kind="registered", can_read_article=True)
    settings.COMMENTS_POST_POLICY = "registered"
    comments_check_post(viewer=registered)
    settings.COMMENTS_SEE_POLICY = "subscribers"
    with pytest.raises(PermissionDenied):
        comments_check_see(viewer=registered)
    settings.COMMENTS_SEE_POLICY = "anyone"
    comments_check_see(viewer=CommentViewer(user=None, reader_kind="anonymous", can_read_article=True))


def test_comments_of_an_unreadable_article_are_not_shown(reader):
    viewer = CommentViewer(user=reader, reader_kind="registered", can_read_article=False)
    with pytest.raises(PermissionDenied) as exc:
        comments_check_see(viewer=viewer)
    assert exc.value.code == "article_locked"


def test_viewer_comes_from_the_paywall_without_counting(article, premium_article, reader, commenter, viewer_for):
    from paywall.models import MeterRead

    registered = viewer_for(reader, article)
    assert (registered.reader_kind, registered.can_read_article) == ("registered", True)
    assert viewer_for(reader, premium_article).can_read_article is False
    assert viewer_for(commenter, premium_article).reader_kind == "subscriber"
    assert MeterRead.objects.count() == 0


# --- posting and rendering --------------------------------------------------------------------------------------------


def test_create_sets_author_status_and_counter(article, commenter, viewer_for):
    comment, created = comment_create(viewer=viewer_for(commenter, article), article=article, body="  Hello\n\nWorld ")
    assert created
    assert comment.author == commenter
    assert comment.status == Comment.Status.VISIBLE
    assert comment.body == "Hello\n\nWorld"
    assert comment.body_html == "<p>Hello</p>\n\n<p>World</p>"
    assert comment.is_staff_reply is False
    assert _count(article) == 1


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">click</a>',
        '"><svg onload=alert(1)>',
        "javascript:alert(1)",
    ],
)
def test_markup_is_kept_as_text_and_rendered_inert(payload):
    import re

    html = comment_render(payload)
    # the only tags are the ones the renderer writes itself: paragraphs, line breaks and nofollow links
    leftover = re.sub(r'</?p>|<br>|<a rel="nofollow ugc" href="https?://[^"<>]*">|</a>', "", html)
    assert "<" not in leftover and ">" not in leftover.replace("&gt;", "")
    assert 'href="javascript' not in html
    assert "&lt;" in html or "<a" not in html


def test_links_are_nofollow_ugc():
    html = comment_render("See https://example.com/report?a=1&b=2 for more")
    assert '<a rel="nofollow ugc" href="https://example.com/report?a=1&amp;b=2">' in html


def test_body_is_validated(article, commenter, viewer_for):
    viewer = viewer_for(commenter, article)
    for body, code in (("", "required"), ("   \n ", "required"), ("x" * 5001, "too_long")):
        with pytest.raises(ApplicationError) as exc:
            comment_create(viewer=viewer, article=article, body=body)
        assert (exc.value.field, exc.value.code) == ("body", code)
    comment, _ = comment_create(viewer=viewer, article=article, body="y" * 5000)
    assert len(comment.body) == 5000


def test_replies_thread_to_a_fixed_depth(article, commenter, viewer_for, settings):
    viewer = viewer_for(commenter, article)
    parent = None
    chain = []
    for n in range(5):
        comment, _ = comment_create(
            viewer=viewer, article=article, body=f"level {n}", parent_id=parent.pk if parent else None
        )
        chain.append(comment)
        parent = comment
    assert [c.depth for c in chain] == [0, 1, 2, 3, 3]
    assert all(c.root_id == chain[0].pk for c in chain[1:])
    assert chain[4].parent_id == chain[2].pk  # a reply to the deepest level joins it as a sibling


def test_reply_to_a_comment_of_another_article_is_refused(article, commenter, viewer_for, seed_comment):
    from tests.articles.factories import ArticleFactory

    other = seed_comment(ArticleFactory(), commenter)
    with pytest.raises(ApplicationError) as exc:
        comment_create(viewer=viewer_for(commenter, article), article=article, body="hi", parent_id=other.pk)
    assert exc.value.field == "parent"


def test_staff_comments_are_marked_and_skip_moderation(article, editor, viewer_for, settings):
    settings.COMMENTS_BLOCKED_WORDS = ["spam"]
    comment, _ = comment_create(viewer=viewer_for(editor, article), article=article, body="spam http://x.example")
    assert comment.is_staff_reply is True
    assert comment.status == Comment.Status.VISIBLE


# --- moderation -------------------------------------------------------------------------------------------------------


def test_blocked_words_and_links_go_to_pending(article, commenter, viewer_for, settings):
    settings.COMMENTS_BLOCKED_WORDS = ["viagra", "scam coin"]
    viewer = viewer_for(commenter, article)
    held, _ = comment_create(viewer=viewer, article=article, body="Buy VIAGRA now")
    assert (held.status, held.moderation_reason) == ("pending", "blocked_word")
    held2, _ = comment_create(viewer=viewer, article=article, body="Try Scam Coin today")
    assert held2.status == "pending"
    ok, _ = comment_create(viewer=viewer, article=article, body="Viagrafalls is a place")  # not a whole word
    assert ok.status == "visible"
    link, _ = comment_create(viewer=viewer, article=article, body="read www.example.com please")
    assert (link.status, link.moderation_reason) == ("pending", "link")
    assert _count(article) == 1


def test_links_allowed_when_hold_links_is_off(article, commenter, viewer_for, settings):
    settings.COMMENTS_HOLD_LINKS = False
    comment, _ = comment_create(viewer=viewer_for(commenter, article), article=article, body="https://example.com")
    assert comment.status == "visible"


def test_new_authors_need_approved_comments(article, commenter, viewer_for, settings, editor):
    settings.COMMENTS_MIN_APPROVED = 1
    viewer = viewer_for(commenter, article)
    first, _ = comment_create(viewer=viewer, article=article, body="My first comment")
    assert (first.status, first.moderation_reason) == ("pending", "new_author")
    comment_moderate(comment_id=first.pk, action="approve", moderator=editor)
    second, _ = comment_create(viewer=viewer, article=article, body="My second comment")
    assert second.status == "visible"
    assert _count(article) == 2


def test_moderation_actions_keep_the_counter(article, commenter, editor, seed_comment):
    comments = [seed_comment(article, commenter, body=f"c{n}") for n in range(3)]
    assert _count(article) == 3
    assert comments_moderate(comment_ids=[c.pk for c in comments[:2]], action="hide", moderator=editor) == 2
    assert _count(article) == 1
    comments_moderate(comment_ids=[comments[0].pk], action="hide", moderator=editor)  # idempotent
    assert _count(article) == 1
    comment_moderate(comment_id=comments[0].pk, action="approve", moderator=editor)
    comment_moderate(comment_id=comments[2].pk, action="remove", moderator=editor)
    assert _count(article) == 1
    assert comment_count_recount(article_id=article.pk) == 1


def test_only_editors_moderate(article, commenter, reader, contributor, seed_comment):
    comment = seed_comment(article, commenter)
    for user in (reader, contributor, None):
        with pytest.raises(PermissionDenied):
            comment_moderate(comment_id=comment.pk, action="hide", moderator=user)
    comment.refresh_from_db()
    assert comment.status == "visible"


# --- edit and delete --------------------------------------------------------------------------------------------------


def test_edit_own_comment_within_window(article, commenter, viewer_for, settings):
    viewer = viewer_for(commenter, article)
    comment, _ = comment_create(viewer=viewer, article=article, body="Frist")
    edited = comment_edit(viewer=viewer, comment_id=comment.pk, body="First <b>edit</b>")
    assert edited.body == "First <b>edit</b>"
    assert edited.body_html == "<p>First &lt;b&gt;edit&lt;/b&gt;</p>"
    assert edited.edited_at is not None
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    with pytest.raises(PermissionDenied) as exc:
        comment_edit(viewer=viewer, comment_id=comment.pk, body="too late")
    assert exc.value.code == "edit_window_closed"
    settings.COMMENTS_EDIT_WINDOW_MINUTES = 30
    comment_edit(viewer=viewer, comment_id=comment.pk, body="in the longer window")


def test_edit_adding_a_link_sends_the_comment_back_to_review(article, commenter, viewer_for):
    viewer = viewer_for(commenter, article)
    comment, _ = comment_create(viewer=viewer, article=article, body="plain")
    assert _count(article) == 1
    edited = comment_edit(viewer=viewer, comment_id=comment.pk, body="now with https://spam.example")
    assert edited.status == "pending"
    assert _count(article) == 0


def test_cannot_edit_or_delete_someone_elses_comment(article, commenter, trial_reader, viewer_for, seed_comment):
    comment = seed_comment(article, commenter, body="original")
    attacker = viewer_for(trial_reader, article)
    with pytest.raises(PermissionDenied) as exc:
        comment_edit(viewer=attacker, comment_id=comment.pk, body="defaced")
    assert exc.value.code == "not_author"
    with pytest.raises(PermissionDenied):
        comment_delete(viewer=attacker, comment_id=comment.pk)
    comment.refresh_from_db()
    assert (comment.body, comment.status) == ("original", "visible")


def test_someone_elses_pending_comment_does_not_exist(article, commenter, trial_reader, viewer_for, seed_comment):
    comment = seed_comment(article, commenter, status=Comment.Status.PENDING)
    with pytest.raises(NotFound):
        comment_edit(viewer=viewer_for(trial_reader, article), comment_id=comment.pk, body="x")


def test_delete_own_comment_withdraws_it(article, commenter, viewer_for):
    viewer = viewer_for(commenter, article)
    comment, _ = comment_create(viewer=viewer, article=article, body="oops")
    comment_delete(viewer=viewer, comment_id=comment.pk)
    comment.refresh_from_db()
    assert comment.status == "removed"
    assert _count(article) == 0
    with pytest.raises(PermissionDenied):
        comment_delete(viewer=viewer, comment_id=comment.pk)
    assert _count(article) == 0


# --- rate limits and duplicates ---------------------------------------------------------------------------------------


def test_rate_limit_per_minute_and_day(article, commenter, viewer_for, settings):
    settings.COMMENTS_RATE_PER_MINUTE = 2
    settings.COMMENTS_RATE_PER_DAY = 3
    viewer = viewer_for(commenter, article)
    comment_create(viewer=viewer, article=article, body="one")
    comment_create(viewer=viewer, article=article, body="two")
    with pytest.raises(ApplicationError) as exc:
        comment_create(viewer=viewer, article=article, body="three")
    assert (exc.value.status_code, exc.value.code) == (429, "rate_limited")
    Comment.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    comment_create(viewer=viewer, article=article, body="three")
    with pytest.raises(ApplicationError) as exc:
        comment_create(viewer=viewer, article=article, body="four")
    assert exc.value.status_code == 429
    assert Comment.objects.count() == 3


def test_identical_body_within_a_minute_returns_the_first(article, commenter, viewer_for):
    viewer = viewer_for(commenter, article)
    first, created = comment_create(viewer=viewer, article=article, body="Double tap")
    again, created_again = comment_create(viewer=viewer, article=article, body="Double tap ")
    assert created and not created_again
    assert again.pk == first.pk
    Comment.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(seconds=61))
    later, created_later = comment_create(viewer=viewer, article=article, body="Double tap")
    assert created_later and later.pk != first.pk
    assert _count(article) == 2


def test_idempotency_key_returns_the_first(article, commenter, viewer_for, trial_reader):
    viewer = viewer_for(commenter, article)
    first, _ = comment_create(viewer=viewer, article=article, body="one", idempotency_key="k-1")
    again, created = comment_create(viewer=viewer, article=article, body="different text", idempotency_key="k-1")
    assert not created and again.pk == first.pk
    # keys are per reader
    other, created = comment_create(
        viewer=viewer_for(trial_reader, article), article=article, body="one", idempotency_key="k-1"
    )
    assert created and other.pk != first.pk


# --- flags ------------------------------------------------------------------------------------------------------------


def test_flags_once_per_reader_and_auto_hide(article, commenter, viewer_for, seed_comment, settings, editor):
    settings.COMMENTS_FLAG_THRESHOLD = 2
    comment = seed_comment(article, commenter)
    a, b = UserFactory(), UserFactory()
    _, created = comment_flag(viewer=viewer_for(a, article), comment_id=comment.pk, reason="rude")
    assert created
    _, created = comment_flag(viewer=viewer_for(a, article), comment_id=comment.pk)
    assert not created
    comment.refresh_from_db()
    assert (comment.flag_count, comment.status) == (1, "visible")
    comment_flag(viewer=viewer_for(b, article), comment_id=comment.pk)
    comment.refresh_from_db()
    assert (comment.flag_count, comment.status, comment.moderation_reason) == (2, "hidden", "flags")
    assert _count(article) == 0
    # a repeat by a reader who already flagged it stays a no-op even though it is hidden now
    assert comment_flag(viewer=viewer_for(b, article), comment_id=comment.pk)[1] is False
    # an editor's approval sticks: one more flag does not hide it again
    comment_moderate(comment_id=comment.pk, action="approve", moderator=editor)
    comment_flag(viewer=viewer_for(UserFactory(), article), comment_id=comment.pk)
    comment.refresh_from_db()
    assert comment.status == "visible"
    assert CommentFlag.objects.filter(comment=comment).count() == 3


def test_cannot_flag_own_comment(article, commenter, viewer_for, seed_comment):
    comment = seed_comment(article, commenter)
    with pytest.raises(ApplicationError) as exc:
        comment_flag(viewer=viewer_for(commenter, article), comment_id=comment.pk)
    assert exc.value.code == "own_comment"


# --- bans -------------------------------------------------------------------------------------------------------------


def test_ban_blocks_posting_until_it_ends(article, commenter, viewer_for, editor):
    viewer = viewer_for(commenter, article)
    ban = comment_ban_create(user=commenter, by=editor, ends_at=timezone.now() + timedelta(days=1))
    with pytest.raises(PermissionDenied) as exc:
        comment_create(viewer=viewer, article=article, body="let me in")
    assert exc.value.code == "banned"
    assert comment_ban_lift(ban_id=ban.pk) == 1
    comment_create(viewer=viewer, article=article, body="let me in")


def test_permanent_ban_and_validation(article, commenter, viewer_for, editor):
    comment_ban_create(user=commenter, by=editor)
    with pytest.raises(PermissionDenied):
        comment_create(viewer=viewer_for(commenter, article), article=article, body="hello")
    with pytest.raises(ApplicationError):
        comment_ban_create(user=commenter, ends_at=timezone.now() - timedelta(days=1))
    with pytest.raises(ApplicationError):
        comment_ban_create(user=editor)


# --- deleted accounts and demo ----------------------------------------------------------------------------------------


def test_deleted_reader_comments_stay(article, seed_comment):
    user = UserFactory(display_name="Soon Gone")
    comment = seed_comment(article, user)
    user.delete()
    comment.refresh_from_db()
    assert comment.author is None
    assert comment.author_name == "Deleted reader"
    assert _count(article) == 1


def test_author_name_never_shows_the_email(article, seed_comment):
    user = UserFactory(display_name="")
    assert seed_comment(article, user).author_name == "Reader"


def test_demo_comments_are_idempotent(article, commenter, editor):
    first = demo_comments_ensure(article=article, subscriber=commenter, editor=editor)
    second = demo_comments_ensure(article=article, subscriber=commenter, editor=editor)
    assert [c.pk for c in first] == [c.pk for c in second]
    comment, reply = first
    assert reply.parent_id == comment.pk and reply.is_staff_reply
    assert Comment.objects.count() == 2
    assert _count(article) == 2


def _imports(path) -> set[str]:
    """The absolute names of the modules `path` (a file of the comments app) imports, relative imports resolved."""
    import ast

    import comments

    package = list(path.relative_to(Path(comments.__file__).parent.parent).parent.parts)
    tree = ast.parse(path.read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            imported.add(".".join([*base, *([node.module] if node.module else [])]))
    return imported


EDGES = ("articles.api", "accounts.api", "paywall.api", "comments.api")


def test_comment_domain_code_never_imports_paywall():
    """Dependencies point one way: only the edges (api/, graphql/, through `comments.viewers`) combine comments and
    the paywall; the domain modules never import the paywall, the viewer adapter or an edge."""
    import comments

    root = Path(comments.__file__).parent
    domain = [
        p
        for p in root.rglob("*.py")
        if not {"api", "graphql", "migrations"} & set(p.relative_to(root).parts) and p.name != "viewers.py"
    ]
    assert len(domain) >= 10
    for path in domain:
        for module in _imports(path):
            assert module.split(".")[0] != "paywall", path
            assert module != "comments.viewers", path
            assert not module.startswith(EDGES) and ".graphql" not in module, (path, module)


def test_comment_edges_never_import_each_other():
    """REST and GraphQL share domain modules, never each other's."""
    import comments

    root = Path(comments.__file__).parent
    for path in (root / "api").glob("*.py"):
        assert not any(".graphql" in module for module in _imports(path)), path
    for path in (root / "graphql").glob("*.py"):
        assert not any(module.startswith(EDGES) for module in _imports(path)), path
