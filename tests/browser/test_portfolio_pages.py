"""The post-loan pages in real headless Chromium at 375 px (a phone) and 1280 px (a PC), over a seeded book:
the work surface, a loan page and the branch portfolio. The charts must draw (a canvas with something on it)
under our CSP and follow the page's width; nothing may overflow sideways on the phone. Screenshots land in
docs/screenshots/ (postloan-work-*, loan-*, portfolio-*)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE
from tests.browser.test_workbench_phone import login, shot
from tests.e2e.test_portfolio_pages import seed

PC = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1}
DRAWN = """(el) => {
    const c = el.querySelector('canvas');
    if (!c || !c.width || !c.height) return {canvas: !!c, ink: 0, colours: 0, width: 0};
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0; const colours = new Set();
    for (let i = 0; i < data.length; i += 16) {
        if (data[i + 3] > 0) { ink++; colours.add((data[i] >> 4) + ',' + (data[i + 1] >> 4) + ',' + (data[i + 2] >> 4)); }
    }
    return {canvas: true, ink: ink, colours: colours.size, width: c.getBoundingClientRect().width};
}"""


@pytest.fixture
def book(container):
    return seed(container)


def _no_sideways_scroll(page):
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px window"


def _charts(page) -> list[dict]:
    page.wait_for_selector("[data-chart] canvas")
    return [page.locator("[data-chart]").nth(i).evaluate(DRAWN) for i in range(page.locator("[data-chart]").count())]


@pytest.mark.parametrize("width", [375, 1280])
def test_post_loan_pages_at_phone_and_pc_widths(browser, live_server, book, width):
    context = browser.new_context(**(PHONE if width == 375 else PC))
    page = context.new_page()
    refused = []  # Chromium reports every CSP refusal on the console
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    base = live_server

    login(page, base, "postloan1")
    page.click("text=贷后工作台")
    page.wait_for_url(f"{base}/postloan")
    assert page.locator("#inspections .item.overdue").count() == 2
    assert page.locator("#inspections a.go").count() == 1
    assert "法院强制执行" in page.inner_text("#signals")
    _no_sideways_scroll(page)
    shot(page, f"postloan-work-{width}.png")

    page.click(f"[data-testid=loan-{book['substandard']}] a")
    page.wait_for_url(f"{base}/loans/{book['substandard']}")
    states = [page.locator("#schedule tbody tr").nth(i).get_attribute("data-state") for i in range(5)]
    assert states == ["paid", "overdue partial", "overdue", "overdue", "overdue"]
    assert page.locator("[data-testid=loan-status]").inner_text() == "正常"
    assert "次级" in page.inner_text("#loan")
    _no_sideways_scroll(page)
    shot(page, f"loan-{width}.png")

    page.click("text=退出")
    login(page, base, "head1")
    page.click(".bar nav >> text=贷款组合")
    page.wait_for_url(f"{base}/portfolio")
    drawn = _charts(page)
    assert len(drawn) == 4
    for chart in drawn:
        assert chart["canvas"] and chart["ink"] > 200 and chart["colours"] >= 3, drawn
        assert chart["width"] <= width
    _no_sideways_scroll(page)
    assert "不良率" in page.inner_text("[data-testid=key-numbers]")
    shot(page, f"portfolio-{width}.png")
    if width == 1280:  # the charts follow the window down to a phone's width
        page.set_viewport_size({"width": 375, "height": 900})
        page.wait_for_function("() => [...document.querySelectorAll('[data-chart] canvas')].every("
                               "c => c.getBoundingClientRect().width <= 360)")
        _no_sideways_scroll(page)
    assert refused == [] and errors == []
    context.close()
