"""Web screens of expert dispatch: pages, POST actions and printable/feed outputs."""
