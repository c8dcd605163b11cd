"""Turns a parse tree into nested Python closures over an environment (engine.feel.evaluation).

No text ever becomes Python code: each node is a closure built here from a fixed set of
constructions, and names resolve only to the entries of contexts (the data handed in,
`for` variables, function parameters) or to built-in FEEL functions.
"""
from __future__ import annotations

from decimal import Decimal

from lark import Token, Transformer

from . import ops, temporal, types
from .budget import BudgetExceeded
from .types import TypeRules
from .builtins import BUILTINS
from .evaluation import (Env, Node, Test, _item_scope, _iterate, _names, _nodes, _pos, _truth, compare_op, get_path,
                         index, invoke, ops_and)
from .values import CONTEXT, FeelError, Function, Range, norm

class ToClosures(TypeRules, Transformer):
    def __init__(self, source: str):
        super().__init__()
        self.source = source
        self.calls: set[str] = set()  # plain names called as functions
        self.defines: set[str] = set()  # names bound inside the expression (entries, parameters, loops)

    # -- starts ----------------------------------------------------------------------------
    def start_expr(self, c):
        return c[0]

    def start_tests(self, c):
        return [self._test(x) for x in c if not isinstance(x, Token)]

    def _test(self, x) -> Test:
        return Test(x[0], x[1]) if isinstance(x, tuple) else Test(None, x)

    # -- literals and names ----------------------------------------------------------------
    def number(self, c):
        v = CONTEXT.create_decimal(c[0].value)
        return Node(lambda env: v, pos=_pos(c[0]))

    def string(self, c):
        v = c[0].value
        return Node(lambda env: v, pos=_pos(c[0]))

    def at_literal(self, c):
        text = c[0].value
        v = (temporal.parse_duration(text) if text.lstrip("-").startswith("P") else
             temporal.parse_date_time(text) if "T" in text else
             temporal.parse_date(text) if text.count("-") >= 2 and ":" not in text else temporal.parse_time(text))
        if v is None:
            raise FeelError(f"@{text!r} is not a date, time or duration", self.source, _pos(c[0]))
        return Node(lambda env: v, pos=_pos(c[0]))

    def true(self, c):
        return Node(lambda env: True)

    def false(self, c):
        return Node(lambda env: False)

    def null(self, c):
        return Node(lambda env: None)

    def name(self, c):
        return c[0]

    def var(self, c):
        tok = c[0]
        name = tok.value

        def f(env):
            return env.lookup(name)
        return Node(f, frozenset([name]), _pos(tok), name)

    def not_fn(self, c):
        fn = BUILTINS["not"]
        return Node(lambda env: fn, pos=_pos(c[0]))

    def paren(self, c):
        return c[1]

    def list_(self, c):
        items = _nodes(c)
        fns = [n.fn for n in items]
        pos = _pos(c[0])

        def f(env):
            env.budget.items(len(fns), pos)
            return [g(env) for g in fns]
        return Node(f, _names(*items), pos)

    def context(self, c):
        entries = [x for x in c if isinstance(x, tuple)]

        def f(env):
            scope = env.child({})
            out = scope.names
            for key, node in entries:
                out[key] = node.fn(scope)
            return dict(out)
        return Node(f, _names(*(n for _, n in entries)), _pos(c[0]))

    def entry(self, c):
        key = c[0].value
        self.defines.add(key)
        return (key, c[2])

    def range_(self, c):
        start_tok, lo, _, hi, end_tok = c
        lo_fn, hi_fn = lo.fn, hi.fn
        start_inc, end_inc = start_tok.value == "[", end_tok.value == "]"

        def f(env):
            a, b = lo_fn(env), hi_fn(env)
            if a is not None and b is not None and ops.compare(a, b) is None:
                return None
            return Range(a, b, start_inc, end_inc)
        return Node(f, _names(lo, hi), _pos(start_tok))

    # -- operators -------------------------------------------------------------------------
    def _binary(self, c, op):
        a, b = c[0].fn, c[2].fn
        pos = _pos(c[1])

        def f(env):
            try:
                return op(a(env), b(env))
            except BudgetExceeded as exc:
                if exc.position is None:
                    raise BudgetExceeded(exc.reason, pos) from None
                raise
        return Node(f, _names(c[0], c[2]), c[0].pos)

    def add(self, c):
        return self._binary(c, ops.add)

    def sub(self, c):
        return self._binary(c, ops.sub)

    def mul(self, c):
        return self._binary(c, ops.mul)

    def div(self, c):
        return self._binary(c, ops.div)

    def pow(self, c):
        return self._binary(c, ops.power)

    def neg(self, c):
        a = c[1].fn
        return Node(lambda env: ops.neg(a(env)), c[1].names, _pos(c[0]))

    def cmp_op(self, c):
        return c[0].value

    def compare(self, c):
        a, op, b = c[0].fn, c[1], c[2].fn

        if op == "=":
            def f(env):
                return ops.equals(a(env), b(env))
        else:
            def f(env):
                return compare_op(op, a(env), b(env))
        return Node(f, _names(c[0], c[2]), c[0].pos)

    def between(self, c):
        x, lo, hi = c[0].fn, c[2].fn, c[4].fn

        def f(env):
            v = x(env)
            a, b = compare_op(">=", v, lo(env)), compare_op("<=", v, hi(env))
            return ops_and(a, b)
        return Node(f, _names(c[0], c[2], c[4]), c[0].pos)

    def or_(self, c):
        a, b = c[0].fn, c[2].fn

        def f(env):
            x = _truth(a(env))
            if x is True:
                return True
            y = _truth(b(env))
            if y is True:
                return True
            return False if x is False and y is False else None
        return Node(f, _names(c[0], c[2]), c[0].pos)

    def and_(self, c):
        a, b = c[0].fn, c[2].fn

        def f(env):
            x = _truth(a(env))
            if x is False:
                return False
            y = _truth(b(env))
            if y is False:
                return False
            return True if x is True and y is True else None
        return Node(f, _names(c[0], c[2]), c[0].pos)

    def cmp_test(self, c):
        return (c[0], c[1])

    def in_one(self, c):
        return [self._test(c[0])]

    def in_paren(self, c):
        return [self._test(c[1])]

    def in_many(self, c):
        return [self._test(x) for x in c if not isinstance(x, Token)]

    def in_(self, c):
        x, tests = c[0].fn, c[2]
        names = _names(c[0], *(t.node for t in tests))

        def f(env):
            v = x(env)
            scope = env.child({"?": v})
            return any(t.check(v, scope) for t in tests)
        return Node(f, names, c[0].pos)

    def instance_of(self, c):
        x, t = c[0].fn, c[3]
        return Node(lambda env: types.is_instance(x(env), t), c[0].names, c[0].pos)

    # -- postfix ---------------------------------------------------------------------------
    def path(self, c):
        target, key = c[0].fn, c[2].value

        def f(env):
            return get_path(target(env), key)
        return Node(f, c[0].names, c[0].pos)

    def filter(self, c):
        target, cond = c[0].fn, c[2].fn
        pos = _pos(c[1])

        def f(env):
            seq = norm(target(env))
            if seq is None:
                return None
            if not isinstance(seq, list):
                seq = [seq]
            if not seq:
                return []
            budget = env.budget
            first = cond(_item_scope(env, seq[0]))
            if isinstance(first, Decimal):
                return index(seq, first)
            out = []
            for i, item in enumerate(seq):
                budget.tick(1, pos)
                keep = first if i == 0 else cond(_item_scope(env, item))
                if keep is True:
                    out.append(item)
            return out
        return Node(f, c[0].names | c[2].names, c[0].pos)

    def call(self, c):
        callee = c[0]
        if callee.var:
            self.calls.add(callee.var)
        args = _nodes(c[1:])
        fns = [a.fn for a in args]
        pos = c[0].pos
        label = self.source[pos:_pos(c[1])].strip() if pos is not None else "expression"

        def f(env):
            fn = callee.fn(env)
            return invoke(fn, [g(env) for g in fns], env.budget, label, self.source, pos)
        return Node(f, _names(callee, *args), pos)

    def named_arg(self, c):
        return (c[0].value, c[2])

    def call_named(self, c):
        callee = c[0]
        if callee.var:
            self.calls.add(callee.var)
        named = [x for x in c[1:] if isinstance(x, tuple)]
        pos = c[0].pos
        label = self.source[pos:_pos(c[1])].strip() if pos is not None else "expression"

        def f(env):
            fn = callee.fn(env)
            if not isinstance(fn, Function):
                raise FeelError(f"'{label}' is not a function", self.source, pos)
            given = {k: n.fn(env) for k, n in named}
            for params in (fn.params, *fn.alternatives):
                if set(given) <= set(params):
                    break
            else:
                return None
            last = max((params.index(k) for k in given), default=-1)
            args = [given.get(p) for p in params[:last + 1]]
            return invoke(fn, args, env.budget, label, self.source, pos)
        return Node(f, _names(callee, *(n for _, n in named)), pos)

    # -- textual ---------------------------------------------------------------------------
    def if_expr(self, c):
        cond, then, other = c[1].fn, c[3].fn, c[5].fn

        def f(env):
            return then(env) if cond(env) is True else other(env)
        return Node(f, _names(c[1], c[3], c[5]), _pos(c[0]))

    def iteration(self, c):
        self.defines.add(c[0].value)
        return (c[0].value, c[2], None)

    def iteration_range(self, c):
        self.defines.add(c[0].value)
        return (c[0].value, c[2], c[4])

    def for_expr(self, c):
        iters = [x for x in c if isinstance(x, tuple)]
        body = c[-1]
        pos = _pos(c[0])
        bound = {n for n, _, _ in iters}
        names = (_names(*(x[1] for x in iters), *(x[2] for x in iters if x[2])) | (body.names - bound - {"partial"}))

        uses_partial = "partial" in body.names

        def f(env):
            out: list = []
            scope = env.child({"partial": out})
            budget = env.budget

            def loop(k: int):
                if k == len(iters):
                    budget.tick(1, pos)
                    if len(out) >= budget.limits.items:
                        budget.items(len(out) + 1, pos)
                    if uses_partial:
                        # A copy, so that `return partial` cannot make a list that contains itself;
                        # its cost is charged to the budget.
                        budget.tick(len(out), pos)
                        scope.names["partial"] = list(out)
                    out.append(body.fn(scope))
                    return
                name, lo, hi = iters[k]
                for v in _iterate(lo, hi, scope, budget, pos):
                    scope.names[name] = v
                    loop(k + 1)
            loop(0)
            return out
        return Node(f, frozenset(names), pos)

    def quant_iter(self, c):
        self.defines.add(c[0].value)
        return (c[0].value, c[2], None)

    def quantified(self, c):
        some = c[0].type == "SOME"
        iters = [x for x in c if isinstance(x, tuple)]
        body = c[-1]
        pos = _pos(c[0])
        bound = {n for n, _, _ in iters}

        def f(env):
            scope = env.child({})
            budget = env.budget

            def loop(k: int) -> bool:
                if k == len(iters):
                    budget.tick(1, pos)
                    r = body.fn(scope) is True
                    return r if some else not r
                name, lo, _ = iters[k]
                for v in _iterate(lo, None, scope, budget, pos):
                    scope.names[name] = v
                    if loop(k + 1):
                        return True
                return False
            found = loop(0)
            return found if some else not found
        return Node(f, _names(*(x[1] for x in iters)) | (body.names - bound), pos)

    def param(self, c):
        self.defines.add(c[0].value)
        return c[0].value

    def function_def(self, c):
        params = tuple(x for x in c[2:-1] if type(x) is str)
        body = c[-1]
        pos = _pos(c[0])

        def f(env):
            def impl(budget, *args):
                scope = Env(dict(zip(params, args)), env, budget)
                return body.fn(scope)
            return Function("anonymous", params, impl, wants_budget=True)
        return Node(f, body.names - set(params), pos)

    def external_def(self, c):
        raise FeelError("external functions (Java, PMML) are not supported", self.source, _pos(c[0]))
