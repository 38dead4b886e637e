"""Applications and contracts in the client's lending flow (issue 15: states for the crawl)."""
