"""Page helpers shared by several audiences (application and evaluation pages, funds, cases, decisions,
resets, summaries, navigation); no blueprint lives here."""
