"""Validation rules that keep abusive GraphQL documents away from the resolvers.

graphene-django's `validation_rules` REPLACES graphql-core's standard rules (see FIELD-NOTES), so `validation_rules()`
always starts from `graphql.specified_rules` and adds ours:

- `DepthLimitRule`: at most GRAPHQL_MAX_DEPTH nested selection sets. Written here rather than using graphene's
  `depth_limit_validator`, which raises KeyError on an unknown fragment and recurses forever on a fragment cycle
  (both would be a 500 instead of the standard rules' clear error).
- `AliasLimitRule`: at most GRAPHQL_MAX_ALIASES aliased fields in the document (graphql-core has no such rule).
- `SingleOperationRule`: one operation per document.
- `FirstArgumentRule`: a literal `first` below 1 or above GRAPHQL_MAX_FIRST, on any field (a `first` from a
  variable is checked by the connection resolver, see `first_check`). A missing `first` is caught by the schema
  (`Int!`).
- `NoIntrospectionRule` when DEBUG is off: `__schema` and `__type` are refused (graphene's DisableIntrospection
  also refuses `__typename`, which every Apollo/Relay client adds to its queries).
"""

from __future__ import annotations

from django.conf import settings
from graphql import GraphQLError, specified_rules
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
)
from graphql.validation import ValidationRule

from .errors import Code, graphql_error


def _limit_error(message: str, code: str, nodes=None) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": code})


def depth_limit_rule(max_depth: int) -> type[ValidationRule]:
    class DepthLimitRule(ValidationRule):
        """Reject operations nesting more than `max_depth` selection sets. Fragments are followed, cycles and unknown
        fragments are skipped (the standard rules report those), and the walk stops as soon as the limit is passed."""

        def __init__(self, context):
            super().__init__(context)
            self.fragments = {
                d.name.value: d for d in context.document.definitions if isinstance(d, FragmentDefinitionNode)
            }

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args):
            if self._depth(node.selection_set, 0, frozenset()) > max_depth:
                name = node.name.value if node.name else "anonymous"
                self.report_error(
                    _limit_error(
                        f"Operation '{name}' exceeds the maximum query depth of {max_depth}.", Code.MAX_DEPTH, [node]
                    )
                )

        def _depth(self, selection_set, depth: int, seen: frozenset) -> int:
            if selection_set is None or depth > max_depth:
                return depth
            deepest = depth
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    if selection.name.value.startswith("__") or selection.selection_set is None:
                        continue
                    deepest = max(deepest, self._depth(selection.selection_set, depth + 1, seen))
                elif isinstance(selection, InlineFragmentNode):
                    deepest = max(deepest, self._depth(selection.selection_set, depth, seen))
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if fragment is None or name in seen:
                        continue
                    deepest = max(deepest, self._depth(fragment.selection_set, depth, seen | {name}))
                if deepest > max_depth:
                    break
            return deepest

    return DepthLimitRule


def alias_limit_rule(max_aliases: int) -> type[ValidationRule]:
    class AliasLimitRule(ValidationRule):
        """Reject documents with more than `max_aliases` aliased fields (aliases multiply the work of one field)."""

        def __init__(self, context):
            super().__init__(context)
            self.count = 0
            self.reported = False

        def enter_field(self, node: FieldNode, *_args):
            if node.alias is None:
                return
            self.count += 1
            if self.count > max_aliases and not self.reported:
                self.reported = True
                self.report_error(
                    _limit_error(f"The query uses more than {max_aliases} aliases.", Code.MAX_ALIASES, [node])
                )

    return AliasLimitRule


class SingleOperationRule(ValidationRule):
    """One operation per request: several operations in one document would be a batch in disguise."""

    def __init__(self, context):
        super().__init__(context)
        self.count = 0

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args):
        self.count += 1
        if self.count == 2:
            self.report_error(_limit_error("Only one operation per request is allowed.", Code.SINGLE_OPERATION, [node]))


class NoIntrospectionRule(ValidationRule):
    def enter_field(self, node: FieldNode, *_args):
        if node.name.value in ("__schema", "__type"):
            self.report_error(
                _limit_error(
                    f"Cannot query '{node.name.value}': introspection is disabled.", Code.INTROSPECTION_DISABLED, [node]
                )
            )


def first_argument_rule(max_first: int) -> type[ValidationRule]:
    class FirstArgumentRule(ValidationRule):
        """A literal `first` argument must be between 1 and `max_first`."""

        def enter_argument(self, node, *_args):
            if node.name.value != "first" or not isinstance(node.value, IntValueNode):
                return
            try:
                value = int(node.value.value)
            except ValueError:  # pragma: no cover - the lexer only produces integers here
                return
            if value < 1 or value > max_first:
                self.report_error(
                    _limit_error(
                        f"Argument 'first' must be between 1 and {max_first}, got {value}.",
                        Code.FIRST_OUT_OF_RANGE,
                        [node],
                    )
                )

    return FirstArgumentRule


def first_check(first: int | None, *, argument: str = "first") -> int:
    """For resolvers: `first` from a variable, checked against the same bounds (a GraphQL error answered with 400)."""
    max_first = settings.GRAPHQL_MAX_FIRST
    if first is None:
        raise graphql_error(f"Argument '{argument}' is required.", code=Code.FIRST_REQUIRED, field=argument)
    if first < 1 or first > max_first:
        raise graphql_error(
            f"Argument '{argument}' must be between 1 and {max_first}, got {first}.",
            code=Code.FIRST_OUT_OF_RANGE,
            field=argument,
        )
    return first


def validation_rules() -> tuple[type[ValidationRule], ...]:
    """The standard rules plus ours; read per request so tests (and DEBUG) can change the settings."""
    rules = [
        *specified_rules,
        SingleOperationRule,
        depth_limit_rule(settings.GRAPHQL_MAX_DEPTH),
        alias_limit_rule(settings.GRAPHQL_MAX_ALIASES),
        first_argument_rule(settings.GRAPHQL_MAX_FIRST),
    ]
    if not settings.DEBUG:
        rules.append(NoIntrospectionRule)
    return tuple(rules)
