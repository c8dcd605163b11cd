"""Five-grade loan classification (五级分类) by days past due: 正常 0; 关注 1–90; 次级 91–270;
可疑 271–360; 损失 over 360. Downgrades are automatic; an upgrade waits for the branch head."""
from __future__ import annotations

from sqlalchemy import case

GRADES = ("normal", "special_mention", "substandard", "doubtful", "loss")
RANK = {code: i for i, code in enumerate(GRADES)}
NAMES = {"normal": "正常", "special_mention": "关注", "substandard": "次级", "doubtful": "可疑", "loss": "损失"}
# (the most days past due of a grade, the grade); above the last bound a loan is `loss`
BOUNDS = ((0, "normal"), (90, "special_mention"), (270, "substandard"), (360, "doubtful"))


def grade(days_past_due: int) -> str:
    for bound, code in BOUNDS:
        if days_past_due <= bound:
            return code
    return "loss"


def grade_sql(days_past_due):
    """The same rule as a SQL CASE over a column or expression."""
    return case(*((days_past_due <= bound, code) for bound, code in BOUNDS), else_="loss")


def rank_sql(code):
    """A grade code's rank (normal 0 … loss 4) as a SQL CASE."""
    return case(RANK, value=code, else_=0)


def rank_of_days_sql(days_past_due):
    """The rank of the grade `days_past_due` calls for, without going through its code."""
    return case(*((days_past_due <= bound, RANK[code]) for bound, code in BOUNDS), else_=RANK["loss"])
