"""koji-shadow: copy the builds of a remote Koji tag onto the local hub, by importing them
or by rebuilding them in a buildroot that matches the remote one."""
