"""How ``git issues serve`` looks and answers in a real headless Chromium (issue 22).

On a phone (390x844) no page scrolls sideways, even with a 256-character title
and a long unbroken word; the dark theme follows prefers-color-scheme (emulated
through the DevTools protocol); axe-core finds no serious or critical violation
on any page in either theme; the keyboard shortcuts work; a 404 keeps the
navigation. One browser for the module, pages reused. Skips, saying why, only
when no browser can be had.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git
from test_browser import CHROMIUM, DRIVER, chromium, shot
from webserver import Served

pytest.importorskip("flask", reason="the web extra is not installed")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="no headless browser: install Debian's chromium and chromium-driver")

LONG_WORD = "Supercalifragilistic" * 8  # 160 letters, no place to break
TITLE = ("Title " + "x" * 40 + " ") * 5 + "y" * 21  # 256 characters
assert len(TITLE) == 256


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    driver = chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def served(invoke, repo: Path):
    """A repository whose data is hard to lay out, served; yields (server, issue id)."""
    invoke("init", "--no-hooks")
    long = invoke("new", TITLE, "-m", f"A word: {LONG_WORD}\n\n`{LONG_WORD}`",
                  "-l", LONG_WORD[:60], "-l", "bug", "-a", "someone-" + LONG_WORD[:50],
                  "--milestone", "v1-" + LONG_WORD[:40], "-p", "1").stdout.strip()
    invoke("new", "Short one", "-l", "feature")
    invoke("comment", long, "-m", LONG_WORD)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "issues")
    with Served(repo) as server:
        yield server, long


def pages(driver, server: Served, issue: str) -> dict[str, str]:
    """The four pages' addresses (the printed URL leads to the repository's list)."""
    driver.get(server.url)
    base = driver.current_url.split("/r/")[0] + "/r/" + \
        driver.current_url.split("/r/")[1].split("/")[0]
    return {"list": base + "/", "issue": f"{base}/issues/{issue}", "board": base + "/board",
            "new": base + "/new"}


def theme(driver, scheme: str) -> None:
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                           {"features": [{"name": "prefers-color-scheme", "value": scheme}]})


def background(driver) -> tuple[int, ...]:
    """The page's background colour; a transparent one is the browser's white canvas."""
    value = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    if value == "rgba(0, 0, 0, 0)":
        return (255, 255, 255)
    return tuple(int(part) for part in value[value.index("(") + 1:-1].split(",")[:3])


def axe_violations(driver) -> list[str]:
    """axe-core's serious and critical violations on the page shown, one line each."""
    from axe_selenium_python import Axe

    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            f"{[n['target'] for n in v['nodes']][:3]}"
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


def test_phone_width_dark_theme_and_axe_on_every_page(browser, served):
    server, issue = served
    browser.set_window_size(390, 844)
    width = browser.execute_script("return window.innerWidth")
    problems = []
    for scheme in ("light", "dark"):
        theme(browser, scheme)
        for name, url in pages(browser, server, issue).items():
            browser.get(url)
            assert TITLE[:20] in browser.page_source or name == "new"
            wide = browser.execute_script("return document.documentElement.scrollWidth")
            if wide > width:
                problems.append(f"{name} ({scheme}) scrolls sideways: {wide} > {width}")
            light = sum(background(browser)) > 3 * 128
            if light != (scheme == "light"):
                problems.append(f"{name} ignores the {scheme} theme")
            problems += [f"{name} ({scheme}) {v}" for v in axe_violations(browser)]
            shot(browser, f"look-{name}-390-{scheme}")
    theme(browser, "light")
    browser.set_window_size(1280, 900)
    for name, url in pages(browser, server, issue).items():
        browser.get(url)
        problems += [f"{name} (1280) {v}" for v in axe_violations(browser)]
    assert problems == []


def test_keyboard_shortcuts_and_a_404_keeps_navigation(browser, served):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    server, issue = served
    urls = pages(browser, server, issue)
    browser.get(urls["list"])
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("/")
    assert browser.switch_to.active_element.get_attribute("id") == "search"
    browser.switch_to.active_element.send_keys("c")  # typing: no shortcut
    assert browser.current_url == urls["list"]
    browser.execute_script("document.activeElement.blur()")
    browser.find_element(By.TAG_NAME, "body").send_keys("c")
    WebDriverWait(browser, 10).until(lambda d: d.current_url == urls["new"])

    browser.get(urls["list"] + "issues/nosuch")
    assert "404" in browser.title
    nav = browser.find_element(By.CSS_SELECTOR, "header.top nav")
    assert nav.find_element(By.LINK_TEXT, "Board").get_attribute("href") == urls["board"]
    assert nav.find_element(By.LINK_TEXT, "Issues")
    browser.get(urls["list"] + "no/such/page")
    assert browser.find_element(By.CSS_SELECTOR, "header.top nav").find_element(
        By.LINK_TEXT, "New issue")
