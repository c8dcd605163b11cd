"""Tokens for the FEEL grammar.

FEEL cannot be tokenised by regular expressions alone: names may contain spaces and even
keywords (`date and time`, `day of week`), and `]`/`[` both open and close ranges
(`]0..1[`). This tokenizer reads the plain tokens, then joins the names it knows (the
built-ins, and whatever the caller says is in scope, e.g. a DMN model's inputs) and any
run of adjacent names, which FEEL gives no other meaning, and marks range brackets. The
LALR parser (lark) then works over a token stream with no such ambiguity left.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from lark import Token

from .values import FeelError

KEYWORDS = {
    "true": "TRUE", "false": "FALSE", "null": "NULL", "and": "AND", "or": "OR", "not": "NOT",
    "for": "FOR", "in": "IN", "return": "RETURN", "if": "IF", "then": "THEN", "else": "ELSE",
    "some": "SOME", "every": "EVERY", "satisfies": "SATISFIES", "instance": "INSTANCE", "of": "OF",
    "function": "FUNCTION", "external": "EXTERNAL", "between": "BETWEEN",
}
SYMBOLS = [
    ("..", "DOTDOT"), ("**", "POW"), ("<=", "LE"), (">=", "GE"), ("!=", "NE"), ("->", "ARROW"),
    ("=", "EQ"), ("<", "LT"), (">", "GT"), ("+", "PLUS"), ("-", "MINUS"), ("*", "STAR"), ("/", "SLASH"),
    ("(", "LPAR"), (")", "RPAR"), ("[", "LSQB"), ("]", "RSQB"), ("{", "LBRACE"), ("}", "RBRACE"),
    (",", "COMMA"), (".", "DOT"), (":", "COLON"),
]
TERMINALS = sorted({*KEYWORDS.values(), *(t for _, t in SYMBOLS),
                    "NAME", "NUMBER", "STRING", "AT_STRING", "RANGE_START", "RANGE_END"})

# Built-in names made of several words; those holding a keyword could not be read otherwise.
BUILTIN_NAMES = (
    "date and time", "years and months duration", "days and time duration", "day of week", "day of year",
    "month of year", "week of year", "index of", "string length", "upper case", "lower case",
    "substring before", "substring after", "starts with", "ends with", "string join", "list contains",
    "insert before", "distinct values", "get value", "get entries", "context put", "context merge",
    "round up", "round down", "round half up", "round half down", "list replace", "overlaps before",
    "overlaps after", "finished by", "met by", "started by", "time offset", "start included",
    "end included", "day name", "month name", "is defined", "start position", "grouping separator",
    "decimal separator", "new value", "last day of month", "random number",
)

_NAME = re.compile(r"(?:[^\W\d]|\?)[\w?]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_ESCAPES = {'"': '"', "\\": "\\", "'": "'", "n": "\n", "r": "\r", "t": "\t", "/": "/", "b": "\b", "f": "\f"}

_ENDS_EXPRESSION = {"NAME", "NUMBER", "STRING", "AT_STRING", "TRUE", "FALSE", "NULL", "RPAR", "RSQB",
                    "RBRACE", "RANGE_END"}
_STARTS_EXPRESSION = {"NAME", "NUMBER", "STRING", "AT_STRING", "TRUE", "FALSE", "NULL", "NOT", "FOR",
                      "IF", "SOME", "EVERY", "FUNCTION", "MINUS", "LPAR", "LSQB", "LBRACE", "RANGE_START",
                      "LT", "LE", "GT", "GE", "EQ", "NE"}


def _raw(source: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
            continue
        if source.startswith("//", i):
            j = source.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if source.startswith("/*", i):
            j = source.find("*/", i + 2)
            if j < 0:
                raise FeelError("unterminated comment", source, i)
            i = j + 2
            continue
        if ch == '"' or (ch == "@" and source.startswith('@"', i)):
            start = i
            i += 1 if ch == '"' else 2
            text, i = _string(source, i, start)
            tokens.append(Token("STRING" if ch == '"' else "AT_STRING", text, start_pos=start, end_pos=i))
            continue
        m = _NUMBER.match(source, i)
        if m and not (ch == "." and source.startswith("..", i)):
            tokens.append(Token("NUMBER", m.group(), start_pos=i, end_pos=m.end()))
            i = m.end()
            continue
        m = _NAME.match(source, i)
        if m:
            word = m.group()
            tokens.append(Token(KEYWORDS.get(word, "NAME"), word, start_pos=i, end_pos=m.end()))
            i = m.end()
            continue
        for text, kind in SYMBOLS:
            if source.startswith(text, i):
                tokens.append(Token(kind, text, start_pos=i, end_pos=i + len(text)))
                i += len(text)
                break
        else:
            raise FeelError(f"unexpected character {ch!r}", source, i)
    return tokens


def _string(source: str, i: int, start: int) -> tuple[str, int]:
    out: list[str] = []
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch == "\\" and i + 1 < n:
            nxt = source[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt in "uU":
                width = 4 if nxt == "u" else 6
                digits = source[i + 2:i + 2 + width]
                if len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
                    code = int(digits, 16)
                    i += 2 + width
                    if 0xD800 <= code <= 0xDBFF and source.startswith("\\u", i):
                        low = int(source[i + 2:i + 6] or "0", 16)
                        if 0xDC00 <= low <= 0xDFFF:
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                            i += 6
                    out.append(chr(code) if code <= 0x10FFFF else "\ufffd")
                    continue
            out.append(ch)  # not a FEEL escape (a regular expression's \d, say): kept as written
            i += 1
            continue
        out.append(ch)
        i += 1
    raise FeelError("unterminated string", source, start)


@lru_cache(maxsize=512)
def _name_index(names: frozenset[str]) -> dict[str, list[tuple[str, ...]]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for name in set(BUILTIN_NAMES) | names:
        try:
            parts = tuple(t.value if t.type not in ("STRING", "AT_STRING") else "\0" for t in _raw(name))
        except FeelError:
            continue
        if len(parts) > 1 and "\0" not in parts:
            index.setdefault(parts[0], []).append(parts)
    for seqs in index.values():
        seqs.sort(key=len, reverse=True)
    return index


def tokenize(source: str, names: Iterable[str] = ()) -> list[Token]:
    raw = _raw(source)
    index = _name_index(frozenset(names))
    joined: list[Token] = []
    i = 0
    while i < len(raw):
        tok = raw[i]
        for seq in index.get(tok.value, ()) if tok.type not in ("STRING", "AT_STRING", "NUMBER") else ():
            k = len(seq)
            window = raw[i:i + k]
            if len(window) == k and all(t.value == s and t.type not in ("STRING", "AT_STRING") for t, s in zip(window, seq)):
                last = window[-1]
                joined.append(Token("NAME", _spaced(source, window), start_pos=tok.start_pos, end_pos=last.end_pos))
                i += k
                break
        else:
            if tok.type == "NAME" and joined and joined[-1].type == "NAME":
                prev = joined.pop()
                tok = Token("NAME", f"{prev.value} {tok.value}", start_pos=prev.start_pos, end_pos=tok.end_pos)
            joined.append(tok)
            i += 1
    return _mark_ranges(joined, source)


def _spaced(source: str, window: list[Token]) -> str:
    # Keep the name's own punctuation but collapse runs of white space to one space.
    text = source[window[0].start_pos:window[-1].end_pos]
    return re.sub(r"\s+", " ", text)


def _mark_ranges(tokens: list[Token], source: str) -> list[Token]:
    """Retype the brackets that open and close ranges as RANGE_START / RANGE_END."""
    out = list(tokens)
    for i, tok in enumerate(out):
        if tok.type == "RSQB" and (i == 0 or out[i - 1].type not in _ENDS_EXPRESSION | {"LSQB"}):
            out[i] = Token("RANGE_START", "]", start_pos=tok.start_pos, end_pos=tok.end_pos)
    for i, tok in enumerate(out):
        if tok.type != "DOTDOT":
            continue
        depth, j = 0, i - 1
        while j >= 0:
            t = out[j].type
            if t == "IN" and depth == 0:
                break
            if t in ("RPAR", "RSQB", "RBRACE", "RANGE_END"):
                depth += 1
            elif t in ("LPAR", "LSQB", "LBRACE", "RANGE_START"):
                if depth == 0:
                    break
                depth -= 1
            j -= 1
        if j < 0 or out[j].type not in ("LPAR", "LSQB", "RANGE_START"):
            continue  # `for i in 1..n`: an iteration range, not a literal
        opener = out[j]
        depth, k = 0, i + 1
        while k < len(out):
            t = out[k].type
            if t == "LSQB" and depth == 0 and (k + 1 == len(out) or out[k + 1].type not in _STARTS_EXPRESSION):
                break
            if t in ("LPAR", "LSQB", "LBRACE", "RANGE_START"):
                depth += 1
            elif t in ("RPAR", "RSQB", "RBRACE"):
                if depth == 0:
                    break
                depth -= 1
            k += 1
        if k >= len(out):
            raise FeelError("range is not closed", source, opener.start_pos)
        closer = out[k]
        out[j] = Token("RANGE_START", opener.value, start_pos=opener.start_pos, end_pos=opener.end_pos)
        out[k] = Token("RANGE_END", closer.value, start_pos=closer.start_pos, end_pos=closer.end_pos)
    return out
