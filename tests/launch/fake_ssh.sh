#!/bin/sh
# Stands in for ssh in the launcher tests (MLX_LAUNCH_SSH): runs the remote
# command here, the way sshd hands it to the user's shell.
host=$1
shift
echo "fake_ssh: connected to $host" >&2
exec sh -c "$*"
