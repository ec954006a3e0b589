from pipeline.render.splitting import split_into_parts


def fits_within(limit, numbered=False):
    def fits(text, number, total):
        suffix = f"\n\n{number}/{total}" if numbered and total > 1 else ""
        return len(text + suffix) <= limit
    return fits


def test_text_that_fits_stays_one_part():
    assert split_into_parts("Short.", fits_within(10)) == ["Short."]


def test_splits_at_sentences_first():
    text = "One two three. Four five six. Seven eight nine."
    assert split_into_parts(text, fits_within(30)) == ["One two three. Four five six.", "Seven eight nine."]


def test_keeps_paragraph_breaks_inside_a_part():
    text = "First para.\n\nSecond para. Third sentence that is long."
    assert split_into_parts(text, fits_within(28)) == [
        "First para.\n\nSecond para.", "Third sentence that is long."]


def test_splits_a_long_sentence_at_words():
    text = "word " * 20
    parts = split_into_parts(text.strip(), fits_within(24))
    assert all(len(p) <= 24 for p in parts)
    assert " ".join(parts) == text.strip()


def test_numbering_is_counted_and_consistent():
    text = " ".join(f"Sentence number {i} is here." for i in range(12))
    parts = split_into_parts(text, fits_within(60, numbered=True))
    total = len(parts)
    assert total > 2
    for number, part in enumerate(parts, 1):
        assert len(part + f"\n\n{number}/{total}") <= 60
    assert " ".join(parts) == text


def test_a_word_longer_than_a_part_cannot_be_split():
    assert split_into_parts("x" * 50 + " y", fits_within(20)) is None
