"""Text tools every network counts and styles with: graphemes, facets, Markdown to text, twitter-text."""
