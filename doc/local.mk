# doc: the manual page.
dist_man_MANS += doc/dangan.1
