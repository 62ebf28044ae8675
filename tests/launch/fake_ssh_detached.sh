#!/bin/sh
# Like fake_ssh.sh, but the "remote" command runs in a session of its own,
# as it would on another machine: signals the launcher sends to this
# stand-in do not reach it. Only the closing of its stdin (the launcher's
# pipe to ssh) can stop it.
shift
# A background job's stdin would be /dev/null: keep ours on fd 3.
exec 3<&0
setsid -w sh -c "$*" <&3 3<&- &
exec 3<&-
wait $!
