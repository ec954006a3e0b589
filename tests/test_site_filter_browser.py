"""Finding things in headless Chromium: the theme's search finds a post by a word of its text; the
month and agenda filters work instantly with the script, through links without it.

Uses the browser, server and example site of tests/test_site_browser.py (which says what
is needed and when these tests skip).
"""

from __future__ import annotations

import pytest
from test_site_browser import browser, example, load  # noqa: F401 (fixtures; it skips without Chromium)

By = pytest.importorskip("selenium.webdriver.common.by").By
Select = pytest.importorskip("selenium.webdriver.support.ui").Select

MONTH = "calendar/2026-12.html"
AGENDA = "calendar/agenda.html"


def entries(driver) -> list[dict]:
    """Each post entry of the page: its data attributes and whether it is shown."""
    return driver.execute_script("""
        return [...document.querySelectorAll('[data-sc-channels]')].map(e => ({
            channels: e.dataset.scChannels.split(' ').filter(Boolean),
            tags: e.dataset.scTags.split(' ').filter(Boolean),
            states: e.dataset.scStates.split(' ').filter(Boolean),
            shown: e.offsetParent !== null}));""")


def choose(driver, name: str, value: str) -> None:
    Select(driver.find_element(By.CSS_SELECTOR, f"form.sc-filter select[name={name}]")).select_by_value(value)


def status(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, ".sc-filter-status").text


def search(driver, words: str) -> list[str]:
    """Type `words` into the theme's search and return the links of its results, once it has some."""
    field = driver.find_element(By.CSS_SELECTOR, "input.md-search__input")
    field.click()
    field.send_keys(words)
    # the index is searched in a web worker: wait for its answer (bounded by the script timeout)
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const list = document.querySelector('.md-search-result__list');
        const links = () => [...list.querySelectorAll('a')].map(a => a.getAttribute('href'));
        if (links().length) { done(links()); return; }
        new MutationObserver((changes, observer) => {
            if (links().length) { observer.disconnect(); done(links()); }
        }).observe(list, {childList: true, subtree: true});""")


def test_the_search_finds_a_post_by_a_word_of_its_text(browser, example):  # noqa: F811
    load(browser, example.url + MONTH)
    # "swaddled" is only in the third part of the stollen thread: in no title and no month page
    links = search(browser, "swaddled")
    assert [link.split("#")[0] for link in links] == [example.url + "calendar/posts/how-we-make-stollen.html"], links
    browser.find_element(By.CSS_SELECTOR, ".md-search-result__list a").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "How we make our stollen"
    assert "swaddled" in browser.find_element(By.CSS_SELECTOR, ".sc-post").text


def test_a_channel_hides_the_other_posts_at_once_and_follows_to_the_next_month(browser, example):  # noqa: F811
    load(browser, example.url + MONTH)
    form = browser.find_element(By.CSS_SELECTOR, "form.sc-filter")
    assert form.is_displayed()
    before = entries(browser)
    assert all(entry["shown"] for entry in before) and status(browser) == ""
    choose(browser, "channel", "bluesky")
    after = entries(browser)
    wanted = [("bluesky" in entry["channels"]) for entry in after]
    assert [entry["shown"] for entry in after] == wanted
    assert 0 < sum(wanted) < len(wanted)
    assert status(browser) == f"Showing {sum(wanted)} of {len(wanted)} posts."
    assert browser.current_url.endswith(MONTH + "?channel=bluesky")
    browser.find_element(By.CSS_SELECTOR, "a[rel=next]").click()
    assert "January 2027" in browser.find_element(By.TAG_NAME, "h1").text
    january = entries(browser)
    assert [entry["shown"] for entry in january] == [("bluesky" in entry["channels"]) for entry in january]
    assert Select(browser.find_element(By.CSS_SELECTOR, "select[name=channel]")).first_selected_option.text == \
        "bluesky"


def test_tag_and_state_together_and_show_all(browser, example):  # noqa: F811
    load(browser, example.url + AGENDA)
    total = len(entries(browser))
    choose(browser, "state", "scheduled")
    choose(browser, "channel", "mastodon")
    shown = entries(browser)
    assert [entry["shown"] for entry in shown] == ["mastodon:scheduled" in entry["states"] for entry in shown]
    tags = Select(browser.find_element(By.CSS_SELECTOR, "select[name=tag]")).options
    tag = next(option.get_attribute("value") for option in tags if option.get_attribute("value"))
    choose(browser, "tag", tag)
    both = entries(browser)
    assert [entry["shown"] for entry in both] == [
        "mastodon:scheduled" in entry["states"] and tag in entry["tags"] for entry in both]
    browser.find_element(By.CSS_SELECTOR, "form.sc-filter button[type=reset]").click()
    browser.execute_script("return new Promise(done => setTimeout(done, 0))")  # the reset applies after it
    assert all(entry["shown"] for entry in entries(browser)) and len(entries(browser)) == total
    assert status(browser) == "" and "?" not in browser.current_url


def test_the_address_chooses_and_an_unknown_value_is_ignored(browser, example):  # noqa: F811
    load(browser, example.url + MONTH + "?tag=stollen&channel=nosuchchannel")
    shown = entries(browser)
    assert [entry["shown"] for entry in shown] == [("stollen" in entry["tags"]) for entry in shown]
    assert browser.current_url.endswith("?tag=stollen")


@pytest.fixture
def without_javascript(browser):  # noqa: F811
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    yield browser
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


@pytest.mark.parametrize("page", [MONTH, AGENDA])
def test_without_javascript_no_dead_form_and_links_to_filter_by(without_javascript, example, page):  # noqa: F811
    driver = without_javascript
    load(driver, example.url + page)
    assert not driver.find_element(By.CSS_SELECTOR, "form.sc-filter").is_displayed()
    links = driver.find_element(By.CSS_SELECTOR, ".sc-filter-links")
    assert links.is_displayed()
    links.find_element(By.LINK_TEXT, "mastodon").click()
    assert driver.find_element(By.TAG_NAME, "h1").text.endswith("mastodon")
