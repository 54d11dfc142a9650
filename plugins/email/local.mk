# plugins/email: mail.  dg-email is the stage that reads a message
# (GMime) and splits an mbox met inside something else; dg-mailbox is
# the source for an mbox file or a Maildir folder on the command line.
# Both share the mbox splitter; the email stage shares the text
# plugin's charset decoding and HTML extraction.
plugin_LTLIBRARIES += plugins/email/dg-email.la plugins/email/dg-mailbox.la
plugins_email_dg_email_la_SOURCES = plugins/email/email.c plugins/email/mbox.c plugins/email/mbox.h \
	plugins/text/textconv.c plugins/text/textconv.h
plugins_email_dg_email_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
plugins_email_dg_email_la_CFLAGS = $(AM_CFLAGS) $(GMIME_CFLAGS) $(UCHARDET_CFLAGS) $(XML_CFLAGS)
plugins_email_dg_email_la_LIBADD = $(GMIME_LIBS) $(UCHARDET_LIBS) $(XML_LIBS)
plugins_email_dg_email_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_email_dg_mailbox_la_SOURCES = plugins/email/mailbox.c plugins/email/mbox.c plugins/email/mbox.h
plugins_email_dg_mailbox_la_CFLAGS = $(AM_CFLAGS) $(GMIME_CFLAGS)
plugins_email_dg_mailbox_la_LIBADD = $(GMIME_LIBS)
plugins_email_dg_mailbox_la_LDFLAGS = $(PLUGIN_LDFLAGS)
