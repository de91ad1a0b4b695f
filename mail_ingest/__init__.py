"""The mail poller: sources (IMAP, Maildir) → parse → classify → thread → app.services.

Nothing here imports app.web; every change to tickets goes through app.services.
"""
