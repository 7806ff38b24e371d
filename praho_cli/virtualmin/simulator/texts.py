"""Fixed texts the simulator prints: usage blocks, remote.cgi help, miniserv error pages.

Texts marked CAPTURED are byte-for-byte what Virtualmin GPL 8.1.0 / Webmin 2.660 printed (the capture
file is named beside each). Texts marked RECONSTRUCTED were not captured; they follow the shape of the
captured ones and docs/virtualmin-protocol.md.
"""

from __future__ import annotations

# CAPTURED: cli_create-domain_missing-domain.txt (everything after the error line and its separator)
USAGE_CREATE_DOMAIN = (
    'Adds a new Virtualmin virtual server, with the settings and features\n'
    'specified on the command line.\n'
    '\n'
    'virtualmin create-domain --domain domain.name\n'
    '                         --pass "password-for-new-domain" |\n'
    '                         --passfile password-file\n'
    '                        [--hashpass]\n'
    '                        [--parent domain.name | --alias domain.name |\n'
    '                         --alias-with-mail domain.name |\n'
    '                         --alias-with-dns domain.name |\n'
    '                         --superdom domain.name]\n'
    '                        [--desc description-for-domain]\n'
    '                        [--email contact-email]\n'
    '                        [--user new-unix-user]\n'
    '                        [--group new-unix-group]\n'
    '                        [--unix]\n'
    '                        [--dir]\n'
    '                        [--default-features] | [--features-from-plan]\n'
    '                        [--allocate-ip | --ip virtual.ip.address |\n'
    '                         --shared-ip existing.ip.address]\n'
    '                        [--ip-already]\n'
    '                        [--dns-ip address | --no-dns-ip]\n'
    '                        [--dns-ip6 address | --no-dns-ip6]\n'
    '                        [--max-doms domains|*]\n'
    '                        [--max-aliasdoms domains]\n'
    '                        [--max-realdoms domains]\n'
    '                        [--max-mailboxes boxes]\n'
    '                        [--max-dbs databases]\n'
    '                        [--max-aliases aliases]\n'
    '                        [--template "name"]\n'
    '                        [--plan "name"]\n'
    '                        [--limits-from-plan]\n'
    '                        [--suffix username-prefix]\n'
    '                        [--db database-name]\n'
    '                        [--fwdto email-address]\n'
    '                        [--reseller name]\n'
    '                        [--skip-warnings]\n'
    '                        [--acme]\n'
    '                        [--acme-always]\n'
    '                        [--acme-never]\n'
    '                        [--field-name value]*\n'
    '                        [--enable-jail | --disable-jail]\n'
    '                        [--mysql-server hostname]\n'
    '                        [--postgres-server hostname]\n'
    '                        [--cloud-dns provider|"services"|"local"]\n'
    '                        [--separate-dns-subdomain |\n'
    '                         --any-dns-subdomain]\n'
    '                        [--break-ssl-cert | --link-ssl-cert]\n'
    '                        [--ssl-redirect]\n'
    '                        [--generate-ssl-cert]\n'
    '                        [--generate-ssh-key | --use-ssh-key file|data]\n'
    '                        [--append-style format]\n'
    '                        [--shell command]\n'
    '                        [--subprefix directory]\n'
    '                        [--proxy url]\n'
)

# CAPTURED: cli_delete-domain_not-found.txt (everything after the error line and its separator)
USAGE_DELETE_DOMAIN = (
    'Deletes an existing Virtualmin virtual server and all sub-servers,\n'
    'mailboxes and alias domains.\n'
    '\n'
    'virtualmin delete-domain [--domain domain.name]*\n'
    '                         [--user username]*\n'
    '                         [--only]\n'
    '                         [--preserve-remote]\n'
)

# CAPTURED: cli_disable-domain_not-found.txt (everything after the error line and its separator)
USAGE_DISABLE_DOMAIN = (
    'Disables all features in the specified virtual server.\n'
    '\n'
    'virtualmin disable-domain --domain domain.name\n'
    '                         [--why "explanation for disable"]\n'
    '                         [--subservers]\n'
    '                         [--feature name]*\n'
    '                         [--schedule days|timestamp|none]\n'
)

# CAPTURED: cli_enable-domain_already-enabled.txt (everything after the error line and its separator)
USAGE_ENABLE_DOMAIN = (
    'Enables all disabled features in the specified virtual server.\n'
    '\n'
    'virtualmin enable-domain --domain domain.name\n'
    '                        [--subservers]\n'
)

# CAPTURED: cli_list-domains_unknown-flag.txt (everything after the error line and its separator)
USAGE_LIST_DOMAINS = (
    'Lists the virtual servers on this system.\n'
    '\n'
    'virtualmin list-domains [--multiline | --simple-multiline |\n'
    '                         --json | --xml]\n'
    '                        [--name-only | --id-only | --user-only |\n'
    '                         --home-only | --file-only | --ip-only]\n'
    '                        [--domain name]*\n'
    '                        [--user name]*\n'
    '                        [--mail-user name]*\n'
    '                        [--id number]*\n'
    '                        [--with-feature feature]\n'
    '                        [--without-feature feature]\n'
    '                        [--with-web] [--with-ssl]\n'
    '                        [--alias domain | --no-alias]\n'
    '                        [--subserver | --toplevel | --subdomain]\n'
    '                        [--parent domain]\n'
    '                        [--plan ID|name]\n'
    '                        [--template ID|name]\n'
    '                        [--disabled | --enabled]\n'
    '                        [--php-mode cgi|fcgid|fpm|mod_php]\n'
    '                        [--ip address]\n'
)

# CAPTURED: http_no-program.json (remote.cgi called without any parameter)
REMOTE_HELP = (
    'This CGI is designed to be invoked by other programs wanting\n'
    'to perform some Virtualmin action programatically, such as\n'
    'creating or modifying domains and users.\n'
    '\n'
    "You must supply at least the CGI parameter 'program', which\n"
    'specifies which of the Virtualmin command-line scripts to\n'
    'run. You must also supply appropriate parameters to the\n'
    'program, similar to those that it accepts on the Unix command\n'
    'line. For example, the change the password for a server, you\n'
    'would request a URL like :\n'
    '\n'
    'http://yourserver:10000/virtual-server/remote.cgi?program=modify-domain&domain=foo.com&pas'
    's=somenewpassword\n'
    '\n'
    'All output from the command will be returned to the caller.\n'
)

# CAPTURED: http_auth_bad-password.json (same body for no auth and unknown user)
UNAUTHORIZED_HTML = (
    '<html>\n'
    '<head>\n'
    '<style data-err type="text/css">.err-head,.err-content,.err-body { font-family: Lucida Con'
    'sole, Courier, monospace;}.err-head { color: #f12b2b; font-size: 14px; font-weight: 500; p'
    'adding: 5px 2.5px 0; text-transform: uppercase; transform: scale(1, 1.5); white-space: pre'
    '-wrap;}.err-content { padding-left: 2.5px; white-space: pre-wrap;}.err-content,.err-body {'
    ' font-size: 12.5px;}.err-head[data-fatal-error-text] { padding: 0;}.err-stack caption,.err'
    '-stack > tbody > tr:first-child > td > b { color: #151515; font-weight: bold; text-align: '
    'left;}.err-stack > tbody > tr:first-child > td > b { border-bottom: 1px solid #151515;}.er'
    'r-stack > tbody > tr:first-child>td { font-family: unset; font-size: 14px; height: 25px; t'
    'ext-transform: uppercase; transform: scale(1, 1.2); vertical-align: top;}.err-stack { bord'
    'er: 1px dashed #151515}.err-stack.captured { margin-left: 12px; width: auto}.err-stack tr '
    'td { font-family: Lucida Console, Courier, monospace; font-size: 13px; padding: 1px 10px; '
    'transform: scale(1, 1.15);}.err-stack tr:not(:first-child) td.captured { font-size: 90%;}.'
    'err-stack > tr:first-child > td.captured { font-size: 96%; padding-bottom: 7px; padding-to'
    'p: 3px;}.err-stack caption.err-head { padding:0 0 10px 0;}.err-stack caption.err-head.capt'
    'ured { color: #222; font-size:98%;}</style>\n'
    '<title>401 &mdash; Unauthorized</title></head>\n'
    '<body><h2 class="err-head">401 &mdash; Unauthorized</h2>\n'
    '<p class="err-content">A password is required to access this web server. Please try again.</p> <p>\n'
    '</body></html>\n'
)


# RECONSTRUCTED (not captured): shape of the captured usage blocks, flags from docs/virtualmin-protocol.md §2.6.
USAGE_MODIFY_DOMAIN = (
    'Changes the settings for a Virtualmin server, such as the password,\n'
    'description, quota and plan.\n'
    '\n'
    'virtualmin modify-domain --domain domain.name\n'
    '                        [--desc new-description]\n'
    '                        [--user new-username]\n'
    '                        [--pass "new-password" | --passfile password-file]\n'
    '                        [--email new-email]\n'
    '                        [--quota new-quota|UNLIMITED]\n'
    '                        [--uquota new-unix-quota|UNLIMITED]\n'
    '                        [--bw bytes|NONE]\n'
    '                        [--newdomain new-name]\n'
    '                        [--template name|id]\n'
    '                        [--plan name|id | --apply-plan name|id]\n'
    '                        [--plan-features]\n'
)

# RECONSTRUCTED (not captured): flags from docs/virtualmin-protocol.md §2.7.
USAGE_LIST_PLANS = (
    'Lists the account plans available to this system.\n'
    '\n'
    'virtualmin list-plans [--multiline | --json | --xml]\n'
    '                      [--name-only | --id-only]\n'
    '                      [--id number]*\n'
    '                      [--name "plan name"]*\n'
)

# RECONSTRUCTED (not captured): flags from docs/virtualmin-protocol.md §2.8.
USAGE_LIST_TEMPLATES = (
    'Lists the server templates available to this system.\n'
    '\n'
    'virtualmin list-templates [--multiline | --json | --xml]\n'
    '                          [--name-only]\n'
    '                          [--deleted]\n'
)

# RECONSTRUCTED (not captured): what `virtualmin` alone or `virtualmin help` prints (its command list,
# reduced to the programs the simulator knows).
CLI_HELP = (
    'usage: virtualmin <command> <args>\n'
    '   or: virtualmin help <command>\n'
    '\n'
    'Available commands:\n'
    '\n'
    '  create-domain   Creates a new virtual server\n'
    '  delete-domain   Deletes a virtual server\n'
    '  disable-domain  Disables a virtual server\n'
    '  enable-domain   Enables a virtual server\n'
    '  info            Shows system information\n'
    '  list-domains    Lists virtual servers\n'
    '  list-plans      Lists account plans\n'
    '  list-templates  Lists server templates\n'
    '  modify-domain   Changes a virtual server\n'
)
