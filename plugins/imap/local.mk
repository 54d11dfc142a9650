# plugins/imap: the IMAP source (libcurl).
