"""Unit tests: one module of bot/ at a time, no Telegram involved."""
