#!/bin/sh
# imap.sh -- the imap source against a real IMAP server: dovecot on
# loopback, configured here in $WORK (TLS with a self-signed certificate,
# a passwd-file user, a Maildir).  Checks the first ingest (documents,
# metadata, bytes as the server sends them), that a second one fetches
# only the new messages, the post-commit actions (flag, move) and that a
# quarantined message is neither moved nor fetched again, that a message
# over max-message-size is left on the server and fetched once the limit
# allows it, the credentials file, STARTTLS, and the refusals: a wrong
# password, a password in the locator, a readable credentials file, an
# unverifiable certificate, a server without STARTTLS.
. "$DG_SRCDIR/tests/lib.sh"

DOVECOT=$(command -v dovecot || ls /usr/sbin/dovecot /usr/local/sbin/dovecot 2>/dev/null | head -n 1)
[ -n "$DOVECOT" ] || skip_all "dovecot is not installed"
for tool in openssl python3 jq cmp sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || skip_all "$tool is not installed"
done
[ -f "$DG_ABI_DIR/dg-abi-fail.so" ] || skip_all "the test plugin abi-fail is not built (run through make check)"

DOVECOT_PID=
FAKE_PID=
stop_servers() {
	for pid in $DOVECOT_PID $FAKE_PID; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	DOVECOT_PID=
	FAKE_PID=
}
trap 'stop_servers; rm -rf "$WORK"' EXIT
trap 'exit 1' HUP INT TERM

sha() { sha256sum <"$1" | cut -d' ' -f1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port_open() { python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null; }
summary() { jq -r "select(.summary) | .summary.$2" "$1"; } # summary FILE FIELD
# the documents of a store (bare hex ids, sorted)
ids_of() { dangan -s "$1" ls --json | jq -r '.[].id' | sed 's/^sha256://' | sort; }
# the bytes of the messages in a Maildir folder (sha256, sorted)
folder_shas() { for f in "$1"/new/* "$1"/cur/*; do [ -f "$f" ] && sha "$f"; done | sort; }
# how many messages of a Maildir folder have a flag (S: \Seen, F: \Flagged)
with_flag() {
	n=0
	for f in "$1"/cur/*:2,*"$2"* "$1"/new/*:2,*"$2"*; do [ -f "$f" ] && n=$((n + 1)); done
	echo "$n"
}

# ---- the server ---------------------------------------------------------------
D="$WORK/dovecot"
MAILDIR="$D/mail/tester/Maildir"
PASS="dg-test-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
mkdir -p "$D/run" "$D/state" "$MAILDIR/new" "$MAILDIR/cur" "$MAILDIR/tmp" \
	"$MAILDIR/.Archive/new" "$MAILDIR/.Archive/cur" "$MAILDIR/.Archive/tmp"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$D/key.pem" -out "$D/cert.pem" -days 2 \
	-subj /CN=localhost -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' >"$WORK/openssl.log" 2>&1 ||
	skip_all "openssl cannot make a test certificate: $(tail -n 1 "$WORK/openssl.log")"
printf 'tester:{PLAIN}%s\n' "$PASS" >"$D/passwd"
chmod 644 "$D/passwd" # read by dovecot's auth process

# dovecot runs its processes as unprivileged users: as root, the
# package's dovecot and dovenull; otherwise all as the current user
if [ "$(id -u)" -eq 0 ]; then
	id dovecot >/dev/null 2>&1 && id dovenull >/dev/null 2>&1 || skip_all "the users dovecot and dovenull do not exist"
	MAILUSER=dovecot
	LOGINUSER=dovenull
	chmod 711 "$WORK" # the mail user walks to its Maildir
else
	MAILUSER=$(id -un)
	LOGINUSER=$MAILUSER
fi
MAILGROUP=$(id -gn "$MAILUSER")
chmod -R go+rX "$D"
chown_mail() { [ "$(id -u)" -ne 0 ] || chown -R "$MAILUSER:$MAILGROUP" "$D/mail"; }
chown_mail

PORT=$(free_port)
PORT2=$(free_port)
cat >"$D/dovecot.conf" <<EOF
base_dir = $D/run
state_dir = $D/state
instance_name = dangan-test-$PORT
log_path = $D/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <$D/cert.pem
ssl_key = <$D/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_internal_user = $MAILUSER
default_internal_group = $MAILGROUP
default_login_user = $LOGINUSER
first_valid_uid = 1
first_valid_gid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN $D/passwd
}
userdb {
  driver = static
  args = uid=$MAILUSER gid=$MAILGROUP home=$D/mail/%u
}
mail_location = maildir:$D/mail/%u/Maildir
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT2
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $PORT
    ssl = yes
  }
}
service anvil {
  chroot =
}
EOF
"$DOVECOT" -F -c "$D/dovecot.conf" >"$D/stdout" 2>&1 &
DOVECOT_PID=$!
i=0
until port_open "$PORT" && port_open "$PORT2"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$DOVECOT_PID" 2>/dev/null; then
		why=$(cat "$D/stdout" "$D/dovecot.log" 2>/dev/null | tail -n 3 | tr '\n' ' ')
		stop_servers
		skip_all "dovecot cannot start here: $why"
	fi
	sleep 0.1
done

N=0
deliver() { # deliver FILE...: new messages in the inbox, as a delivery agent leaves them
	for f in "$@"; do
		N=$((N + 1))
		cp "$f" "$MAILDIR/tmp/$N.dangan-test"
		mv "$MAILDIR/tmp/$N.dangan-test" "$MAILDIR/new/$((1700000000 + N)).M${N}P1.dangan-test"
	done
	chown_mail
}
E="$DG_TEST_DATA/email"
M1="$E/imap-mikel-example01.eml"
M2="$E/imap-mikel-example02.eml"
M3="$E/imap-mikel-example03.eml"
M4="$E/imap-mikel-example04.eml"
M5="$E/imap-mikel-example06.eml"
M6="$E/imap-mikel-example07.eml"
M7="$E/imap-mikel-example08.eml"
BIG="$WORK/big.eml"
{
	printf 'From: Big Sender <big@example.net>\r\nTo: tester@localhost\r\nSubject: a large message\r\n'
	printf 'Date: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <big.1@example.net>\r\n\r\n'
	i=0
	while [ $i -lt 600 ]; do
		printf 'line %04d of a message larger than the limit the test sets ........................\r\n' $i
		i=$((i + 1))
	done
} >"$BIG"

LOC="imaps://tester@localhost:$PORT/INBOX"
CAOPT="imap.ca-file=$D/cert.pem"
export DANGAN_IMAP_PASSWORD="$PASS"
unset DANGAN_IMAP_USER

# ---- first ingest: three messages ------------------------------------------------
deliver "$M1" "$M2" "$M3"
dangan ingest --json -O "$CAOPT" "$LOC" >"$WORK/in1.json" 2>"$WORK/in1.err"
is "$?" 0 "first ingest exits 0"
sed 's/^/#   /' "$WORK/in1.err"
is "$(summary "$WORK/in1.json" new)" 3 "first ingest: 3 new documents"
is "$(summary "$WORK/in1.json" duplicates)" 0 "first ingest: no duplicates"
is "$(dangan ls --json | jq length)" 3 "ls lists 3 documents"
is "$(ids_of "$STORE" | tr '\n' ' ')" "$(for f in "$M1" "$M2" "$M3"; do sha "$f"; done | sort | tr '\n' ' ')" \
	"the ids are the sha256 of the delivered messages"
bad=0
for f in "$M1" "$M2" "$M3"; do
	dangan cat "$(sha "$f")" >"$WORK/cat.out" && cmp -s "$WORK/cat.out" "$f" || bad=$((bad + 1))
done
is "$bad" 0 "cat ID gives each message bit-exact"

UIDVALIDITY=$(sed -n '1s/.* V\([0-9]*\) .*/\1/p' "$MAILDIR/dovecot-uidlist")
dangan show --json "$(sha "$M2")" >"$WORK/show.json"
MD='.document.metadata'
is "$(jq -r '.document.media_type' "$WORK/show.json")" "message/rfc822" "show: media type message/rfc822"
is "$(jq -r "${MD}[\"imap.mailbox\"][0]" "$WORK/show.json")" INBOX "show: imap.mailbox"
is "$(jq -r "${MD}[\"imap.uidvalidity\"][0]" "$WORK/show.json")" "$UIDVALIDITY" "show: imap.uidvalidity is the server's"
is "$(jq -r "${MD}[\"imap.server\"][0]" "$WORK/show.json")" "localhost:$PORT" "show: imap.server"
uid2=$(jq -r "${MD}[\"imap.uid\"][0]" "$WORK/show.json")
is "$(jq -r "${MD}[\"source.path\"][0]" "$WORK/show.json")" "$LOC;UIDVALIDITY=$UIDVALIDITY/;UID=$uid2" \
	"show: source.path names user, server, mailbox, UIDVALIDITY and UID"
for f in "$M1" "$M2" "$M3"; do dangan show --json "$(sha "$f")" | jq -r "${MD}[\"imap.uid\"][0]"; done | sort >"$WORK/uids1"
is "$(tr '\n' ' ' <"$WORK/uids1")" "1 2 3 " "show: imap.uid of the three messages are 1, 2, 3"
is "$(folder_shas "$MAILDIR" | wc -l | tr -d ' ')" 3 "after=leave: the messages stay on the server"
is "$(with_flag "$MAILDIR" S)" 0 "fetching did not mark any message \\Seen"
ls "$STORE"/state/imap/*.state >/dev/null 2>&1
ok $? "the state file is in the store's state directory"
grep -qx "uidvalidity $UIDVALIDITY" "$STORE"/state/imap/*.state && grep -qx 'done 1:3' "$STORE"/state/imap/*.state
ok $? "the state file remembers UIDVALIDITY and UIDs 1:3"

# ---- nothing new: nothing fetched -------------------------------------------------
dangan -v ingest --json -O "$CAOPT" "$LOC" >"$WORK/in2.json" 2>"$WORK/in2.err"
is "$?" 0 "second ingest, nothing new, exits 0"
is "$(summary "$WORK/in2.json" documents)" 0 "second ingest: no document fetched again"
grep -q 'fetched 0, skipped 3 as already fetched' "$WORK/in2.err"
ok $? "second ingest: the summary line says 3 skipped as already fetched"

# ---- two new messages: only they are fetched ------------------------------------------
deliver "$M4" "$M5"
dangan -v ingest --json -O "$CAOPT" "$LOC" >"$WORK/in3.json" 2>"$WORK/in3.err"
is "$?" 0 "third ingest exits 0"
is "$(summary "$WORK/in3.json" documents)" 2 "third ingest: exactly 2 documents"
is "$(summary "$WORK/in3.json" new)" 2 "third ingest: both new"
is "$(summary "$WORK/in3.json" duplicates)" 0 "third ingest: no duplicates"
is "$(jq -r 'select(.outcome) | .source' "$WORK/in3.json" | sed 's/.*;UID=//' | sort | tr '\n' ' ')" "4 5 " \
	"third ingest: UIDs 4 and 5"
grep -q 'fetched 2, skipped 3 as already fetched' "$WORK/in3.err"
ok $? "third ingest: the summary line says fetched 2, skipped 3"
is "$(dangan ls --json | jq length)" 5 "ls lists 5 documents"

# ---- after=flag ----------------------------------------------------------------------
deliver "$M6" "$M7"
dangan ingest --json -O "$CAOPT" -O imap.after=flag "$LOC" >"$WORK/in4.json" 2>"$WORK/in4.err"
is "$?" 0 "ingest with after=flag exits 0"
is "$(summary "$WORK/in4.json" new)" 2 "after=flag: 2 new documents"
flagged=$(for f in "$MAILDIR"/cur/*:2,*F*; do [ -f "$f" ] && sha "$f"; done | sort)
is "$(printf '%s\n' "$flagged" | tr '\n' ' ')" "$(for f in "$M6" "$M7"; do sha "$f"; done | sort | tr '\n' ' ')" \
	"after=flag: exactly the two messages of this run are \\Flagged"
is "$(with_flag "$MAILDIR" S)" 0 "after=flag: no message marked \\Seen"

# ---- max-message-size --------------------------------------------------------------
deliver "$BIG"
dangan ingest --json -O "$CAOPT" -O imap.max-message-size=16K "$LOC" >"$WORK/in5.json" 2>"$WORK/in5.err"
is "$?" 0 "a message over max-message-size: ingest exits 0"
is "$(summary "$WORK/in5.json" documents)" 0 "the large message is not fetched"
grep -q 'max-message-size' "$WORK/in5.err"
ok $? "the large message is reported"
dangan ingest --json -O "$CAOPT" "$LOC" >"$WORK/in6.json" 2>"$WORK/in6.err"
is "$(summary "$WORK/in6.json" new)" 1 "with the default limit the large message is fetched"
dangan cat "$(sha "$BIG")" >"$WORK/cat.out" && cmp -s "$WORK/cat.out" "$BIG"
ok $? "the large message is bit-exact"

# ---- after=move, with one message quarantined (a fresh store) ---------------------------
# the options come from the store's configuration this time; a stage
# that always fails quarantines the message with UID 2
S2="$WORK/store2"
cat >"$WORK/move.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<dangan xmlns="urn:dangan:config:1" default-pipeline="mail">
  <source plugin="imap">
    <option name="ca-file">$D/cert.pem</option>
    <option name="after">move</option>
    <option name="move-to">Archive</option>
    <option name="batch">3</option>
  </source>
  <pipeline name="mail">
    <stage id="fail" plugin="abi-fail" on-failure="quarantine">
      <match type="message/rfc822" meta="imap.uid=2"/>
    </stage>
  </pipeline>
</dangan>
EOF
ALL=$(for f in "$M1" "$M2" "$M3" "$M4" "$M5" "$M6" "$M7" "$BIG"; do sha "$f"; done | sort)
env DANGAN_PLUGIN_PATH="$DANGAN_PLUGIN_PATH:$DG_ABI_DIR" \
	"$DANGAN" -s "$S2" -c "$WORK/move.xml" ingest --json "$LOC" >"$WORK/mv1.json" 2>"$WORK/mv1.err"
is "$?" 1 "after=move with a quarantined message: ingest exits 1"
is "$(summary "$WORK/mv1.json" documents)" 7 "after=move: 7 documents committed"
is "$(summary "$WORK/mv1.json" quarantined)" 1 "after=move: 1 quarantined"
Q=$(dangan -s "$S2" quarantine ls --json | jq -r '.[0].id' | sed 's/^sha256://')
is "$(dangan -s "$S2" quarantine ls --json | jq -r '.[0].source' | sed 's/.*;UID=//')" 2 "the quarantined message is UID 2"
is "$(folder_shas "$MAILDIR" | tr '\n' ' ')" "$Q " "the inbox holds only the quarantined message"
is "$(folder_shas "$MAILDIR/.Archive")" "$(printf '%s\n' "$ALL" | grep -vx "$Q")" "Archive holds the 7 committed messages"
is "$(ids_of "$S2")" "$(printf '%s\n' "$ALL" | grep -vx "$Q")" "the store holds the 7 moved messages"
is "$(with_flag "$MAILDIR/.Archive" F)" 2 "the moved messages kept their \\Flagged"
env DANGAN_PLUGIN_PATH="$DANGAN_PLUGIN_PATH:$DG_ABI_DIR" \
	"$DANGAN" -s "$S2" -c "$WORK/move.xml" ingest --json "$LOC" >"$WORK/mv2.json" 2>"$WORK/mv2.err"
is "$?" 0 "after=move again: exits 0"
is "$(summary "$WORK/mv2.json" documents)" 0 "the quarantined message is not fetched again"
is "$(folder_shas "$MAILDIR" | tr '\n' ' ')" "$Q " "the quarantined message is still in the inbox, not moved"

# ---- the server's UIDVALIDITY changes: what was fetched is forgotten --------------------
sed -i 's/^uidvalidity .*/uidvalidity 12345/' "$STORE"/state/imap/*.state
dangan ingest --json -O "$CAOPT" "$LOC" >"$WORK/uv.json" 2>"$WORK/uv.err"
is "$?" 0 "after a UIDVALIDITY change: exit 0"
grep -q 'UIDVALIDITY changed' "$WORK/uv.err"
ok $? "the UIDVALIDITY change is reported"
is "$(summary "$WORK/uv.json" duplicates)" 1 "the inbox's message is fetched again: a duplicate, not a new document"
grep -qx "uidvalidity $UIDVALIDITY" "$STORE"/state/imap/*.state
ok $? "the state file has the server's UIDVALIDITY again"

# ---- credentials file, STARTTLS --------------------------------------------------------
S3="$WORK/store3"
printf 'tester:%s\n' "$PASS" >"$WORK/cred"
chmod 644 "$WORK/cred"
env -u DANGAN_IMAP_PASSWORD "$DANGAN" -s "$S3" ingest -O "$CAOPT" -O imap.credentials="$WORK/cred" \
	"imaps://localhost:$PORT/INBOX" >"$WORK/out" 2>"$WORK/err"
is "$?" 1 "a credentials file others may read: exit 1"
grep -q 'group or others' "$WORK/err"
ok $? "a credentials file others may read is refused with the reason"
chmod 600 "$WORK/cred"
env -u DANGAN_IMAP_PASSWORD "$DANGAN" -s "$S3" ingest --json -O "$CAOPT" -O imap.credentials="$WORK/cred" \
	"imaps://localhost:$PORT/INBOX" >"$WORK/cr.json" 2>"$WORK/err"
is "$?" 0 "user and password from a 0600 credentials file: exit 0"
is "$(summary "$WORK/cr.json" new)" 1 "credentials file: the inbox's message fetched"
printf '%s\n' "$PASS" >"$WORK/cred"
env -u DANGAN_IMAP_PASSWORD "$DANGAN" -s "$S3" ingest --json -O "$CAOPT" -O imap.credentials="$WORK/cred" \
	"imap://tester@localhost:$PORT2/INBOX" >"$WORK/st.json" 2>"$WORK/err"
is "$?" 0 "imap:// switches to TLS (STARTTLS); a password-only credentials file: exit 0"
is "$(summary "$WORK/st.json" documents)" 1 "imap:// with STARTTLS fetched the message"
grep 'Login: user=<tester>' "$D/dovecot.log" | tail -n 1 | grep -q ', TLS'
ok $? "the server saw the login over TLS"

# ---- refusals ---------------------------------------------------------------------------
S4="$WORK/store4"
check_fails "a password in the locator: exit 1" 1 dangan -s "$S4" ingest -O "$CAOPT" "imaps://tester:$PASS@localhost:$PORT/INBOX"
grep -q 'holds a password' "$WORK/err"
ok $? "a password in the locator is refused with the reason"
grep -qF "$PASS" "$WORK/err"
ok $((!$?)) "the refusal does not repeat the password"
check_fails "no ca-file: the self-signed certificate is not trusted, exit 1" 1 dangan -s "$S4" ingest "$LOC"
grep -qi 'certificate' "$WORK/err"
ok $? "the certificate problem is reported"
check_fails "after=bogus: exit 1" 1 dangan -s "$S4" ingest -O "$CAOPT" -O imap.after=bogus "$LOC"
grep -q 'leave, seen, flag or move' "$WORK/err"
ok $? "after=bogus is refused with the choices"
check_fails "after=move without move-to: exit 1" 1 dangan -s "$S4" ingest -O "$CAOPT" -O imap.after=move "$LOC"
grep -q 'move-to' "$WORK/err"
ok $? "after=move without move-to is refused with the reason"

# a server that offers no STARTTLS: imap:// fails before any login
python3 - "$WORK/fake.port" "$WORK/fake.log" <<'EOF' &
import socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
srv.settimeout(30)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
conn, _ = srv.accept()
conn.settimeout(10)
log = open(sys.argv[2], "wb")
conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN] clear text only\r\n")
for line in conn.makefile("rb"):
    log.write(line)
    log.flush()
    tag = line.split(b" ", 1)[0]
    if b"CAPABILITY" in line.upper():
        conn.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN\r\n" + tag + b" OK done\r\n")
    elif b"LOGOUT" in line.upper():
        conn.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
        break
    else:
        conn.sendall(tag + b" OK fine\r\n")
EOF
FAKE_PID=$!
i=0
while [ ! -f "$WORK/fake.port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check_fails "imap:// to a server without STARTTLS: exit 1" 1 dangan -s "$S4" ingest "imap://tester@localhost:$(cat "$WORK/fake.port")/INBOX"
grep -q 'STARTTLS' "$WORK/err"
ok $? "the missing STARTTLS is reported"
kill "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null
FAKE_PID=
grep -q 'CAPABILITY' "$WORK/fake.log"
ok $? "the client asked the server without STARTTLS for its capabilities"
grep -qiF "$PASS" "$WORK/fake.log" || grep -qi 'LOGIN\|AUTHENTICATE' "$WORK/fake.log"
ok $((!$?)) "the server without STARTTLS never saw a login or the password"

# last: a failed login makes dovecot slow down the next ones
check_fails "a wrong password: exit 1" 1 env DANGAN_IMAP_PASSWORD="wrong-$PASS" "$DANGAN" -s "$S4" ingest -O "$CAOPT" "$LOC"
grep -q 'AUTHENTICATIONFAILED\|Login denied\|Authentication failed' "$WORK/err"
ok $? "a wrong password is reported as a failed login"
sed 's/^/#   /' "$WORK/err"
is "$(dangan -s "$S4" ls --json | jq length)" 0 "nothing was committed by the refused runs"

# the password is nowhere: not in any store, not in any message
grep -rqF "$PASS" "$STORE" "$S2" "$S3" "$S4" "$WORK"/*.json "$WORK"/*.err
ok $((!$?)) "the password appears in no store, output or message"

stop_servers
done_testing
