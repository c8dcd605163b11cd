"""The app's own error pages, in Chinese by default and English on request, instead of Flask's (issue 13)."""
from tests.helpers import ui_login


def test_a_missing_page_is_the_apps_own_in_chinese_and_english(app):
    web = app.test_client()
    r = web.get("/no-such-page")
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and r.content_type.startswith("text/html")
    assert "未找到" in html and "不在您的查看范围内" in html and "Not Found" not in html
    r = web.get("/no-such-page?lang=en")
    assert r.status_code == 404 and "Not found" in r.get_data(as_text=True)


def test_refusals_from_the_services_show_as_pages_without_english_or_codes(app):
    web = app.test_client()
    ui_login(web, "designer1")
    r = web.get("/applications/999999")  # out of scope or missing: the same 404
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and "未找到" in html
    assert "no application" not in html.lower()
    r = web.post("/logout")  # no CSRF token
    assert r.status_code in (400, 403) and "<html" in r.get_data(as_text=True)


def test_a_405_page_keeps_allow_and_the_api_keeps_json(app):
    web = app.test_client()
    r = web.put("/login")
    assert r.status_code == 405 and "Allow" in r.headers and "不支持此操作" in r.get_data(as_text=True)
    r = web.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.is_json


def test_the_favicon(app):
    web = app.test_client()
    r = web.get("/favicon.ico")
    assert r.status_code == 301 and r.headers["Location"].endswith("/static/favicon.svg")
    assert web.get("/static/favicon.svg").status_code == 200
