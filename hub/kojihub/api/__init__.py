"""The exported facades (RootExports, HostExports) and the calls that belong to no domain."""
