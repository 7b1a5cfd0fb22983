"""CLI command list-plugins: what the hub says about its plugins (listPlugins)."""
from optparse import OptionParser

import koji
from koji.plugin import export_cli
from koji_cli.lib import ensure_connection, error


@export_cli
def anon_handle_list_plugins(options, session, args):
    "[info] List the hub's plugins with their metadata"
    parser = OptionParser(usage="%prog list-plugins [options]"
                          "\n(Specify the --help global option for a list of other help "
                          "options)")
    parser.add_option("-v", "--verbose", action="store_true",
                      help="also show exports, callbacks and where each was loaded from")
    opts, args = parser.parse_args(args)
    if args:
        parser.error("This command takes no arguments")
    ensure_connection(session, options)
    try:
        plugins = session.listPlugins()
    except koji.GenericError as exc:
        if 'Invalid method' not in str(exc):
            raise
        error("The hub does not list its plugins (none are loaded, or it is too old)")
    for info in plugins:
        meta = info.get('metadata') or {}
        title = meta.get('display_name') or info['name']
        if meta.get('version'):
            title = '%s %s' % (title, meta['version'])
        print('%-20s %-12s %s' % (info['name'], info.get('source', '?'), title))
        if meta.get('description'):
            print('    %s' % meta['description'])
        if opts.verbose:
            print('    from: %s' % info.get('location', '?'))
            print('    exports: %s' % (', '.join(info.get('exports') or []) or '-'))
            print('    callbacks: %s' % (', '.join(info.get('callbacks') or []) or '-'))
            print('    validates config: %s' % ('yes' if info.get('validates_config')
                                                else 'no'))
