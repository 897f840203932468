"""Input sources for whole accounts and lists: account export, RSS feeds."""
