from pipeline.content.yamlload import key_positions, load_yaml


def test_yaml_11_surprises_stay_strings():
    data = load_yaml("a: 12:30\nb: no\nc: 2026-12-01\nd: 2026-12-01 09:30\ne: 0123\nf: on\ng: 1:2:3")
    assert data == {"a": "12:30", "b": "no", "c": "2026-12-01", "d": "2026-12-01 09:30",
                    "e": "0123", "f": "on", "g": "1:2:3"}


def test_core_schema_scalars_still_work():
    data = load_yaml("a: true\nb: False\nc: ~\nd: 10\ne: -3\nf: 1.5\ng: 1e3\nh: null\ni: .inf")
    assert data == {"a": True, "b": False, "c": None, "d": 10, "e": -3, "f": 1.5, "g": 1000.0,
                    "h": None, "i": float("inf")}


def test_key_positions_are_one_based_and_nested():
    positions = key_positions("title: x\nmedia:\n  - path: a.jpg\n    alt: A\n")
    assert positions[("title",)] == (1, 1)
    assert positions[("media", 0, "path")] == (3, 5)
    assert positions[("media", 0, "alt", "<value>")] == (4, 10)
