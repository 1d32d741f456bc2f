"""The NQL parser: every construct Ghost's Content API documents, its errors, and a fuzz that only NQLSyntaxError
ever comes out of it."""

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cms.ghost.nql import And, Comparison, NQLSyntaxError, Or, RelativeDate, parse, tokenize


def c(prop, op, value):
    return Comparison(prop, op, value)


def strip(node):
    """The AST without positions, to compare shapes."""
    if isinstance(node, Comparison):
        return c(node.prop, node.op, node.value)
    return type(node)(tuple(strip(child) for child in node.children))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("slug:hello-world", c("slug", "eq", "hello-world")),
        ("tag:-news", c("tag", "ne", "news")),
        ("tags.slug:[a,b,c]", c("tags.slug", "in", ("a", "b", "c"))),
        ("tags.slug:-[a, b]", c("tags.slug", "nin", ("a", "b"))),
        ("featured:true", c("featured", "eq", True)),
        ("featured:false", c("featured", "eq", False)),
        ("feature_image:null", c("feature_image", "eq", None)),
        ("feature_image:-null", c("feature_image", "ne", None)),
        ("count.posts:>5", c("count.posts", "gt", 5)),
        ("count.posts:>=5", c("count.posts", "gte", 5)),
        ("reading_time:<2.5", c("reading_time", "lt", 2.5)),
        ("reading_time:<=10", c("reading_time", "lte", 10)),
        ("published_at:>now-7d", c("published_at", "gt", RelativeDate(-7, "d"))),
        ("published_at:<now+1h", c("published_at", "lt", RelativeDate(1, "h"))),
        ("published_at:<=now", c("published_at", "lte", RelativeDate(0, "d"))),
        ("published_at:>now-2M", c("published_at", "gt", RelativeDate(-2, "M"))),
        ("published_at:>now-1y", c("published_at", "gt", RelativeDate(-1, "y"))),
        ("published_at:>now-30m", c("published_at", "gt", RelativeDate(-30, "m"))),
        ("published_at:>now-3w", c("published_at", "gt", RelativeDate(-3, "w"))),
        ("published_at:>now-10s", c("published_at", "gt", RelativeDate(-10, "s"))),
        ("published_at:>'2024-01-02 10:00:00'", c("published_at", "gt", "2024-01-02 10:00:00")),
        ("title:~'war'", c("title", "contains", "war")),
        ("title:-~'war'", c("title", "ncontains", "war")),
        ("title:~^'The'", c("title", "startswith", "The")),
        ("title:~$'end'", c("title", "endswith", "end")),
        ("id:100000000000000000000012", c("id", "eq", 100000000000000000000012)),
    ],
)
def test_single_conditions(text, expected):
    assert strip(parse(text)) == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("'It\\'s here, (really) + more'", "It's here, (really) + more"),
        ('"double quoted"', "double quoted"),
        ("'true'", "true"),
        ("'null'", "null"),
        ("5f3c1a2b3c4d5e6f7a8b9c0d", "5f3c1a2b3c4d5e6f7a8b9c0d"),
        ("nowhere", "nowhere"),
        ("007", "007"),
    ],
)
def test_quoted_and_word_values_stay_text(value, text):
    """Quotes keep a keyword or a number as text; a bare word, an ObjectId or a number with a leading zero is text."""
    assert strip(parse(f"slug:{value}")) == c("slug", "eq", text)


def test_and_binds_tighter_than_or():
    assert strip(parse("tag:a+featured:true,tag:b")) == Or(
        (And((c("tag", "eq", "a"), c("featured", "eq", True))), c("tag", "eq", "b"))
    )
    assert strip(parse("tag:a,tag:b+featured:true")) == Or(
        (c("tag", "eq", "a"), And((c("tag", "eq", "b"), c("featured", "eq", True))))
    )


def test_parentheses_group():
    assert strip(parse("(tag:a,tag:b)+featured:true")) == And(
        (Or((c("tag", "eq", "a"), c("tag", "eq", "b"))), c("featured", "eq", True))
    )
    assert strip(parse("((slug:x))")) == c("slug", "eq", "x")


def test_chains_flatten():
    assert strip(parse("a:1+b:2+c:3")) == And((c("a", "eq", 1), c("b", "eq", 2), c("c", "eq", 3)))
    assert strip(parse("a:1,b:2,c:3")) == Or((c("a", "eq", 1), c("b", "eq", 2), c("c", "eq", 3)))


def test_a_raw_plus_decoded_as_a_space_still_means_and():
    # `?filter=tag:a+featured:true` typed into a URL reaches the server as "tag:a featured:true"
    assert strip(parse("tag:a featured:true")) == And((c("tag", "eq", "a"), c("featured", "eq", True)))
    assert strip(parse(" tag:a , tag:b ")) == Or((c("tag", "eq", "a"), c("tag", "eq", "b")))


def test_positions_point_at_the_property():
    node = parse("tag:a+slug:b")
    assert [child.position for child in node.children] == [0, 6]


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "empty filter", 0),
        ("   ", "empty filter", 0),
        ("tag", "expected ':' after the property 'tag'", 3),
        ("tag:", "expected a value, found the end of the filter", 4),
        ("tag:a+", "expected a property name", 6),
        ("tag:a,", "expected a property name", 6),
        ("(tag:a", "expected ')' to close the '(' at position 0", 6),
        ("tag:a)", "unexpected ')'", 5),
        ("tag:[a,b", "expected ',' or ']' to close the list opened at position 4", 8),
        ("tag:[]", "expected a value, found ']'", 5),
        ("tag:'open", "unterminated quoted value", 4),
        ("tag:->5", "'-' cannot negate '>'", 5),
        ("9tag:a", "invalid property name '9tag'", 0),
        ("tag:a=b", "unexpected character '='", 5),
        (":a", "expected a property name", 0),
        ("tag::a", "expected a value, found ':'", 4),
    ],
)
def test_errors_name_the_problem_and_where(text, message, position):
    with pytest.raises(NQLSyntaxError) as caught:
        parse(text)
    assert message in caught.value.message
    assert caught.value.position == position
    assert f"at position {position}" in str(caught.value)


def test_limits_are_syntax_errors_not_crashes():
    with pytest.raises(NQLSyntaxError, match="nested too deep"):
        parse("(" * 500 + "a:b" + ")" * 500)
    with pytest.raises(NQLSyntaxError, match="too long"):
        parse("a:b+" * 2000 + "a:b")
    with pytest.raises(NQLSyntaxError, match="too many conditions"):
        parse(",".join(["a:b"] * 300))


def test_tokenizer_keeps_hyphens_inside_words():
    assert [t.text for t in tokenize("tag:-my-tag")] == ["tag", ":", "-", "my-tag", ""]


ALPHABET = st.sampled_from(list("ab.:+,()[]-'\"\\<>=~^$ 0129_nowdtruefalsnl\t\n\x00é"))


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_fuzz_nql_like_text_raises_only_syntax_errors(text):
    with contextlib.suppress(NQLSyntaxError):
        parse(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_fuzz_arbitrary_text_raises_only_syntax_errors(text):
    with contextlib.suppress(NQLSyntaxError):
        parse(text)
