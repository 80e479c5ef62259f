"""E-mail: messages queued in the caller's transaction (the outbox), rendered from templates, sent
by a job over SMTP or written as .eml files when no SMTP server is configured.

- `messages.enqueue_mail` / `messages.enqueue_template`: the one way to send a message.
- `templates.render`: a template name and values -> subject, text and HTML (autoescaped).
- `delivery.deliver_message`: what the `mail.send` job runs.
"""
