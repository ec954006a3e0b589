"""Growth you can see: follower counts and each post's engagement, read daily and charted.

`collect` reads them from the networks into state/metrics.jsonl; `history` reads
that file back for the site's Growth page; `slots` proposes queue slots from the
hours that earned the most engagement per post.
"""
