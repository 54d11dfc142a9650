#!/bin/sh
# `dangan --help` and the man page describe every command the command
# table dispatches and every long option each command parses (read from
# core/cli/main.c), so a new command or option cannot ship unlisted.
. "$DG_SRCDIR/tests/lib.sh"
main="$DG_SRCDIR/core/cli/main.c"
man="$DG_SRCDIR/doc/dangan.1"

dangan --help >"$WORK/help"
# the Commands section of --help, one line per command: an entry starts
# two spaces in, its continuation lines further in
awk '/^Commands:/ { s = 1; next } /^$/ { s = 0 }
     s && /^  [^ ]/ { if (e != "") print e; e = $0; next }
     s { e = e " " $0 }
     END { if (e != "") print e }' "$WORK/help" >"$WORK/help-cmds"
# the man page's COMMANDS section: the line after each .TP or .TQ, as
# plain text
awk '/^\.SH COMMANDS/ { s = 1; next } /^\.SH/ { s = 0 }
     s && tp { print } { tp = s && /^\.T[PQ]/ }' "$man" |
	sed 's/\\-/-/g; s/\\f[IRB]//g; s/"//g; s/^\.BR* //' >"$WORK/man-cmds"

grep -o '^    {"[a-z-]*", cmd_[a-z_]*}' "$main" | sed 's/[{}",]/ /g' >"$WORK/table"
[ -s "$WORK/table" ]; ok $? "the command table is found in main.c"
[ "$(grep -c . "$WORK/help-cmds")" -ge 15 ]; ok $? "--help lists commands"
[ "$(grep -c . "$WORK/man-cmds")" -ge 15 ]; ok $? "the man page lists commands"

# the long options a function parses: getopt_long's table, or a literal
# "--name" compared by hand; a function that only hands its arguments to
# another (verify-bag to verify_package) is followed once
options_of() { # options_of FUNCTION
	body=$(awk -v f="$1" '$0 ~ "^" f "\\(" { s = 1 } s { print } s && /^}/ { exit }' "$main")
	printf '%s\n' "$body" | grep -o '{"[a-z-]*", *[a-z]*_argument, NULL, .[a-zA-Z].}' |
		sed 's/{"\([a-z-]*\)".*\(.\).}$/\1 \2/'
	printf '%s\n' "$body" | grep -o '"--[a-z-]*"' | tr -d '"' | sed 's/^--\(.*\)/\1 -/'
	# verify-bag is verify-package with its format given: no --format
	inner=$(printf '%s\n' "$body" | sed -n 's/^	return \([a-z_]*\)(NULL, argc, argv);$/\1/p')
	fixed=$(printf '%s\n' "$body" | sed -n 's/^	return \([a-z_]*\)("[a-z]*", argc, argv);$/\1/p')
	[ -n "$inner" ] && options_of "$inner"
	[ -n "$fixed" ] && options_of "$fixed" | grep -v '^format '
	return 0
}

while read -r name fn; do
	entry=$(grep -E "(^  |\| )$name( |$)" "$WORK/help-cmds")
	[ -n "$entry" ]; ok $? "--help lists '$name'"
	syn=$(grep -E "(^|[,|] +)$name( |,|$)" "$WORK/man-cmds")
	[ -n "$syn" ]; ok $? "the man page's COMMANDS list '$name'"
	options_of "$fn" | sort -u >"$WORK/opts"
	while read -r o c; do
		[ "$o" = help ] && continue
		# either spelling will do: --jobs N or -j N
		re="(--$o|-$c)( |\]|=|\$)"
		printf '%s\n' "$entry" | grep -Eq -- "$re"; ok $? "--help gives $name --$o"
		printf '%s\n' "$syn" | grep -Eq -- "$re"; ok $? "the man page gives $name --$o"
	done <"$WORK/opts"
done <"$WORK/table"

check_fails "verify-bag takes no --format (its format is given)" 2 dangan verify-bag --format ocfl "$WORK"
grep -q "unrecognized option '--format'" "$WORK/err"; ok $? "verify-bag --format: getopt names the option"

# and the other way: nothing listed that the command table does not have
for name in $(sed 's/^  \([a-z-]*\).*/\1/' "$WORK/help-cmds"); do
	grep -q "^ *$name " "$WORK/table"; ok $? "'$name' of --help is a command"
done

done_testing
