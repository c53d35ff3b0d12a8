"""Web hardening that Django does not do by itself: headers and login throttling."""
