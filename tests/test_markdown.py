from hypothesis import given
from hypothesis import strategies as st

from pipeline.networks.discord import DISCORD_MARKDOWN
from pipeline.networks.slack import SLACK_MRKDWN
from pipeline.text.markdown import PLAIN, _parser, _Renderer, to_text

SAMPLE = ("Hello **world** and [our form](https://x.example/a_(b)).\nNext line\n\n"
          "- one\n- two *em*\n\n1. a\n2. b\n\n> quote\n\n`code` https://bare.example/x #tag")


def test_plain_drops_emphasis_and_spells_out_links():
    assert to_text(SAMPLE, PLAIN) == (
        "Hello world and our form (https://x.example/a_(b)).\nNext line\n\n"
        "• one\n• two em\n\n1. a\n2. b\n\n> quote\n\ncode https://bare.example/x #tag")


def test_discord_keeps_markdown():
    assert to_text(SAMPLE, DISCORD_MARKDOWN).startswith(
        "Hello **world** and [our form](https://x.example/a_(b)).\nNext line\n\n- one\n- two *em*")


def test_slack_uses_mrkdwn_and_escapes():
    assert to_text("**Hi** & <b> [x](https://a.example)", SLACK_MRKDWN) == (
        "*Hi* &amp; &lt;b&gt; <https://a.example|x>")


def test_a_link_whose_label_is_its_url_is_written_once():
    text = "[https://a.example](https://a.example) and [a.example](https://a.example/) and [](https://b.example)"
    assert to_text(text) == "https://a.example and https://a.example/ and https://b.example"


def test_nested_and_numbered_lists():
    assert to_text("- a\n  - nested\n- b\n\n3. x\n4. y") == "• a\n  • nested\n• b\n\n3. x\n4. y"


def test_html_is_text_not_markup():
    assert to_text("<script>alert(1)</script> hi") == "<script>alert(1)</script> hi"


plain_words = st.text(alphabet=st.sampled_from("abc XYZ.,;:?()/'\"\n\t-0123456789éü🍞"), max_size=80)


@given(plain_words)
def test_fast_path_matches_the_full_renderer(text):
    from pipeline.text.markdown import _MARKUP

    if _MARKUP.search(text):
        return
    assert to_text(text) == _Renderer(PLAIN).render(_parser().parse(text))
