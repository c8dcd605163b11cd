from decimal import Decimal

import pytest

from credit.capitals import rmb


@pytest.mark.parametrize("amount,words", [
    ("100000", "人民币壹拾万元整"),
    ("10050", "人民币壹万零伍拾元整"),
    ("0", "人民币零元整"),
    ("0.5", "人民币伍角"),
    ("0.05", "人民币伍分"),
    ("1.05", "人民币壹元零伍分"),
    ("12.30", "人民币壹拾贰元叁角"),
    ("1000.10", "人民币壹仟元壹角"),
    ("1010.50", "人民币壹仟零壹拾元伍角"),
    ("10", "人民币壹拾元整"),
    ("100010", "人民币壹拾万零壹拾元整"),
    ("1000001", "人民币壹佰万零壹元整"),
    ("1002000", "人民币壹佰万贰仟元整"),
    ("30000000", "人民币叁仟万元整"),
    ("100000000", "人民币壹亿元整"),
    ("100010000", "人民币壹亿零壹万元整"),
    ("100000001", "人民币壹亿零壹元整"),
    ("123456789.12", "人民币壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
    ("300000000.00", "人民币叁亿元整"),
    ("4358.09", "人民币肆仟叁佰伍拾捌元零玖分"),
])
def test_amounts_in_capitals(amount, words):
    assert rmb(Decimal(amount)) == words


def test_rounds_to_the_fen_and_refuses_nonsense():
    assert rmb("0.005") == "人民币壹分"
    with pytest.raises(ValueError):
        rmb("-1")
    with pytest.raises(ValueError):
        rmb(Decimal("1" + "0" * 17))
