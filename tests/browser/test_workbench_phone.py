"""A NONGHU application from the customer manager's entry through investigation and approval,
on a 375 px phone, in real headless Chromium. Screenshots land in docs/screenshots/."""
import pathlib
import struct
import zlib

from tests.conftest import applicant

SHOTS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def png(width=4, height=4) -> bytes:
    raw = b"".join(b"\x00" + b"\x80\x40\x20" * width for _ in range(height))
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def login(page, base, user):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", "demo123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/inbox**")


def logout(page):
    page.click("text=退出")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def open_task(page, name):
    page.click(f"[data-testid=task-{name}] a")
    page.wait_for_selector("form.task-form")


def test_nonghu_from_entry_to_approval_on_a_phone(live_server, phone, tmp_path):
    page = phone.new_page()
    base = live_server
    # Customer manager takes in the application in the village.
    login(page, base, "manager1")
    page.click("text=新建申请")
    page.select_option("select[name=product_code]", "NONGHU")
    page.fill("input[name=amount]", "150000")
    page.fill("input[name=term_months]", "12")
    page.fill("input[name=purpose]", "扩大养殖规模")
    person = applicant(21)
    page.fill("input[name='applicant.name']", "刘小明")
    page.fill("input[name='applicant.id_number']", person["id_number"])
    page.fill("input[name='applicant.phone']", person["phone"])
    page.fill("input[name='applicant.annual_income']", "180000")
    page.select_option("select[name='applicant.village_code']", "V01")
    page.click("button.primary")
    assert page.inner_text("[data-testid=status]") == "调查中"
    assert "村 V01 网格调查员" in page.inner_text("#applicant")
    app_url = page.url
    logout(page)

    # The lead investigator finds the task already in their inbox: nobody had to claim it.
    login(page, base, "investigator1")
    task = page.locator("[data-testid=task-investigate]")
    assert "刘小明" in task.inner_text() and "剩余" in task.inner_text()
    shot(page, "inbox.png")
    open_task(page, "investigate")
    page.fill("textarea[name=findings]", "养殖场运转正常")
    page.click("button.primary")  # refused: required fields missing
    assert page.locator("[data-testid=form-errors]").is_visible()
    errors = page.locator(".field.has-error")
    assert {errors.nth(i).get_attribute("data-field") for i in range(errors.count())} == {
        "site_rating", "annual_income", "guarantee"}
    assert page.locator("textarea[name=findings]").input_value() == "养殖场运转正常"  # nothing typed is lost
    shot(page, "task-form-errors.png")
    page.select_option("select[name=site_rating]", "good")
    page.fill("input[name=annual_income]", "180000")
    assert not page.locator("input[name=guarantor_name]").is_visible()
    page.select_option("select[name=guarantee]", "guarantee")
    assert page.locator("input[name=guarantor_name]").is_visible()  # shown only for a guarantee
    page.fill("input[name=guarantor_name]", "王保证")
    page.fill("input[name='household_members-0-name']", "李梅")
    page.select_option("select[name='household_members-0-relation']", "spouse")
    photo = tmp_path / "farm.png"
    photo.write_bytes(png())
    page.set_input_files("input[name=site_photos]", str(photo))
    page.click("button.primary")
    page.wait_for_url(app_url)
    assert "已完成" in page.inner_text(".flash")
    assert "farm.png" in page.inner_text("#documents")
    assert "李梅" in page.inner_text("main")
    logout(page)

    # The co-investigator signs off.
    login(page, base, "investigator2")
    open_task(page, "cosign")
    page.select_option("select[name=agree]", "true")
    page.click("button.primary")
    page.wait_for_url(app_url)
    logout(page)

    # The branch approver approves within authority.
    login(page, base, "approver1")
    open_task(page, "approve")
    page.select_option("select[name=decision]", "return")
    page.click("button.primary")
    assert page.locator(".field.has-error[data-field=reason]").is_visible()  # a return needs a reason
    page.select_option("select[name=decision]", "approve")
    page.click("button.primary")
    page.wait_for_url(app_url)
    assert page.inner_text("[data-testid=status]") == "签约中"
    assert "审批权限" in page.inner_text("main")
    shot(page, "application.png")
    # Nothing in the layout is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_english_on_request(live_server, phone):
    page = phone.new_page()
    page.goto(f"{live_server}/login?lang=en")
    assert page.locator("h1").inner_text() == "Sign in"
    page.fill("input[name=username]", "investigator1")
    page.fill("input[name=password]", "demo123")
    page.click("button[type=submit]")
    assert "My tasks" in page.inner_text(".tabs")  # the choice is remembered
    page.goto(f"{live_server}/inbox?lang=zh")
    assert "我的任务" in page.inner_text(".tabs")
