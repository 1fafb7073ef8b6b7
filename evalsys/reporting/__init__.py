"""Reporting: plain data in, bytes out (spreadsheets, charts, PDFs)."""
