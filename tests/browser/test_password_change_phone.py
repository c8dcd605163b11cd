"""A one-time password on a phone: signing in with it leads to the change form, and the new password
signs in (README "Password resets need two people")."""
import pathlib

from tests.helpers import Api

SHOTS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_a_one_time_password_is_replaced_at_sign_in_on_a_phone(app, live_server, phone):
    api = Api(app)
    assert api.post("/users/manager1/password", "admin", json={"password": "temporary-123"}).status_code == 202
    assert api.post("/users/manager1/password/confirm", "head1").status_code == 200
    page = phone.new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "manager1")
    page.fill("input[name=password]", "temporary-123")
    page.click("button[type=submit]")
    page.wait_for_selector("input[name=new_password]")
    assert page.input_value("input[name=username]") == "manager1"
    assert "修改密码" in page.inner_text("h1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.fill("input[name=current_password]", "temporary-123")
    page.fill("input[name=new_password]", "managers-own-pw")
    page.fill("input[name=confirm_password]", "managers-own-pw")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "password-change-375.png"), full_page=True)
    page.click("button[type=submit]")
    page.wait_for_selector("text=密码已修改")
    page.fill("input[name=username]", "manager1")
    page.fill("input[name=password]", "managers-own-pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/inbox")
