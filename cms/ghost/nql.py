"""NQL, the filter language of Ghost's Content API: a tokenizer and a small recursive-descent parser.

Grammar (Ghost's NQL, the subset its Content API documents)::

    filter     := or_expr EOF
    or_expr    := and_expr ("," and_expr)*
    and_expr   := term (("+" | <whitespace>) term)*        # "+" binds tighter than ","
    term       := "(" or_expr ")" | PROP ":" condition
    condition  := "-"? ( "[" value ("," value)* "]"         # IN / NOT IN
                       | OP? value )                        # OP: > >= < <= ~ ~^ ~$
    value      := 'quoted \\' string' | null | true | false | NUMBER | now | now-7d | now+1h | LITERAL

`+` in a raw query string arrives as a space, so terms separated by whitespace alone are ANDed, as if the `+` were
there. The result is an AST of frozen dataclasses (`Or`, `And`, `Comparison`); relative dates stay symbolic
(`RelativeDate`) and are resolved against a clock by `cms.ghost.filters`. Anything that does not parse raises
`NQLSyntaxError(message, position)`, nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LENGTH = 4000
MAX_DEPTH = 20
MAX_TERMS = 200

RELATIVE_UNITS = ("s", "m", "h", "d", "w", "M", "y")


class NQLSyntaxError(ValueError):
    """A filter that does not parse. `position` is the 0-based offset in the filter text."""

    def __init__(self, message: str, position: int):
        super().__init__(f"{message} at position {position}")
        self.message = message
        self.position = position


@dataclass(frozen=True)
class RelativeDate:
    """`now` (amount 0) or `now-7d` / `now+1h`: `amount` is signed, `unit` one of s m h d w M y."""

    amount: int
    unit: str = "d"


Value = str | int | float | bool | None | RelativeDate


@dataclass(frozen=True)
class Comparison:
    """`prop` (dotted, e.g. `tags.slug`) compared with `value`.

    `op` is one of eq ne gt gte lt lte in nin contains ncontains startswith nstartswith endswith nendswith; for in/nin
    `value` is a tuple of values."""

    prop: str
    op: str
    value: Value | tuple[Value, ...]
    position: int = 0


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Comparison | And | Or


# --- tokens -----------------------------------------------------------------------------------------------------------

PUNCT = ("~^", "~$", ">=", "<=", ":", "+", ",", "(", ")", "[", "]", "-", ">", "<", "~")
LITERAL_RE = re.compile(r"[^\s'\"\:\+,\(\)\[\]<>=~]+")
PROP_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
NUMBER_RE = re.compile(r"^\d+(\.\d+)?$")
RELATIVE_RE = re.compile(r"^now(?:([+-])(\d{1,6})([smhdwMy]))?$")
# `now+1h` is one value although `+` is AND elsewhere: read it whole before the punctuation
RELATIVE_TOKEN_RE = re.compile(r"now[+-]\d{1,6}[smhdwMy](?![^\s'\"\:\+,\(\)\[\]<>=~])")
KEYWORDS = {"null": None, "true": True, "false": False}


@dataclass(frozen=True)
class Token:
    kind: str  # a PUNCT string, "LIT", "STR" or "EOF"
    text: str
    position: int
    space_before: bool = False


def _read_string(text: str, start: int) -> tuple[str, int]:
    """The quoted string opening at `start` (single or double quotes, backslash escapes); returns (value, end)."""
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if char == quote:
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise NQLSyntaxError("unterminated quoted value", start)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, spaced = 0, False
    while i < len(text):
        char = text[i]
        if char.isspace():
            i, spaced = i + 1, True
            continue
        if char in "'\"":
            value, end = _read_string(text, i)
            tokens.append(Token("STR", value, i, spaced))
            i, spaced = end, False
            continue
        relative = RELATIVE_TOKEN_RE.match(text, i)
        if relative:
            tokens.append(Token("LIT", relative.group(), i, spaced))
            i, spaced = relative.end(), False
            continue
        punct = next((p for p in PUNCT if text.startswith(p, i)), None)
        if punct is not None:
            tokens.append(Token(punct, punct, i, spaced))
            i, spaced = i + len(punct), False
            continue
        match = LITERAL_RE.match(text, i)
        if not match:
            raise NQLSyntaxError(f"unexpected character {char!r}", i)
        tokens.append(Token("LIT", match.group(), i, spaced))
        i, spaced = match.end(), False
    tokens.append(Token("EOF", "", len(text), spaced))
    return tokens


# --- parser -----------------------------------------------------------------------------------------------------------

COMPARATORS = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "~": "contains", "~^": "startswith", "~$": "endswith"}
NEGATED = {"eq": "ne", "in": "nin", "contains": "ncontains", "startswith": "nstartswith", "endswith": "nendswith"}


def _describe(token: Token) -> str:
    return "the end of the filter" if token.kind == "EOF" else repr(token.text)


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.terms = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def expect(self, kind: str, what: str) -> Token:
        if self.current.kind != kind:
            raise NQLSyntaxError(f"expected {what}, found {_describe(self.current)}", self.current.position)
        return self.advance()

    def parse(self) -> Node:
        node = self.or_expr()
        if self.current.kind != "EOF":
            raise NQLSyntaxError(f"unexpected {_describe(self.current)}", self.current.position)
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while self.current.kind == ",":
            self.advance()
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self) -> Node:
        children = [self.term()]
        while True:
            if self.current.kind == "+":
                self.advance()
            elif not (self.current.space_before and self.current.kind in ("LIT", "(")):
                break
            children.append(self.term())
        return children[0] if len(children) == 1 else And(tuple(children))

    def term(self) -> Node:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise NQLSyntaxError(f"too many conditions (at most {MAX_TERMS})", self.current.position)
        if self.current.kind == "(":
            opening = self.advance()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise NQLSyntaxError(f"parentheses nested too deep (at most {MAX_DEPTH})", opening.position)
            node = self.or_expr()
            if self.current.kind != ")":
                raise NQLSyntaxError(
                    f"expected ')' to close the '(' at position {opening.position}, found {_describe(self.current)}",
                    self.current.position,
                )
            self.advance()
            self.depth -= 1
            return node
        prop = self.expect("LIT", "a property name such as 'tag' or 'published_at'")
        if not PROP_RE.match(prop.text):
            raise NQLSyntaxError(f"invalid property name {prop.text!r}", prop.position)
        self.expect(":", f"':' after the property {prop.text!r}")
        return self.condition(prop)

    def condition(self, prop: Token) -> Comparison:
        negated = self.current.kind == "-"
        if negated:
            self.advance()
        if self.current.kind == "[":
            op, value = "in", self.value_list()
        else:
            op = COMPARATORS.get(self.current.kind, "eq")
            if op != "eq":
                if negated and op not in NEGATED:
                    raise NQLSyntaxError(f"'-' cannot negate {self.current.text!r}", self.current.position)
                self.advance()
            value = self.value()
        if negated:
            op = NEGATED[op]
        return Comparison(prop.text, op, value, prop.position)

    def value_list(self) -> tuple[Value, ...]:
        opening = self.advance()
        values = [self.value()]
        while self.current.kind == ",":
            self.advance()
            values.append(self.value())
        if self.current.kind != "]":
            raise NQLSyntaxError(
                f"expected ',' or ']' to close the list opened at position {opening.position}, "
                f"found {_describe(self.current)}",
                self.current.position,
            )
        self.advance()
        return tuple(values)

    def value(self) -> Value:
        token = self.current
        if token.kind == "STR":
            self.advance()
            return token.text
        if token.kind != "LIT":
            raise NQLSyntaxError(f"expected a value, found {_describe(token)}", token.position)
        self.advance()
        return literal_value(token.text)


def literal_value(text: str) -> Value:
    """An unquoted value: null/true/false, a number, `now[+-]<n><unit>`, or the text itself (a slug, a word).
    Digits with a leading zero stay text (`007`, an id), so no value loses characters."""
    lowered = text.lower()
    if lowered in KEYWORDS:
        return KEYWORDS[lowered]
    if NUMBER_RE.match(text) and not (len(text) > 1 and text[0] == "0" and text[1] != "."):
        return float(text) if "." in text else int(text)
    relative = RELATIVE_RE.match(text)
    if relative:
        sign, amount, unit = relative.groups()
        return RelativeDate(0 if amount is None else (-1 if sign == "-" else 1) * int(amount), unit or "d")
    return text


def parse(text: str) -> Node:
    """The AST of the NQL filter `text`; raises NQLSyntaxError (with a position) when it does not parse."""
    if not isinstance(text, str):
        raise NQLSyntaxError("the filter must be text", 0)
    if len(text) > MAX_LENGTH:
        raise NQLSyntaxError(f"filter too long (at most {MAX_LENGTH} characters)", MAX_LENGTH)
    if not text.strip():
        raise NQLSyntaxError("empty filter", 0)
    if "\x00" in text:
        raise NQLSyntaxError("NUL character in the filter", text.index("\x00"))
    return _Parser(text).parse()
