"""Amounts in Chinese capitals (大写金额), as on bank contracts and receipts.

Follows the People's Bank rules for writing amounts: 整 after 元 when there are no jiao or
fen, none after 分; a run of zeros is written as one 零; up to 9,999 亿.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ("", "拾", "佰", "仟")
SECTIONS = ("", "万", "亿", "万亿")


def _section(n: int) -> str:
    """Four digits or fewer, without leading or trailing zeros, inner zeros as one 零."""
    out, zero = "", False
    for pos in range(3, -1, -1):
        d = n // 10 ** pos % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += DIGITS[d] + UNITS[pos]
    return out


def integer_capitals(n: int) -> str:
    if n == 0:
        return "零"
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    if len(groups) > len(SECTIONS):
        raise ValueError("amount too large")
    out = ""
    need_zero = False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            need_zero = bool(out)
            continue
        if out and (need_zero or g < 1000):
            out += "零"
        out += _section(g) + SECTIONS[i]
        need_zero = False
    return out


def rmb(amount: Decimal | int | str) -> str:
    """人民币 + capitals, e.g. 100000 -> 人民币壹拾万元整, 10050 -> 人民币壹万零伍拾元整."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value < 0:
        raise ValueError("negative amount")
    fen_total = int(value * 100)
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    if yuan == 0 and rest == 0:
        return "人民币零元整"
    out = "人民币"
    if yuan:
        out += integer_capitals(yuan) + "元"
    if jiao == 0 and fen == 0:
        return out + "整"
    if jiao:
        out += DIGITS[jiao] + "角"
    elif yuan:
        out += "零"
    if fen:
        out += DIGITS[fen] + "分"
    return out
