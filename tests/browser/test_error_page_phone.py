"""The 404 page on a phone: the app's own, in Chinese, with the way back (docs/screenshots/error-404-375.png)."""
import pathlib

SHOTS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_the_not_found_page_on_a_phone(live_server, phone):
    page = phone.new_page()
    page.goto(f"{live_server}/applications/424242424242")
    assert "/login" in page.url  # signed out: the sign-in page first, not a 404 that says it does not exist
    page.goto(f"{live_server}/no-such-page")
    assert "未找到" in page.inner_text("h1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "error-404-375.png"), full_page=True)
    page.click("text=返回我的工作")
    page.wait_for_url("**/login**")
