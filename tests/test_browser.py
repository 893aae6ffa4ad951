"""Clicking through ``git issues serve`` in a real headless Chromium.

Debian's ``chromium`` and ``chromium-driver`` packages, driven by Selenium
through /usr/bin/chromedriver (Selenium never downloads a driver here). The
test opens the list, filters, opens an issue, comments, closes it and creates
one from a template, checking the files on disk after each step; with GIT_ISSUES_ARTIFACTS set, a
screenshot of each page goes to $GIT_ISSUES_ARTIFACTS/browser/ (a test writes
nothing outside its temporary folder otherwise). It skips, saying
why, only when no browser can be had.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import git
from helpers import staged
from webserver import Served

pytest.importorskip("flask", reason="the web extra is not installed")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="no headless browser: install Debian's chromium and chromium-driver "
           "(apt-get install -y chromium chromium-driver)")
ARTIFACTS = (Path(os.environ["GIT_ISSUES_ARTIFACTS"]) / "browser"
             if os.environ.get("GIT_ISSUES_ARTIFACTS") else None)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900")


def chromium(profile: Path):
    """Headless Chromium through Debian's chromedriver, its profile in ``profile``, the
    console's messages kept."""
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.implicitly_wait(5)
    return driver


@pytest.fixture
def browser(tmp_path: Path):
    driver = chromium(tmp_path / "chromium-profile")
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver, name: str) -> None:
    """A screenshot of the page, kept when GIT_ISSUES_ARTIFACTS asks for them."""
    if ARTIFACTS is None:
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_click_through_list_filter_issue_comment_close_and_new(browser, invoke, repo: Path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    invoke("init", "--no-hooks")
    crash = invoke("new", "Crash on start", "-m", "It **crashes**.", "-l", "bug",
                   "-p", "0").stdout.strip()
    invoke("new", "Dark mode", "-l", "feature").stdout.strip()
    (repo / ".issues" / "templates" / "bug.yml").write_text(  # init wrote one: ours instead
        "about: Something is broken\ntitle: 'Bug: '\nlabels:\n- bug\n"
        "body: |\n  ## Steps\n\n  1.\n\n  ## Expected\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "issues")
    path = repo / ".issues" / f"{crash}.yml"
    with Served(repo) as server:
        browser.get(server.url)
        assert "Crash on start" in browser.page_source and "Dark mode" in browser.page_source
        shot(browser, "01-list")

        Select(browser.find_element(By.NAME, "label")).select_by_visible_text("bug")
        browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
        WebDriverWait(browser, 10).until(lambda d: "label=bug" in d.current_url)
        assert "Dark mode" not in browser.page_source
        shot(browser, "02-filtered")

        browser.find_element(By.LINK_TEXT, "Crash on start").click()
        assert browser.find_element(By.CSS_SELECTOR, "article.body strong").text == "crashes"
        WebDriverWait(browser, 10).until(  # app.js loaded the history from git
            lambda d: d.find_elements(By.CSS_SELECTOR, "#history div.log ol.log li"))
        shot(browser, "03-issue")

        browser.find_element(By.ID, "comment-body").send_keys("Reproduced in the browser.")
        browser.find_element(By.XPATH, "//button[text()='Comment']").click()
        WebDriverWait(browser, 10).until(lambda d: "done=commented" in d.current_url)
        assert "Reproduced in the browser." in path.read_text()
        assert staged(repo) == [f".issues/{crash}.yml"]
        shot(browser, "04-commented")

        browser.find_element(By.XPATH, "//button[text()='Close issue']").click()
        WebDriverWait(browser, 10).until(lambda d: "done=closed" in d.current_url)
        assert "status: closed" in path.read_text()
        assert browser.find_element(By.XPATH, "//button[text()='Reopen issue']")
        shot(browser, "05-closed")

        browser.find_element(By.LINK_TEXT, "New issue").click()
        browser.find_element(By.LINK_TEXT, "bug").click()
        assert "## Steps" in browser.find_element(By.NAME, "body").get_attribute("value")
        browser.find_element(By.NAME, "title").send_keys("Made in Chromium")
        shot(browser, "06-new")
        browser.find_element(By.XPATH, "//button[text()='Create issue']").click()
        WebDriverWait(browser, 10).until(lambda d: "done=created" in d.current_url)
        new_id = browser.current_url.split("/issues/")[1].split("?")[0]
        text = (repo / ".issues" / f"{new_id}.yml").read_text()
        assert "Made in Chromium" in text and "## Steps" in text and "- bug" in text
        assert f".issues/{new_id}.yml" in staged(repo)
        shot(browser, "07-created")

        browser.find_element(By.LINK_TEXT, "Board").click()
        assert browser.find_element(By.CSS_SELECTOR, ".board .column h2")
        shot(browser, "08-board")

        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], errors  # no CSP violation, no failed script or style
    if ARTIFACTS:
        print(f"\nscreenshots in {ARTIFACTS}")


def test_reading_works_with_javascript_off(invoke, repo: Path, tmp_path: Path):
    """The list and an issue page are whole without app.js: a browser with JS off."""
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    issue = invoke("new", "Readable", "-m", "Plain *text*.").stdout.strip()
    profile = tmp_path / "chromium-profile"
    options = Options()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_experimental_option("prefs", {"profile.managed_default_content_settings"
                                              ".javascript": 2})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        with Served(repo) as server:
            driver.get(server.url)
            driver.find_element(By.LINK_TEXT, "Readable").click()
            assert driver.find_element(By.CSS_SELECTOR, "article.body em").text == "text"
            driver.find_element(By.PARTIAL_LINK_TEXT, "Show the history from git").click()
            assert "History of" in driver.page_source and issue in driver.page_source
            shot(driver, "09-no-js-history")
    finally:
        driver.quit()


class _Recorder:
    """A second server on 127.0.0.1, on another port: records what every request
    brings (path, Cookie, Authorization, Referer), as a hostile neighbour would."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()
                                                   if k.lower() in ("cookie", "authorization",
                                                                    "referer")}})
                body = b"<html><body>neighbour</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _Recorder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_no_credential_reaches_another_port_by_a_link_or_a_typed_url(browser, invoke,
                                                                       repo: Path):
    """Issue 26: a cookie is sent to every port of its host, so the token must not be one.

    The browser uses the app (reads, a comment: every kind of request), then
    follows a link in an issue body to a neighbour on another port of 127.0.0.1,
    then the user types the neighbour's URL: the neighbour sees no token in any
    header or path.
    """
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with _Recorder() as neighbour:
        issue = invoke("new", "Has a link", "-m",
                       f"See [the neighbour]({neighbour.url}/from-link).").stdout.strip()
        with Served(repo) as server:
            browser.get(server.url)
            browser.find_element(By.LINK_TEXT, "Has a link").click()
            browser.find_element(By.ID, "comment-body").send_keys("Seen.")
            browser.find_element(By.XPATH, "//button[text()='Comment']").click()
            WebDriverWait(browser, 10).until(lambda d: "done=commented" in d.current_url)
            assert "Seen." in (repo / ".issues" / f"{issue}.yml").read_text()
            browser.find_element(By.LINK_TEXT, "the neighbour").click()
            WebDriverWait(browser, 10).until(lambda d: "neighbour" in d.page_source)
            browser.get(f"{neighbour.url}/typed")
            WebDriverWait(browser, 10).until(lambda d: len(neighbour.seen) >= 2)
            token = server.token
    paths = [entry["path"] for entry in neighbour.seen]
    assert "/from-link" in paths and "/typed" in paths
    for entry in neighbour.seen:
        assert token not in str(entry), entry
        assert "cookie" not in entry and "authorization" not in entry, entry
