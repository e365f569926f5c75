/**
 * The support door's bridge: the only program a support account on a host ever runs. It is the
 * account's login shell, and every support key's forced command (`restrict,command="truffles-door
 * NAME"`), so whatever the client asks — a shell, a command, sftp, scp — sshd runs this instead, as
 * `truffles-door -c "truffles-door NAME"`, with what was asked in `$SSH_ORIGINAL_COMMAND`: the
 * console asks for `truffles-door`, and anything else is refused before the agent is reached. It takes the person's name from that forced command
 * (written by the console into a root-owned authorized_keys, never from the client), connects to
 * the host agent's support socket, writes the door's first frame naming the person, then carries
 * bytes both ways until either side ends. Anything else it was started for is refused.
 *
 * Perl, because perl-base is Essential on Debian (and present on every other Linux the platform
 * runs on) and has Unix sockets and select in its core; no build, no download.
 *
 * `@SOCKET@` is replaced with the support socket's path when it is installed.
 */
export const DOOR_SCRIPT = `#!/usr/bin/perl
# truffles-door: the support account's only program (installed by Truffles Console; do not edit).
use strict;
use warnings;
use IO::Socket::UNIX;
use IO::Select;
use Socket qw(SOCK_STREAM);

my $socket_path = '@SOCKET@';
my $cmd = (@ARGV == 2 && $ARGV[0] eq '-c') ? $ARGV[1] : '';
my ($name) = $cmd =~ /\\Atruffles-door ([a-z0-9][a-z0-9._-]{0,63})\\z/;
if (!defined $name) {
  print STDERR "truffles: this account serves only the support door of Truffles Console; nothing else runs here.\\n";
  exit 1;
}
# What the client asked for (sshd keeps it aside when it runs the forced command): the console asks
# for the door by name; a shell (nothing asked), sftp, scp or any other command is refused.
my $asked = $ENV{SSH_ORIGINAL_COMMAND};
if (!defined $asked || $asked ne 'truffles-door') {
  print STDERR "truffles: this account serves only the support door of Truffles Console; nothing else runs here.\\n";
  exit 1;
}
my $door = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $socket_path);
if (!$door) {
  print STDERR "truffles: the host agent's support door is not answering ($socket_path): ask an operator to install the agent.\\n";
  exit 2;
}
binmode STDIN;
binmode STDOUT;
binmode $door;
sub put {
  my ($fh, $data) = @_;
  while (length $data) {
    my $n = syswrite($fh, $data);
    return 0 if !defined $n;
    substr($data, 0, $n, '');
  }
  return 1;
}
put($door, '{"door":{"actor":"' . $name . '"}}' . "\\n") or exit 3;
my $sel = IO::Select->new(\\*STDIN, $door);
while (my @ready = $sel->can_read) {
  for my $fh (@ready) {
    my $buf;
    my $n = sysread($fh, $buf, 65536);
    if ($fh == $door) {
      exit 0 if !$n;
      put(\\*STDOUT, $buf) or exit 0;
    } elsif (!$n) {
      $sel->remove(\\*STDIN);
      shutdown($door, 1);
    } else {
      put($door, $buf) or exit 0;
    }
  }
}
exit 0;
`;

export function doorScript(socketPath: string): string {
  if (!/^\/[A-Za-z0-9._/-]+$/.test(socketPath)) throw new Error(`not a plain absolute path: ${socketPath}`);
  return DOOR_SCRIPT.replace('@SOCKET@', socketPath);
}
