"""The demo bank: one county's rural commercial bank, its grid, its people and products.
Loading is idempotent: rows are added only when missing."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import ApiClient, GridAssignment, GridCell, Org, Product, User
from .passwords import hash_password
from .schedules import BULLET, EQUAL_INSTALMENT, EQUAL_PRINCIPAL, INTEREST_ONLY

DEMO_PASSWORD = "demo123"
_ = BULLET  # the fourth method is offered by no demo product but is supported

ORGS = [
    ("HQ", "清河农商银行总行", "head_office", None),
    ("BR01", "城关支行", "branch", "HQ"),
    ("OUT01", "东风分理处", "outlet", "BR01"),
    ("OUT02", "河湾分理处", "outlet", "BR01"),
]

# username, name, org, posts, approval limit
USERS = [
    ("manager1", "王客户经理", "BR01", ["customer_manager"], 0),
    ("investigator1", "李调查", "BR01", ["investigator"], 0),
    ("investigator2", "张调查", "BR01", ["investigator"], 0),
    ("approver1", "赵审批", "BR01", ["approver"], 300_000),
    ("approver_hq", "钱总行审批", "HQ", ["approver"], 1_000_000),
    ("committee1", "孙委员", "HQ", ["committee"], 0),
    ("committee2", "周委员", "HQ", ["committee"], 0),
    ("committee3", "吴委员", "HQ", ["committee"], 0),
    ("disburser1", "郑放款", "BR01", ["disburser"], 0),
    ("postloan1", "冯贷后", "BR01", ["postloan"], 0),
    ("postloan2", "曹贷后", "BR01", ["postloan"], 0),  # a second post-loan officer: grid vs workload
    ("head1", "韩行长", "BR01", ["branch_head"], 0),  # 城关支行行长
    ("designer1", "陈流程设计", "HQ", ["designer"], 0),
    ("auditor1", "褚稽核", "HQ", ["auditor"], 0),
    ("admin", "卫管理员", "BR01", ["admin"], 0),
    ("multi1", "蒋综合岗", "OUT02", ["investigator", "approver"], 100_000),
]

# Channel clients: client id, name, channel, scopes, secret. The secrets are for the demo bank only
# (printed by `creditfactory init`); a real bank issues its own and keeps only their hashes.
SUBMIT_AND_READ = ["applications:submit", "applications:read-own"]
CLIENTS = [
    ("mobile-banking-demo", "手机银行", "mobile_banking", SUBMIT_AND_READ, "demo-mobile-banking-secret"),
    ("wechat-demo", "微信小程序", "wechat", SUBMIT_AND_READ, "demo-wechat-secret"),
    ("partner-demo", "合作机构", "partner", SUBMIT_AND_READ, "demo-partner-secret"),
    ("core-banking-demo", "核心系统", "core_banking", ["repayments:write"], "demo-core-banking-secret"),
]

TOWNSHIPS = [("T1", "城关镇", "OUT01"), ("T2", "东风乡", "OUT01"), ("T3", "河湾镇", "OUT02")]
VILLAGES = [
    ("V01", "杨庄村", "T1"), ("V02", "李楼村", "T1"), ("V03", "前进村", "T1"),
    ("V04", "东风村", "T2"), ("V05", "新集村", "T2"), ("V06", "刘圩村", "T2"),
    ("V07", "河湾村", "T3"), ("V08", "沙集村", "T3"), ("V09", "古渡村", "T3"),
]

PRODUCTS = [
    dict(code="RUYI", name="如意贷", loan_kind="consumer", purpose_type="consumer", min_amount=Decimal("1000"),
         max_amount=Decimal("300000"), min_term=3, max_term=36, repayment_method=EQUAL_INSTALMENT, guarantee="credit",
         rate_floor=Decimal("0.0330"), rate_cap=Decimal("0.1200"), first_check_days=30, periodic_months=12,
         templates=["loan_contract", "drawdown_receipt"], description="个人消费信用贷款,等额本息"),
    dict(code="NONGHU", name="农户贷", loan_kind="farm", purpose_type="business", min_amount=Decimal("10000"),
         max_amount=Decimal("500000"), min_term=6, max_term=60, repayment_method=INTEREST_ONLY, guarantee="guarantee",
         rate_floor=Decimal("0.0350"), rate_cap=Decimal("0.0900"), first_check_days=15, periodic_months=3,
         templates=["loan_contract", "guarantee_contract", "drawdown_receipt"],
         description="农户生产经营贷款,网格化分配,按月付息到期还本"),
    dict(code="JINGYING", name="经营贷", loan_kind="business", purpose_type="business", min_amount=Decimal("50000"),
         max_amount=Decimal("3000000"), min_term=6, max_term=60, repayment_method=EQUAL_PRINCIPAL, guarantee="guarantee",
         rate_floor=Decimal("0.0345"), rate_cap=Decimal("0.0800"), first_check_days=15, periodic_months=3,
         templates=["loan_contract", "guarantee_contract", "drawdown_receipt"],
         description="小微经营保证贷款,等额本金,100万以上提交贷审会"),
    dict(code="SHANDAI", name="小闪贷", loan_kind="online", purpose_type="consumer", min_amount=Decimal("1000"),
         max_amount=Decimal("50000"), min_term=3, max_term=12, repayment_method=EQUAL_INSTALMENT, guarantee="credit",
         rate_floor=Decimal("0.0400"), rate_cap=Decimal("0.1500"), first_check_days=30, periodic_months=12,
         automated=True, templates=["loan_contract", "drawdown_receipt"], description="线上全自动信用贷款,模型审批,秒级放款"),
]


def load(session: Session, now: datetime | None = None, password_hash: str | None = None) -> bool:
    """Add the demo bank where missing. Returns whether anything was added."""
    if session.scalars(select(Org).where(Org.code == "HQ")).first() is not None:
        added = _add_missing_users(session, password_hash)
        return _add_postloan_grid(session) or added
    now = now or datetime.now(timezone.utc)
    pw = password_hash or hash_password(DEMO_PASSWORD)
    orgs: dict[str, Org] = {}
    for code, name, level, parent in ORGS:
        orgs[code] = Org(code=code, name=name, level=level, parent=orgs.get(parent) if parent else None)
        session.add(orgs[code])
    session.flush()
    users: dict[str, User] = {}
    for username, name, org, posts, limit in USERS:
        users[username] = User(username=username, name=name, password_hash=pw, org_id=orgs[org].id,
                               posts=posts, approval_limit=Decimal(limit))
        session.add(users[username])
    session.add(GridCell(code="C01", name="清河县", level="county", org_id=orgs["HQ"].id))
    session.flush()
    for code, name, org in TOWNSHIPS:
        session.add(GridCell(code=code, name=name, level="township", parent_code="C01", org_id=orgs[org].id))
    session.flush()
    township_org = {code: org for code, _, org in TOWNSHIPS}
    for code, name, township in VILLAGES:
        session.add(GridCell(code=code, name=name, level="village", parent_code=township,
                             org_id=orgs[township_org[township]].id))
    session.flush()
    for code, _, township in VILLAGES:
        session.add(GridAssignment(cell_code=code, user_id=users["manager1"].id, post="customer_manager", rank=1))
        if township in ("T1", "T2"):
            session.add(GridAssignment(cell_code=code, user_id=users["investigator1"].id, post="investigator", rank=1))
            session.add(GridAssignment(cell_code=code, user_id=users["investigator2"].id, post="investigator", rank=2))
        else:
            session.add(GridAssignment(cell_code=code, user_id=users["investigator2"].id, post="investigator", rank=1))
            session.add(GridAssignment(cell_code=code, user_id=users["multi1"].id, post="investigator", rank=2))
    _add_postloan_grid(session)
    for p in PRODUCTS:
        session.add(Product(**p))
    session.flush()
    return True


# The managing post-loan officer by grid: 城关镇 (T1) is postloan1's, 河湾镇 (T3) postloan2's; 东风乡 (T2) has
# none, so its loans go to the less busy of the two (credit.postloan.officers).
POSTLOAN_GRID = {"T1": "postloan1", "T3": "postloan2"}


def _add_postloan_grid(session: Session) -> bool:
    if session.scalars(select(GridAssignment).where(GridAssignment.post == "postloan")).first() is not None:
        return False
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(POSTLOAN_GRID.values())))}
    added = False
    for code, _, township in VILLAGES:
        user = users.get(POSTLOAN_GRID.get(township, ""))
        if user is not None and session.get(GridCell, code) is not None:
            session.add(GridAssignment(cell_code=code, user_id=user.id, post="postloan", rank=1))
            added = True
    session.flush()
    return added


def _add_missing_users(session: Session, password_hash: str | None) -> bool:
    """A bank loaded by an older release gains the demo users added since (e.g. the branch head)."""
    known = set(session.scalars(select(User.username)))
    orgs = {o.code: o.id for o in session.scalars(select(Org))}
    missing = [u for u in USERS if u[0] not in known and u[2] in orgs]
    pw = (password_hash or hash_password(DEMO_PASSWORD)) if missing else ""
    for username, name, org, posts, limit in missing:
        session.add(User(username=username, name=name, password_hash=pw, org_id=orgs[org], posts=posts,
                         approval_limit=Decimal(limit)))
    session.flush()
    return bool(missing)


def load_clients(session: Session, now: datetime) -> list[str]:
    """Add the demo channel clients that are missing; returns the client ids added."""
    have = set(session.scalars(select(ApiClient.client_id)))
    added = []
    for client_id, name, channel, scopes, secret in CLIENTS:
        if client_id not in have:
            session.add(ApiClient(client_id=client_id, name=name, channel=channel, scopes=list(scopes),
                                  secret_hash=hash_password(secret), created_at=now))
            added.append(client_id)
    session.flush()
    return added
