"""The calendar site in a real browser: Debian's headless Chromium, driven by Selenium.

Screenshots, a hostile corpus that must render as text, no request to another host,
and axe-core's accessibility checks. `scripts/test` installs `chromium` and
`chromium-driver` where it can (Debian or Ubuntu, as root); without them these tests
skip, except with CI=true, where they fail. `--update-snapshots` also writes the screenshots into docs/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from site_corpus import write_hostile_posts
from sitebuild import REPO, build_repo_site, build_site

from tests.needs import unavailable

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
AXE = Path(__file__).parent / "site" / "axe" / "axe.min.js"

if not (CHROMIUM and CHROMEDRIVER):
    unavailable("headless Chromium is not installed (chromium and chromedriver on PATH; Debian/Ubuntu, as "
                "root: apt-get install chromium chromium-driver)", module=True)
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

# Records anything a script could do to show itself, before any page script runs.
HOOK = """
window.__caught = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__caught.push(name + ": " + args.join(" ")); };
}
for (const name of ["log", "info", "warn", "error", "debug"]) {
  const original = console[name].bind(console);
  console[name] = (...args) => { window.__caught.push("console." + name + ": " + args.join(" ")); original(...args); };
}
"""


class Server:
    """A folder served over HTTP on 127.0.0.1 from a thread."""

    def __init__(self, folder: Path) -> None:
        handler = functools.partial(Quiet, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    server = Server(build_site(REPO / "mkdocs.yml", tmp_path_factory.mktemp("example") / "site",
                               now="2026-12-03 08:00"))
    yield server
    server.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    from conftest import ContentRepo

    repo = ContentRepo(tmp_path_factory.mktemp("hostile"))
    write_hostile_posts(repo)
    server = Server(build_repo_site(repo.root, now="2026-12-01 08:00"))
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for argument in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1280,900", f"--user-data-dir={profile}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    # An explicit driver path: selenium-manager never downloads anything.
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOK})
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def load(driver, url: str) -> list[str]:
    """Open `url` and return every URL the browser requested while loading it."""
    driver.get_log("performance")  # drop what earlier pages left
    driver.get(url)
    driver.execute_script("return document.readyState")
    requested = []
    for record in driver.get_log("performance"):
        message = json.loads(record["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])
    return requested


PAGES = {
    "month": "calendar/2026-12.html",
    "agenda": "calendar/agenda.html",
    "post": "calendar/posts/stollen-workshop.html",
    "growth": "calendar/growth.html",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_screenshots(browser, example, name, tmp_path, request):
    load(browser, example.url + PAGES[name])
    png = browser.get_screenshot_as_png()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    (tmp_path / f"{name}.png").write_bytes(png)
    if request.config.getoption("--update-snapshots"):
        (REPO / "docs" / "screenshots" / f"{name}.png").write_bytes(png)
    assert browser.find_element(By.CSS_SELECTOR, "h1").text


def test_month_in_the_browser(browser, example):
    load(browser, example.url + PAGES["month"])
    rows = browser.find_elements(By.CSS_SELECTOR, "table.sc-grid tbody tr")
    assert rows and all(len(row.find_elements(By.TAG_NAME, "td")) == 7 for row in rows)
    today = browser.find_element(By.CSS_SELECTOR, "td[aria-current=date]")
    assert today.text.startswith("3")
    chip = browser.find_element(By.CSS_SELECTOR, "a.sc-chip")
    assert "+01:00" in chip.get_attribute("title")
    browser.find_element(By.CSS_SELECTOR, "a[rel=next]").click()
    assert "January 2027" in browser.find_element(By.TAG_NAME, "h1").text


def test_growth_charts_in_the_browser(browser, example):
    load(browser, example.url + PAGES["growth"])
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.sc-growth-chart")
    assert len(charts) == 5
    for chart in charts:
        assert chart.size["width"] > 300 and chart.size["height"] > 100   # drawn, not an empty box
        assert chart.get_attribute("role") == "img"
        labelled = chart.get_attribute("aria-labelledby").split()
        names = [browser.find_element(By.ID, name).get_attribute("textContent") for name in labelled]
        assert names[0].endswith("(sample data)") and len(names[1]) > 20
        # the marks are there: lines, dots or bars
        assert chart.find_elements(By.CSS_SELECTOR, "path.line, circle.dot, rect.rect")
    assert browser.execute_script("return document.querySelectorAll('svg script').length") == 0
    tables = browser.find_elements(By.CSS_SELECTOR, "table.sc-growth-numbers")
    assert len(tables) == 5 and all(t.find_elements(By.CSS_SELECTOR, "tbody tr") for t in tables)
    assert "Sample data." in browser.find_element(By.CSS_SELECTOR, ".sc-growth-sample").text
    # the text of the charts is in the page's own colour (dark schemes recolour it)
    colour = browser.execute_script("return getComputedStyle(document.querySelector('svg.sc-growth-chart .title, "
                                    "svg.sc-growth-chart .axis text')).fill")
    body = browser.execute_script("return getComputedStyle(document.querySelector('.md-typeset')).color")
    assert colour == body


MARKS = """return [...document.querySelectorAll('svg.sc-growth-chart')].map(svg => {
  const mark = svg.querySelector('.series .reactive:not(.nofill)') || svg.querySelector('.series .line');
  const style = getComputedStyle(mark);
  return [svg.id, mark.classList.contains('line') ? style.stroke : style.fill];
})"""


def test_growth_charts_follow_the_dark_scheme(browser, example):
    """Lines, dots and bars take the dark scheme's colours when the reader switches while reading,
    at once, as the page around them does."""
    load(browser, example.url + PAGES["growth"])
    light = dict(browser.execute_script(MARKS))
    browser.execute_script("document.body.setAttribute('data-md-color-scheme', 'slate')")  # the theme's toggle
    dark = dict(browser.execute_script(MARKS))
    slate = browser.execute_script("return getComputedStyle(document.body).getPropertyValue('--sc-growth-0').trim()")
    assert slate == "#90caf9"
    assert set(light.values()) == {"rgb(21, 101, 192)"}    # the first series of each: --sc-growth-0, light
    assert dark == dict.fromkeys(light, "rgb(144, 202, 249)"), dark
    text = browser.execute_script(
        "return getComputedStyle(document.querySelector('svg.sc-growth-chart .axis text')).fill")
    assert text == browser.execute_script("return getComputedStyle(document.querySelector('.md-typeset')).color")


def hostile_pages(server) -> list[str]:
    return [server.url + path for path in (
        "calendar/posts/xss-title.html", "calendar/posts/xss-media.html", "calendar/2026-12.html",
        "calendar/agenda.html", "calendar/tags/index.html", "calendar/cadence.html", "calendar/index.html")]


def test_hostile_content_renders_as_text(browser, hostile):
    for url in hostile_pages(hostile):
        load(browser, url)
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # noqa: B018
        caught = browser.execute_script("return window.__caught")
        assert not [c for c in caught if "xss" in c], (url, caught)
        assert not [e for e in browser.get_log("browser") if "xss" in e["message"]], url
        handlers = "return document.querySelectorAll('[onerror],[onload],[onmouseover]').length"
        assert browser.execute_script(handlers) == 0
        links = browser.execute_script("return [...document.links].map(a => a.href)")
        assert not [link for link in links if link.lower().startswith("javascript:")], url
    load(browser, hostile.url + "calendar/posts/xss-title.html")
    assert "<script>alert('xss-title')</script>" in browser.find_element(By.TAG_NAME, "h1").text
    text = browser.find_element(By.CSS_SELECTOR, ".sc-post").text
    assert "<img src=x onerror=" in text and "javascript:alert('xss-link')" in text and "</div></td></table>" in text
    load(browser, hostile.url + "calendar/posts/xss-media.html")
    image = browser.find_element(By.CSS_SELECTOR, ".sc-media img")
    assert image.get_attribute("alt").startswith("<script>alert('xss-alt')</script>")


@pytest.mark.parametrize("name", list(PAGES))
def test_no_request_leaves_localhost(browser, example, name):
    requested = load(browser, example.url + PAGES[name])
    assert requested
    elsewhere = [url for url in requested
                 if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).hostname != "127.0.0.1"]
    assert not elsewhere


@pytest.mark.parametrize("name", list(PAGES))
def test_accessibility(browser, example, name):
    load(browser, example.url + PAGES[name])
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    violations = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))))"
        ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));")
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, "\n".join(str(v) for v in serious)
