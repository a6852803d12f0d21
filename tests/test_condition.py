"""The condition language: parser, the NodeVisitor, type checker, evaluator, unparse, words."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from configurator.conditions import (
    KEYWORDS,
    NODE_TYPES,
    Arith,
    Bool,
    BoolOp,
    Compare,
    ConditionSyntaxError,
    EvaluationError,
    IfElse,
    In,
    Name,
    Neg,
    Node,
    NodeVisitor,
    Not,
    Num,
    Str,
    compile_fn,
    explain,
    fold,
    is_constant,
    names,
    parse,
    unparse,
    values_read,
    words,
)
from configurator.conditions.evaluate import _Closures
from configurator.conditions.types import (
    BOOLEAN,
    DATE,
    ENUM,
    NUMBER,
    PERSONAL,
    STRING,
    Scope,
    Symbol,
    _Checker,
    check,
    infer,
)
from configurator.conditions.visitor import _Unparser
from configurator.conditions.words import _Words
from configurator.product.ranges import _Resolver


def bare(node: Node) -> Node:
    """The node with every position zeroed, to compare shapes."""
    changes = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if f.name == "pos":
            changes["pos"] = 0
        elif isinstance(value, tuple):
            changes[f.name] = tuple(bare(v) for v in value)
        elif dataclasses.is_dataclass(value):
            changes[f.name] = bare(value)
    return dataclasses.replace(node, **changes)


def shape(text: str) -> Node:
    return bare(parse(text))


a, b, c, d = Name("a"), Name("b"), Name("c"), Name("d")


# ------------------------------------------------------------ parser


@pytest.mark.parametrize("text, tree", [
    ("a or b and c", BoolOp("or", (a, BoolOp("and", (b, c))))),
    ("a and b or c", BoolOp("or", (BoolOp("and", (a, b)), c))),
    ("a or b or c", BoolOp("or", (a, b, c))),
    ("not a and b", BoolOp("and", (Not(a), b))),
    ("not a > 1", Not(Compare(">", a, Num(1)))),
    ("not not a", Not(Not(a))),
    ("1 + 2 * 3", Arith("+", Num(1), Arith("*", Num(2), Num(3)))),
    ("(1 + 2) * 3", Arith("*", Arith("+", Num(1), Num(2)), Num(3))),
    ("a - b - c", Arith("-", Arith("-", a, b), c)),
    ("a / b * c", Arith("*", Arith("/", a, b), c)),
    ("a > 2 * b", Compare(">", a, Arith("*", Num(2), b))),
    ("a + 1 >= b - 1", Compare(">=", Arith("+", a, Num(1)), Arith("-", b, Num(1)))),
    ("-a * b", Arith("*", Neg(a), b)),
    ("-3", Num(-3)),
    ("- 2.5", Num(-2.5)),
    ("--a", Neg(Neg(a))),
    ("1e3 < a", Compare("<", Num(1000.0), a)),
    ("a == 'x'", Compare("==", a, Str("x"))),
    ('a != "it\'s"', Compare("!=", a, Str("it's"))),
    ("a == true", Compare("==", a, Bool(True))),
    ("a < b < c", BoolOp("and", (Compare("<", a, b), Compare("<", b, c)))),
    ("0 <= a < 10 <= b", BoolOp("and", (Compare("<=", Num(0), a), Compare("<", a, Num(10)),
                                        Compare("<=", Num(10), b)))),
    ("a in ['x', 'y']", In(a, (Str("x"), Str("y")))),
    ("a not in [1, -2, 3.5]", In(a, (Num(1), Num(-2), Num(3.5)), negated=True)),
    ("not a in [true]", Not(In(a, (Bool(True),)))),
    ("a + 1 in [2]", In(Arith("+", a, Num(1)), (Num(2),))),
    ("a if b else c", IfElse(a, b, c)),
    ("a if b else c if d else 0", IfElse(a, b, IfElse(c, d, Num(0)))),
    ("a or b if c else d", IfElse(BoolOp("or", (a, b)), c, d)),
    ("(a if b else c) > 1", Compare(">", IfElse(a, b, c), Num(1))),
])
def test_parse_shapes(text, tree):
    assert shape(text) == tree


def test_every_node_remembers_its_offset():
    node = parse("age < min_age or  hbv_status in ['x']")
    assert node.pos == 0
    left, right = node.items
    assert (left.pos, left.left.pos, left.right.pos) == (4, 0, 6)
    assert [(n.id, n.pos) for n in names(node)] == [("age", 0), ("min_age", 6),
                                                    ("hbv_status", 18)]
    assert right.options[0].pos == 33


@pytest.mark.parametrize("text, pos, message, hint", [
    ("age = 3", 4, "unexpected character '='", "use =="),
    ("a && b", 2, "unexpected character '&'", "'and', 'or' and 'not'"),
    ("a || b", 2, "unexpected character '|'", "as words"),
    ("x.y > 1", 1, "unexpected character '.'", None),
    ("'open > 1", 0, "unexpected character \"'\"", None),
    ("", 0, "empty condition", None),
    ("   ", 0, "empty condition", None),
    ("age >", 5, "found end of condition", None),
    ("(age > 1", 8, "expected ')'", None),
    ("age > 1 age < 3", 8, "expected end of condition, found 'age'", "join conditions"),
    ("age > 1)", 7, "expected end of condition, found ')'", None),
    ("max(a, b) > 1", 0, "'max' is not a function", None),
    ("x in [a]", 6, "may hold only numbers, strings, true or false", None),
    ("x in ['a', -'b']", 12, "may hold only", None),
    ("x in 'a'", 5, "expected '['", None),
    ("x in ['a' 'b']", 10, "expected ','", None),
    ("a if b", 6, "expected 'else'", None),
    ("a and or b", 6, "expected a number, a name", None),
])
def test_syntax_errors_point_at_the_offending_character(text, pos, message, hint):
    with pytest.raises(ConditionSyntaxError) as info:
        parse(text)
    assert info.value.pos == pos
    assert message in info.value.message
    if hint:
        assert hint in info.value.hint
    else:
        assert info.value.hint is None


def test_keywords_are_not_names():
    for word in ("and", "or", "not", "in", "if", "else"):
        with pytest.raises(ConditionSyntaxError):
            parse(f"{word} > 1")


# ------------------------------------------------------------ type checker


SCOPE = Scope({
    "age": Symbol("age", NUMBER, "input", unit="years"),
    "alt": Symbol("alt", NUMBER, "input"),
    "smoker": Symbol("smoker", BOOLEAN, "input"),
    "sex": Symbol("sex", ENUM, "input", ("male", "female")),
    "city": Symbol("city", STRING, "input"),
    "name": Symbol("name", PERSONAL, "input"),
    "born": Symbol("born", DATE, "input"),
    "max_age": Symbol("max_age", NUMBER, "parameter"),
    "plan": Symbol("plan", STRING, "parameter"),
}, "the test scope")


def problems(text: str) -> list[tuple[int, str]]:
    return [(p.pos, p.message) for p in infer(parse(text), SCOPE)[1]]


@pytest.mark.parametrize("text, want", [
    ("age > max_age", BOOLEAN),
    ("age + 1", NUMBER),
    ("-age", NUMBER),
    ("smoker", BOOLEAN),
    ("sex", ENUM),
    ("sex == 'male' and not smoker", BOOLEAN),
    ("age if smoker else max_age", NUMBER),
    ("sex if smoker else 'none'", STRING),
    ("city == plan", BOOLEAN),
    ("sex in ['male']", BOOLEAN),
    ("smoker == true", BOOLEAN),
])
def test_well_typed_conditions(text, want):
    assert infer(parse(text), SCOPE) == (want, [])


@pytest.mark.parametrize("text, pos, fragment", [
    ("agee > 1", 0, "unknown name 'agee' (not declared in the test scope)"),
    ("age > 1 and name == 'x'", 12, "'name' is personal data"),
    ("born > 3", 0, "'born' is a date"),
    ("smoker == 1", 7, "cannot compare a boolean with a number"),
    ("age == sex", 4, "cannot compare a number with an enum"),
    ("sex > 1", 0, "'>' compares numbers, but this is an enum"),
    ("sex == 'mael'", 7, "'mael' is not a value of sex"),
    ("'femal' != sex", 0, "'femal' is not a value of sex"),
    ("sex in ['male', 'other']", 16, "'other' is not a value of sex"),
    ("age in ['old']", 8, "cannot compare a number with a string"),
    ("smoker + 1 > 2", 0, "'+' needs a number, but this is a boolean"),
    ("-smoker < 0", 1, "'-' needs a number"),
    ("age and smoker", 0, "'and' joins yes/no conditions, but this is a number"),
    ("not sex", 4, "'not' joins yes/no conditions"),
    ("1 if age else 2", 5, "'if' joins yes/no conditions"),
    ("(age if smoker else sex) == 1", 5, "both branches must have the same type"),
    ("age / 0 > 1", 6, "division by zero"),
])
def test_type_problems_are_positioned(text, pos, fragment):
    found = problems(text)
    assert any(p == pos and fragment in m for p, m in found), found


def test_unknown_names_and_enum_values_get_did_you_mean():
    (problem,) = infer(parse("age > max_agee"), SCOPE)[1]
    assert problem.hint == "did you mean 'max_age'?"
    (problem,) = infer(parse("sex == 'mael'"), SCOPE)[1]
    assert problem.hint == "did you mean 'male'?"
    (problem,) = infer(parse("sex == 'x'"), SCOPE)[1]
    assert problem.hint == "use one of: male, female"


def test_an_unknown_name_does_not_cascade():
    assert len(problems("agee > 1 and agee + 2 < 3")) == 2  # one per use, nothing about types


def test_check_wants_a_yes_no_condition():
    assert check(parse("age > 1"), SCOPE) == []
    (problem,) = check(parse("age + 1"), SCOPE)
    assert problem.message == "this must be a yes/no condition, but it is a number"
    assert check(parse("sex"), SCOPE, want=STRING) == []


def test_inner_scopes_shadow_outer_ones():
    inner = SCOPE.with_symbols({"alt": Symbol("alt", BOOLEAN, "field")}, "the visit")
    assert infer(parse("alt"), inner)[0] == BOOLEAN
    assert infer(parse("alt"), SCOPE)[0] == NUMBER
    assert "the visit" in infer(parse("nope"), inner)[1][0].message


# ------------------------------------------------------------ direct evaluator


def run(text: str, env: dict, constants: dict | None = None):
    return compile_fn(parse(text), constants or {})(env)


@pytest.mark.parametrize("text, env, value", [
    ("age > max_age", {"age": 61}, True),
    ("age > max_age", {"age": 60}, False),
    ("1 < age < 10", {"age": 10}, False),
    ("1 < age < 10", {"age": 9}, True),
    ("0 <= age <= 0", {"age": 0}, True),
    ("sex in ['male', 'other']", {"sex": "male"}, True),
    ("sex not in ['male', 'other']", {"sex": "male"}, False),
    ("age in [1, -2]", {"age": -2}, True),
    ("'low' if age < 18 else 'high'", {"age": 18}, "high"),
    ("alt / uln", {"alt": 100, "uln": 40}, 2.5),
    ("alt / uln", {"alt": 100, "uln": 0}, math.inf),
    ("alt / uln", {"alt": -100, "uln": 0}, -math.inf),
    ("alt / uln", {"alt": 0, "uln": 0}, 0.0),
    ("-alt * 2 + 1", {"alt": 3}, -5),
    ("not (smoker or age > 50)", {"smoker": False, "age": 50}, True),
    ("smoker == false", {"smoker": False}, True),
])
def test_direct_evaluation(text, env, value):
    assert run(text, env, {"max_age": 60}) == value


def test_parameters_are_folded_in_and_missing_facts_are_an_error():
    fn = compile_fn(parse("age > max_age"), {"max_age": 60})
    assert fn({"age": 61, "max_age": 0}) is True  # the constant wins over a same-named fact
    assert is_constant(parse("max_age * 2"), {"max_age": 60})
    assert not is_constant(parse("age * 2"), {"max_age": 60})
    assert fold(parse("max_age * 2 + 1"), {"max_age": 60}) == 121
    with pytest.raises(EvaluationError, match="no value for 'age'"):
        fn({})


def test_and_or_short_circuit():
    fn = compile_fn(parse("age > 1 and missing > 1"), {})
    assert fn({"age": 0}) is False  # 'missing' is never read
    fn = compile_fn(parse("age > 1 or missing > 1"), {})
    assert fn({"age": 2}) is True


def test_explain_lists_every_sub_condition_with_values():
    checks = explain(parse("age > max_age or not smoker"), {"age": 30, "smoker": True},
                     {"max_age": 60})
    assert [(c.text, c.value, c.depth) for c in checks] == [
        ("(age > max_age) or (not smoker)", False, 0),
        ("age > max_age  [age=30, max_age=60]", False, 1),
        ("not smoker", False, 1),
        ("smoker  [smoker=true]", True, 2),
    ]
    assert values_read(parse("age > max_age"), {"age": 30, "x": 1}, {"max_age": 60}) == {
        "age": 30, "max_age": 60}


# ------------------------------------------------------------ unparse round trip


_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(
    lambda s: s not in KEYWORDS)
_NUMBERS = st.one_of(st.integers(-10**6, 10**6),
                     st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))
_STRINGS = st.from_regex(r"[a-zA-Z0-9_ ']{0,8}", fullmatch=True)
_LITERALS = st.one_of(_NUMBERS.map(Num), _STRINGS.map(Str), st.booleans().map(Bool))


def _extend(children):
    compare_ops = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
    return st.one_of(
        st.builds(Neg, st.one_of(_NAMES.map(Name),
                                 st.builds(Arith, st.sampled_from("+-*/"), children, children))),
        st.builds(Arith, st.sampled_from("+-*/"), children, children),
        st.builds(Compare, compare_ops, children, children),
        st.builds(In, children, st.lists(_LITERALS, min_size=1, max_size=3).map(tuple),
                  st.booleans()),
        st.builds(Not, children),
        st.builds(IfElse, children, children, children),
        st.builds(BoolOp, st.sampled_from(["and", "or"]),
                  st.lists(children, min_size=2, max_size=3).map(tuple)),
    )


ASTS = st.recursive(st.one_of(_LITERALS, _NAMES.map(Name)), _extend, max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(ASTS)
def test_unparse_then_parse_gives_the_same_tree(node):
    assert shape(unparse(node)) == bare(node)


@settings(max_examples=50, deadline=None)
@given(ASTS)
def test_unparse_is_a_fixed_point(node):
    text = unparse(node)
    assert unparse(parse(text)) == text


def test_unparse_keeps_comparisons_of_comparisons_apart():
    node = Compare("==", Compare("<", a, b), c)
    assert unparse(node) == "(a < b) == c"
    assert unparse(Compare(">", a, Arith("*", Num(2), b))) == "a > 2 * b"  # arithmetic stays bare


# ------------------------------------------------------------ the one NodeVisitor


def _node_fields(node: Node) -> list[Node]:
    """Every node held by a node's fields, in field order (tuples flattened)."""
    out: list[Node] = []
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, Node):
                out.append(item)
    return out


def test_every_node_class_is_listed():
    assert set(Node.__subclasses__()) == set(NODE_TYPES)


@settings(max_examples=200, deadline=None)
@given(ASTS)
def test_child_fields_name_every_child_in_field_order(node):
    stack = [node]
    while stack:
        item = stack.pop()
        assert list(item.iter_child_nodes()) == _node_fields(item)
        stack.extend(_node_fields(item))


# The visitors that must say something of every construct: a node class
# added to the language without a method in each of them fails here.
COMPLETE_VISITORS = [_Checker, _Closures, _Words, _Unparser, _Resolver]


@pytest.mark.parametrize("visitor", COMPLETE_VISITORS, ids=lambda v: v.__name__)
def test_complete_visitors_have_a_method_for_every_node_class(visitor):
    missing = [t.__name__ for t in NODE_TYPES if not hasattr(visitor, f"visit_{t.__name__}")]
    assert missing == []


def test_generic_visit_walks_children_in_source_order_with_the_arguments():
    class Collect(NodeVisitor):
        def visit_Name(self, node, found, prefix):
            found.append(prefix + node.id)

    found: list[str] = []
    Collect().visit(parse("x if a > b else not c in [1] or -d * e"), found, ">")
    assert found == [">x", ">a", ">b", ">c", ">d", ">e"]


def test_each_visitor_class_keeps_its_own_method_cache():
    class Base(NodeVisitor):
        def visit_Num(self, node):
            return "base"

    class Derived(Base):
        def visit_Num(self, node):
            return "derived"

    assert Base().visit(Num(1)) == "base"
    assert Derived().visit(Num(1)) == "derived"  # not the method Base cached for Num
    assert Base._methods is not Derived._methods


# ------------------------------------------------------------ words

LABELS = {"en": {"age": "your age", "alt": "ALT", "smoker": "you smoke", "sex": "sex"},
          "zh-CN": {"age": "年龄", "alt": "谷丙转氨酶", "smoker": "吸烟", "sex": "性别"}}
VALUES = {"max_age": "60 years", "uln": "40 U/L"}


def say(text: str, locale: str = "en") -> str:
    labels = LABELS.get(locale, LABELS["en"])
    return words(parse(text), lambda n: labels.get(n, n), VALUES.get, locale)


@pytest.mark.parametrize("text, en, zh", [
    ("age > max_age", "your age is more than 60 years", "年龄大于60 years"),
    ("age <= 17 or smoker", "your age is at most 17 or you smoke", "年龄不超过17，或吸烟"),
    ("alt > 2 * uln and not smoker",
     "ALT is more than 2 times 40 U/L and it is not the case that you smoke",
     "谷丙转氨酶大于2乘以40 U/L，且并非吸烟"),
    ("sex in ['male', 'other_sex']", "sex is one of male, other sex",
     "性别为以下之一：male, other sex"),
    ("sex not in ['male']", "sex is not one of male", "性别不为以下任何一项：male"),
    ("smoker == true", "you smoke is yes", "吸烟为是"),
    ("1 if smoker else 2", "1 if you smoke, otherwise 2", "吸烟时为1，否则为2"),
])
def test_words(text, en, zh):
    assert say(text, "en") == en
    assert say(text, "zh-CN") == zh


def test_words_fall_back_to_english_for_an_unknown_locale():
    assert say("age > max_age", "fr") == "your age is more than 60 years"
