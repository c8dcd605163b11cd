"""The task forms, by form key. Labels are Simplified Chinese; the UI may translate them."""
from __future__ import annotations

from decimal import Decimal

from .fields import Field

DECISION = {"approve": "同意", "reject": "否决", "return": "退回补充材料"}
GUARANTEE = {"credit": "信用", "guarantee": "保证", "mortgage": "抵押"}


def _decision_fields() -> list[Field]:
    return [
        Field("decision", "choice", "审批意见", choices=DECISION),
        Field("reason", "text", "理由", max_length=1000, required_when=("decision", ["reject", "return"])),
    ]


FORMS: dict[str, tuple[str, list[Field]]] = {
    "complete_application": ("补充申请资料", [
        Field("annual_income", "money", "家庭年收入(元)", minimum=Decimal("0.01")),
        Field("village_code", "text", "所在村(网格编码)", required=False, max_length=16),
        Field("phone", "mobile", "手机号", required=False),
    ]),
    "investigation_report": ("调查报告", [
        Field("site_rating", "choice", "现场调查评价", choices={"good": "良好", "fair": "一般", "poor": "较差"}),
        Field("annual_income", "money", "核实家庭年收入(元)", minimum=Decimal("0.01")),
        Field("guarantee", "choice", "担保方式", choices=GUARANTEE),
        Field("collateral_value", "money", "抵押物评估价值(元)", minimum=Decimal("1"), visible_when=("guarantee", "mortgage")),
        Field("guarantor_name", "text", "保证人姓名", max_length=64, visible_when=("guarantee", "guarantee")),
        Field("household_members", "group", "家庭成员", required=False, fields=[
            Field("name", "text", "姓名", max_length=64),
            Field("relation", "choice", "关系", choices={"spouse": "配偶", "child": "子女", "parent": "父母", "other": "其他"}),
            Field("annual_income", "money", "年收入(元)", required=False, minimum=Decimal("0")),
        ]),
        Field("findings", "text", "调查结论", max_length=2000),
    ]),
    "investigation_cosign": ("双人调查会签", [
        Field("agree", "bool", "同意主调查人结论"),
        Field("opinion", "text", "意见", max_length=1000, required_when=("agree", [False])),
    ]),
    "approval": ("审批", _decision_fields() + [
        Field("approved_amount", "money", "批准金额(元)", required=False, minimum=Decimal("1")),
    ]),
    "committee_vote": ("贷审会表决", _decision_fields()),
    "contract_signing": ("面签合同", [
        Field("signed", "bool", "借款人已当面签署合同"),
        Field("signing_place", "text", "签约地点", max_length=200),
    ]),
    "disbursement_check": ("放款审核", [
        Field("passed", "bool", "放款条件已落实"),
        Field("account_no", "text", "放款账号", max_length=32),
        Field("remarks", "text", "备注", max_length=1000, required_when=("passed", [False])),
    ]),
    "onsite_inspection": ("现场检查", [
        Field("fund_usage", "choice", "资金用途", choices={"as_agreed": "按约定用途", "diverted": "挪用", "unknown": "无法核实"}),
        Field("business_status", "choice", "经营/家庭状况", choices={"normal": "正常", "declining": "下滑", "stopped": "停产/失联"}),
        Field("risk_signal", "bool", "发现风险信号"),
        Field("findings", "text", "检查结论", max_length=2000),
    ]),
    "offsite_inspection": ("非现场检查", [
        Field("repayment_normal", "bool", "还款正常"),
        Field("risk_signal", "bool", "发现风险信号"),
        Field("findings", "text", "检查结论", max_length=2000),
    ]),
    "manual_allocation": ("人工指派", [
        Field("assignees", "mapping", "角色 → 用户名"),
        Field("reason", "text", "指派理由", max_length=500),
    ]),
}
