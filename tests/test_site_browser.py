"""The calendar site in a real browser: Debian's headless Chromium, driven by Selenium.

The month, the agenda, a thread, a post with images, one with a link card, channels
without a profile and a hostile corpus, each at 390 px (a phone) and 1280 px, in the
light and the dark scheme: nothing wider than the page, no text one letter per line, no
request to another host, no serious axe-core violation, a screenshot. Every page of the
example on a phone; hostile text that must render as text. `scripts/test` installs
`chromium` and `chromium-driver` where it can (Debian or Ubuntu, as root); without them
these tests skip, except with CI=true, where they fail. `--update-snapshots` also writes
the screenshots named in KEPT into docs/screenshots/.
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
from site_gallery import write_gallery
from sitebuild import REPO, build_repo_site, build_site

from tests.needs import unavailable

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
AXE = Path(__file__).parent / "site" / "axe" / "axe.min.js"
FIT = Path(__file__).parent / "site" / "fit.js"

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
        self.folder = folder
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
    repo.write("state/inbox.jsonl", json.dumps({
        "at": "2026-11-28T09:00:00Z", "channel": "mastodon", "remote_id": "666", "kind": "mention",
        "url": "javascript:alert('xss-inbox-url')", "author": "<b onmouseover=alert('xss-author')>eve</b>",
        "text": "<script>alert('xss-inbox')</script><img src=x onerror=alert('xss-inbox-img')>"}) + "\n")
    server = Server(build_repo_site(repo.root, now="2026-12-01 08:00"))
    yield server
    server.close()


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    from conftest import ContentRepo

    repo = ContentRepo(tmp_path_factory.mktemp("gallery"))
    write_gallery(repo)
    server = Server(build_repo_site(repo.root, now="2026-12-02 08:00"))
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


WIDTHS = {"phone": 390, "desktop": 1280}
HEIGHTS = {"phone": 844, "desktop": 900}
SCHEMES = {"light": "default", "dark": "slate"}  # what the system prefers: Material's scheme


def load(driver, url: str, width: int = 1280, scheme: str = "light") -> list[str]:
    """Open `url` at `width` CSS pixels with the system preferring `scheme`; every URL it requested."""
    phone = width < 600
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": HEIGHTS["phone" if phone else "desktop"], "deviceScaleFactor": 1, "mobile": phone})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": scheme}]})
    driver.get("about:blank")  # the same page in another scheme is loaded again, not scrolled to its #anchor
    driver.get_log("performance")  # drop what earlier pages left
    driver.get(url)
    driver.execute_script("return document.readyState")
    requested = []
    for record in driver.get_log("performance"):
        message = json.loads(record["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])
    return requested


def elsewhere(requested: list[str]) -> list[str]:
    return [url for url in requested
            if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).hostname != "127.0.0.1"]


def serious_violations(driver) -> list[dict]:
    """axe-core's serious and critical findings on the page as it is now."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    violations = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))))"
        ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));")
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def fit(driver) -> dict:
    """tests/site/fit.js: the page's scroll width, what reaches past its edges, what is squeezed."""
    return driver.execute_script(FIT.read_text(encoding="utf-8"))


def screenshot(driver) -> bytes:
    """The viewport once every image has loaded (the lazy ones too)."""
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const images = [...document.images];"
        "images.forEach(image => { image.loading = 'eager'; });"
        "Promise.all(images.map(image => image.complete ? null : new Promise(settle => {"
        "  image.addEventListener('load', settle); image.addEventListener('error', settle); }))).then(done);")
    return driver.get_screenshot_as_png()


#: what the browser looks at in each width and scheme: (site fixture, path)
VIEWS = {
    "month": ("example", "calendar/2026-12.html"),
    "agenda": ("example", "calendar/agenda.html"),
    "thread": ("gallery", "calendar/posts/thread.html#previews"),
    "images": ("gallery", "calendar/posts/every-network.html#previews"),
    "link-card": ("gallery", "calendar/posts/link-card.html#previews"),
    "no-profile": ("gallery", "calendar/posts/no-profile.html#previews"),
    "hostile": ("hostile", "calendar/posts/xss-title.html"),
    "hostile-month": ("hostile", "calendar/2026-12.html"),
    "hostile-card": ("hostile", "calendar/posts/xss-card.html#previews"),
    "long-words": ("hostile", "calendar/posts/long-words.html"),
}


PAGES = {
    "month": "calendar/2026-12.html",
    "agenda": "calendar/agenda.html",
    "post": "calendar/posts/stollen-workshop.html",
    "growth": "calendar/growth.html",
    "inbox": "calendar/inbox.html",
}
#: the views kept in docs/screenshots/ (`--update-snapshots`), shown in the README and docs/site.md
KEPT = {("month", "desktop", "light"), ("month", "phone", "dark"), ("agenda", "phone", "light"),
        ("thread", "desktop", "dark"), ("images", "desktop", "light"), ("link-card", "phone", "light"),
        ("no-profile", "desktop", "dark")}


@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("size", list(WIDTHS))
@pytest.mark.parametrize("name", list(VIEWS))
def test_views_fit_stay_local_and_pass_axe(browser, request, name, size, scheme, tmp_path):
    """Nothing wider than the page, no text one letter per line, no request to another host, the
    scheme the system prefers, no serious or critical axe-core violation; a screenshot."""
    site, path = VIEWS[name]
    server = request.getfixturevalue(site)
    requested = load(browser, server.url + path, WIDTHS[size], scheme)
    assert requested and not elsewhere(requested)
    assert browser.execute_script("return document.body.dataset.mdColorScheme") == SCHEMES[scheme]
    assert browser.execute_script("return window.innerWidth") == WIDTHS[size]
    layout = fit(browser)
    assert layout["scroll"] <= layout["width"], layout
    assert not layout["overflowing"] and not layout["squeezed"], layout
    serious = serious_violations(browser)
    assert not serious, "\n".join(str(v) for v in serious)
    png = screenshot(browser)
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    (tmp_path / f"{name}-{size}-{scheme}.png").write_bytes(png)
    if (name, size, scheme) in KEPT and request.config.getoption("--update-snapshots"):
        (REPO / "docs" / "screenshots" / f"{name}-{size}-{scheme}.png").write_bytes(png)


def test_the_month_is_a_list_of_days_on_a_phone(browser, example):
    load(browser, example.url + "calendar/2026-12.html", WIDTHS["phone"])
    assert not browser.find_element(By.CSS_SELECTOR, "table.sc-grid thead").is_displayed()
    shown = [cell for cell in browser.find_elements(By.CSS_SELECTOR, "table.sc-grid td") if cell.is_displayed()]
    assert shown and all(cell.find_elements(By.CSS_SELECTOR, "a.sc-chip") or cell.get_attribute("aria-current")
                         for cell in shown), "only the days with posts, and today"
    tops = [cell.rect["y"] for cell in shown]
    assert tops == sorted(set(tops)), "one day under the other"
    assert shown[0].find_element(By.CSS_SELECTOR, ".sc-day-long").text.startswith("Tue 1 December 2026")
    load(browser, example.url + "calendar/2026-12.html", WIDTHS["desktop"])
    assert browser.find_element(By.CSS_SELECTOR, "table.sc-grid thead").is_displayed()
    week = browser.find_elements(By.CSS_SELECTOR, "table.sc-grid tbody tr")[0]
    assert len({cell.rect["y"] for cell in week.find_elements(By.TAG_NAME, "td")}) == 1, "a week is a row"


def test_cards_stand_side_by_side_on_a_wide_screen(browser, gallery):
    def columns(width: int) -> int:
        load(browser, gallery.url + "calendar/posts/every-network.html", width)
        return len({card.rect["x"] for card in browser.find_elements(By.CSS_SELECTOR, ".sc-group-wide .sc-card")})
    assert columns(WIDTHS["desktop"]) >= 2
    assert columns(WIDTHS["phone"]) == 1


def test_images_fill_their_cells_with_alt_text_on_hover(browser, gallery):
    load(browser, gallery.url + "calendar/posts/every-network.html")
    screenshot(browser)  # every image loaded
    images = browser.find_elements(By.CSS_SELECTOR, ".sc-media img")
    assert len(images) > 20
    for image in images:
        assert image.get_attribute("alt") and image.get_attribute("title") == image.get_attribute("alt")
    for figure in browser.find_elements(By.CSS_SELECTOR, ".sc-grid-mosaic figure"):
        image = figure.find_element(By.TAG_NAME, "img")
        assert figure.size["width"] > 50 and figure.size["height"] > 30
        assert image.size == figure.size, "cropped to fill its cell"
        assert image.get_property("naturalWidth") > 0


def test_every_page_fits_a_phone(browser, example):
    """Every page of the example site, the user guide too, at 390 px."""
    root = Path(example.folder)
    pages = sorted(str(path.relative_to(root)) for path in root.rglob("*.html"))
    assert len(pages) > 50
    problems = {}
    load(browser, example.url, WIDTHS["phone"])
    for path in pages:
        browser.get(example.url + path)
        layout = fit(browser)
        if layout["scroll"] > layout["width"] or layout["overflowing"] or layout["squeezed"]:
            problems[path] = layout
    assert not problems, json.dumps(problems, indent=1)


def test_month_in_the_browser(browser, example):
    load(browser, example.url + VIEWS["month"][1])
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


def test_inbox_in_the_browser(browser, example):
    load(browser, example.url + PAGES["inbox"])
    assert browser.find_element(By.CSS_SELECTOR, ".sc-sample").text.startswith("Sample data.")
    waiting, answered = browser.find_elements(By.CSS_SELECTOR, "table.sc-inbox-list")
    rows = waiting.find_elements(By.CSS_SELECTOR, "tbody tr")
    received = [row.find_element(By.TAG_NAME, "time").get_attribute("datetime") for row in rows]
    assert received == sorted(received) and len(rows) == 2, "what waits, oldest first"
    cells = [cell.text for cell in rows[0].find_elements(By.TAG_NAME, "td")]
    assert cells[5] == "4 d 11 h" and cells[6] == "none yet: social reply https://norden.social/@lena/113528873113901002"
    assert "max_unanswered" in browser.find_element(By.CSS_SELECTOR, ".sc-findings").text
    answer = answered.find_element(By.CSS_SELECTOR, "tbody tr td:last-child a")
    answer.click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "Liking Kiezmarkt's advent market reminder"


def hostile_pages(server) -> list[str]:
    return [server.url + path for path in (
        "calendar/posts/xss-title.html", "calendar/posts/xss-media.html", "calendar/posts/xss-card.html",
        "calendar/posts/long-words.html", "calendar/2026-12.html",
        "calendar/agenda.html", "calendar/tags/index.html", "calendar/cadence.html", "calendar/index.html",
        "calendar/inbox.html")]


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
    load(browser, hostile.url + "calendar/inbox.html")
    quoted = browser.find_element(By.CSS_SELECTOR, ".sc-inbox-list blockquote").text
    assert quoted == "<script>alert('xss-inbox')</script><img src=x onerror=alert('xss-inbox-img')>"
    load(browser, hostile.url + "calendar/posts/xss-media.html")
    image = browser.find_element(By.CSS_SELECTOR, ".sc-media img")
    assert image.get_attribute("alt").startswith("<script>alert('xss-alt')</script>")
    load(browser, hostile.url + "calendar/posts/xss-card.html")
    card = browser.find_element(By.CSS_SELECTOR, ".sc-card a.sc-linkcard")
    assert card.find_element(By.CSS_SELECTOR, ".sc-linkcard-title").text == "<script>alert('xss-title')</script>"
    assert "<img src=x onerror=" in card.find_element(By.CSS_SELECTOR, ".sc-linkcard-desc").get_attribute("textContent")
    names = [name.text for name in browser.find_elements(By.CSS_SELECTOR, ".sc-name")]
    assert "<script>alert('xss-profile')</script>" in names
