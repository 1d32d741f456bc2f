"""Plain text from article HTML (search snippets, JSON-LD articleBody, feeds)."""

from articles.services.html import html_to_text


def test_block_boundaries_become_spaces():
    assert html_to_text("<p>In the Arctic.</p><p>Supporters say</p>") == "In the Arctic. Supporters say"
    assert html_to_text("<h2>Title</h2><ul><li>one</li><li>two</li></ul>a<br>b") == "Title one two a b"


def test_entities_are_decoded_and_inline_tags_do_not_split_words():
    assert html_to_text("<p>Fish &amp; <em>chips</em>s</p>") == "Fish & chipss"
    assert html_to_text("") == "" and html_to_text(None) == ""
