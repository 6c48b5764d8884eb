"""Fault tests: the real server while its database goes away and comes back, and while it is being stopped."""
