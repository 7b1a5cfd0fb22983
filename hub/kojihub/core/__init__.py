"""Hub machinery: database, dispatcher, config, handler registry, plugins, sessions,
policy, events and history."""
