# plugins/email: mail messages and mailboxes (GMime).
