"""FEEL's grammar (DMN 1.5, chapter 10.3.1) for lark's LALR parser, over our own tokens."""
from __future__ import annotations

from functools import lru_cache

from lark import Lark
from lark.lexer import Lexer

from .lexer import TERMINALS

GRAMMAR = r"""
start_expr: expression
start_tests: put (COMMA put)*

?expression: for_expr | if_expr | quantified | function_def | disjunction

for_expr: FOR iteration (COMMA iteration)* RETURN expression
iteration: name IN expression                       -> iteration
         | name IN expression DOTDOT expression     -> iteration_range
if_expr: IF expression THEN expression ELSE expression
quantified: (SOME | EVERY) quant_iter (COMMA quant_iter)* SATISFIES expression
quant_iter: name IN expression
function_def: FUNCTION LPAR [param (COMMA param)*] RPAR expression
            | FUNCTION LPAR [param (COMMA param)*] RPAR EXTERNAL expression  -> external_def
param: name [COLON type]

?disjunction: conjunction
            | disjunction OR conjunction            -> or_
?conjunction: comparison
            | conjunction AND comparison            -> and_
?comparison: additive
           | additive cmp_op additive               -> compare
           | additive BETWEEN additive AND additive -> between
           | additive IN in_rhs                     -> in_
           | additive INSTANCE OF type              -> instance_of
cmp_op: EQ | NE | LT | LE | GT | GE
in_rhs: additive                                     -> in_one
      | cmp_test                                     -> in_one
      | LPAR put COMMA put (COMMA put)* RPAR         -> in_many
      | LPAR cmp_test RPAR                           -> in_paren

?put: expression | cmp_test
cmp_test: cmp_op additive

?additive: multiplicative
         | additive PLUS multiplicative             -> add
         | additive MINUS multiplicative            -> sub
?multiplicative: power
               | multiplicative STAR power          -> mul
               | multiplicative SLASH power         -> div
?power: unary
      | power POW unary                             -> pow
?unary: postfix
      | MINUS unary                                 -> neg
?postfix: primary
        | postfix DOT name                          -> path
        | postfix LSQB expression RSQB              -> filter
        | postfix LPAR RPAR                         -> call
        | postfix LPAR expression (COMMA expression)* RPAR  -> call
        | postfix LPAR named_arg (COMMA named_arg)* RPAR    -> call_named
named_arg: name COLON expression

?primary: NUMBER                                    -> number
        | STRING                                    -> string
        | AT_STRING                                 -> at_literal
        | TRUE                                      -> true
        | FALSE                                     -> false
        | NULL                                      -> null
        | name                                      -> var
        | NOT                                       -> not_fn
        | LPAR expression RPAR                      -> paren
        | LSQB [expression (COMMA expression)*] RSQB  -> list_
        | LBRACE [entry (COMMA entry)*] RBRACE      -> context
        | RANGE_START expression DOTDOT expression RANGE_END  -> range_
entry: name COLON expression
     | STRING COLON expression
name: NAME

type: name                                           -> type_name
    | name LT type (COMMA type)* GT                  -> type_generic
    | name LT type_entry (COMMA type_entry)* GT      -> type_context
    | FUNCTION LT [type (COMMA type)*] GT ARROW type -> type_function
type_entry: name COLON type
"""


class _Tokens(Lexer):
    """Hands lark the tokens our tokenizer already made."""

    def __init__(self, lexer_conf):
        pass

    def lex(self, data):
        yield from data


@lru_cache(maxsize=1)
def parser() -> Lark:
    declared = "%declare " + " ".join(TERMINALS)
    return Lark(GRAMMAR + "\n" + declared + "\n", parser="lalr", lexer=_Tokens,
                start=["start_expr", "start_tests"], maybe_placeholders=True)
