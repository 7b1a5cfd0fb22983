"""CLI command of the example package: example-greet."""
from optparse import OptionParser

from koji.plugin import export_cli
from koji_cli.lib import ensure_connection


@export_cli
def anon_handle_example_greet(options, session, args):
    "[misc] Ask the hub's example plugin for a greeting"
    parser = OptionParser(usage="%prog example-greet [options] <name>")
    parser.add_option("--tag", help="use this tag's plugin.example.* settings")
    opts, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("give one name")
    ensure_connection(session, options)
    print(session.exampleGreeting(args[0], tag=opts.tag)['text'])
