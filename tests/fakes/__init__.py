"""Fake network servers for tests: real HTTP on localhost, following NETWORKS.md."""
