"""Users, groups, Kerberos principals and permissions."""
