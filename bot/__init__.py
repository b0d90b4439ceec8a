"""telecrm: a chat-first CRM for sales teams, as a Telegram bot."""

__version__ = "0.1.0"
