"""Reading the content repository: channels, posts, media, and checking them."""
