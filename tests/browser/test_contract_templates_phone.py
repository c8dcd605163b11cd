"""A designer corrects a contract template on a phone: refused with its line, then deployed."""
from tests.browser.test_workbench_phone import login, shot


def test_a_designer_fixes_a_template_on_a_phone(live_server, phone):
    page = phone.new_page()
    login(page, live_server, "designer1")
    page.click("text=合同模板")
    page.wait_for_selector("[data-testid=template-list]")
    page.click("text=drawdown_receipt")
    source = page.input_value("textarea#source")
    assert "借款借据" in source
    lines = source.split("\n")
    lines[2] += "<p>{{ borrower.nickname }}</p>"
    page.fill("textarea#source", "\n".join(lines))
    page.click("button[value=deploy]")
    problems = page.wait_for_selector("[data-testid=template-problems]")
    assert "第 3 行" in problems.inner_text() and "未知的字段 'nickname'" in problems.inner_text()
    assert "v2" not in page.inner_text("[data-testid=template-versions]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling on a phone
    shot(page, "contract-template-refused.png")

    page.fill("textarea#source", source.replace("借款人确认收到", "借款人确认已收到"))
    page.click("button[value=deploy]")
    page.wait_for_selector("text=drawdown_receipt 的版本 2 已发布")
    assert "v2" in page.inner_text("[data-testid=template-versions]")
    assert "借款人确认已收到" in page.input_value("textarea#source")
