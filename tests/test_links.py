import pytest

from pipeline.render.links import add_utm


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/x", "https://a.example/x?utm_source=mastodon&utm_medium=social&utm_campaign=launch"),
        ("https://a.example/x?ref=1", "https://a.example/x?ref=1&utm_source=mastodon&utm_medium=social"
                                      "&utm_campaign=launch"),
        ("https://a.example/x?utm_source=news#top", "https://a.example/x?utm_source=news&utm_medium=social"
                                                    "&utm_campaign=launch#top"),
        ("https://a.example/x?q=a%20b&e", "https://a.example/x?q=a%20b&e&utm_source=mastodon"
                                          "&utm_medium=social&utm_campaign=launch"),
        ("mailto:hi@a.example", "mailto:hi@a.example"),
    ],
)
def test_utm_parameters_are_added_and_existing_ones_kept(url, expected):
    assert add_utm(url, source="mastodon", campaign="launch") == expected


def test_values_are_encoded():
    assert add_utm("https://a.example/", source="a b&c", campaign=None) == (
        "https://a.example/?utm_source=a%20b%26c&utm_medium=social")
