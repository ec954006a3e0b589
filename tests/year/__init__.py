"""A year of scheduled publish runs in one test run (tests/test_year.py).

GitHub starts scheduled runs late, by minutes and at busy times by hours; it drops
some; two can overlap; a job can be cancelled or killed at any point. The promise is
that every post goes out exactly once, or is reported. This package replays a year of
that against the real engine, real git and the networks' fakes (tests/contracts):

- `calendar`: the posts of the year, and when the team writes, edits, moves, cancels
  and retracts each of them;
- `accounts`: each channel's account on its fake server (or the real PDS): what is
  online, the faults a network can throw, and what a person sees and removes by hand;
- `team`: the git side: the origin, the editor's commits to main, the runners that
  check out the `state` branch, publish and push, and the person who settles what the
  runs report;
- `schedule`: when runs start, if at all, and how they end (killed, cancelled, racing);
- `world`: the year itself, and the checks at its end.
"""
