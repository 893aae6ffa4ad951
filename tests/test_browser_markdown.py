"""The issue page's Markdown in a real headless Chromium (issue 22): a task box
ticked with a click lands in the file; Preview shows the server's rendering and
Write brings the text back; a link to another issue says its title on hover;
axe-core finds nothing serious on the rendered Markdown, the 404 and the 400."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git
from test_browser import CHROMIUM, DRIVER
from test_browser_look import axe_violations, browser  # noqa: F401 (a fixture)
from test_index import write_issue
from webserver import Served

pytest.importorskip("flask", reason="the web extra is not installed")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="no headless browser: install Debian's chromium and chromium-driver")


@pytest.fixture
def served(repo: Path):
    body = "See bbbb2222.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [ ] first\n- [ ] second\n"
    write_issue(repo, "aaaa1111", "Tasks", body=body.replace("\n", "\n  "))
    write_issue(repo, "bbbb2222", "The other one")
    git(repo, "add", ".issues")
    git(repo, "commit", "-q", "-m", "issues")
    with Served(repo) as server:
        yield server


def _base(driver, server: Served) -> str:
    driver.get(server.url)
    return driver.current_url.split("/r/")[0] + "/r/repo"


def test_a_task_box_ticked_with_a_click_is_written(browser, served: Served, repo: Path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.set_window_size(1280, 900)
    browser.get(_base(browser, served) + "/issues/aaaa1111")
    link = browser.find_element(By.CSS_SELECTOR, "a.ref")
    assert link.text == "bbbb2222" and link.get_attribute("title") == "bbbb2222: The other one"
    browser.find_element(By.CSS_SELECTOR, 'input[data-task="1"]').click()
    WebDriverWait(browser, 10).until(lambda d: "done=task-ticked" in d.current_url)
    assert browser.find_element(By.CSS_SELECTOR, 'input[data-task="1"]').is_selected()
    assert not browser.find_element(By.CSS_SELECTOR, 'input[data-task="0"]').is_selected()
    text = (repo / ".issues" / "aaaa1111.yml").read_text()
    assert "- [ ] first" in text and "- [x] second" in text
    assert axe_violations(browser) == []


def test_preview_shows_the_rendering_and_write_keeps_the_text(browser, served: Served):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(_base(browser, served) + "/issues/aaaa1111")
    text = "Some **bold** and bbbb2222\n\n- [ ] a box"
    area = browser.find_element(By.ID, "comment-body")
    area.send_keys(text)
    button = browser.find_element(By.CSS_SELECTOR, ".comment-form button.preview-button")
    button.click()
    shown = WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".comment-form div.preview strong"))
    assert shown.text == "bold" and not area.is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, ".comment-form div.preview a.ref").text \
        == "bbbb2222"
    assert button.text == "Write"
    button.click()
    assert area.is_displayed() and area.get_attribute("value") == text


def test_the_404_and_400_pages_pass_axe(browser, served: Served):  # noqa: F811
    base = _base(browser, served)
    for path, code in (("/issues/zzzzzz", "404"), ("/?priority=zz", "400")):
        browser.get(base + path)
        assert code in browser.title or code in browser.page_source
        assert axe_violations(browser) == [], path
