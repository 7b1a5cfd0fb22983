"""Commands about the client itself and raw hub access: version, greetings, call, help."""
import ast
import json
import pprint
import random
import re
from optparse import SUPPRESS_HELP, OptionParser

import koji
from koji.xmlrpcplus import DateTime
from koji_cli.lib import (
    activate_session,
    arg_filter,
    categories,
    ensure_connection,
    get_usage_str,
    greetings,
)

# NAME=VALUE words of ``call`` become keyword arguments
_KWARG_RE = re.compile(r'^([^\W0-9]\w*)=(.*)$')


def handle_version(goptions, session, args):
    "[misc] Show the client and hub versions"
    # no option parser on purpose: any arguments are ignored
    print("Client: %s" % koji.__version__)
    ensure_connection(session, goptions)
    try:
        version = session.getKojiVersion()
    except koji.GenericError:
        # getKojiVersion appeared in hub 1.23
        print("Hub:    Can't determine (older than 1.23)")
    else:
        print("Hub:    %s" % version)


def handle_moshimoshi(goptions, session, args):
    "[misc] Say hello and show who you are logged in as"
    parser = OptionParser(usage=get_usage_str("usage: %prog moshimoshi [options]"))
    opts, args = parser.parse_args(args)
    if args:
        parser.error("This command takes no arguments")
    activate_session(session, goptions)
    user = session.getLoggedInUser()
    if not user:
        print("Not authenticated")
        user = {'name': 'anonymous user'}
    print("%s, %s!" % (random.choice(greetings), user['name']))
    print("")
    print("You are using the hub at %s (Koji %s)" % (session.baseurl, session.hub_version_str))
    authtype = user.get('authtype', getattr(session, 'authtype', None))
    if authtype == koji.AUTHTYPES['NORMAL']:
        print("Authenticated via password")
    elif authtype == koji.AUTHTYPES['GSSAPI']:
        print("Authenticated via GSSAPI")
    elif authtype == koji.AUTHTYPES['KERBEROS']:
        print("Authenticated via Kerberos principal %s" % user.get('krb_principal'))
    elif authtype == koji.AUTHTYPES['SSL']:
        print("Authenticated via client certificate %s" % goptions.cert)


class _DateTimeJSONEncoder(json.JSONEncoder):
    """XML-RPC DateTime values have no JSON form; show their text instead."""

    def default(self, o):
        if isinstance(o, DateTime):
            return str(o)
        return super().default(o)


def handle_call(goptions, session, args):
    "[misc] Run any hub call and print the result"
    usage = "usage: %prog call [options] <name> [<arg> ...]"
    usage += "\n\nArguments of the form NAME=VALUE are passed as keyword arguments."
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("-p", "--python", action="store_true", default=False,
                      help="read the arguments as Python literals")
    parser.add_option("--kwargs",
                      help="a dict of keyword arguments (Python literal, or JSON with "
                           "--json-input)")
    parser.add_option("-j", "--json", action="store_true", default=False,
                      help="use JSON for both the arguments and the result")
    parser.add_option("--json-input", action="store_true", default=False,
                      help="read the arguments as JSON")
    parser.add_option("--json-output", action="store_true", default=False,
                      help="print the result as JSON")
    parser.add_option("-b", "--bare-strings", action="store_true", default=False,
                      help="pass values that do not parse as plain strings")
    options, args = parser.parse_args(args)
    if len(args) < 1:
        parser.error("Please specify the name of the XML-RPC method")
    if options.json:
        options.json_input = options.json_output = True
    if options.python and options.json_input:
        parser.error("The --python option conflicts with using --json-input")
    if options.kwargs and not options.json_input:
        options.python = True
    if options.python:
        convert = ast.literal_eval
    elif options.json_input:
        convert = json.loads
    else:
        convert = arg_filter

    def parse(text):
        try:
            return convert(text)
        except (ValueError, SyntaxError, TypeError):
            if options.bare_strings:
                return text
            parser.error("Invalid value: %r" % text)

    name = args[0]
    call_args = []
    call_kwargs = {}
    if options.kwargs:
        call_kwargs = parse(options.kwargs)
        if not isinstance(call_kwargs, dict):
            parser.error("Invalid value: %r" % options.kwargs)
    for arg in args[1:]:
        match = _KWARG_RE.match(arg)
        if match:
            call_kwargs[match.group(1)] = parse(match.group(2))
        else:
            call_args.append(parse(arg))
    activate_session(session, goptions)
    result = session.callMethod(name, *call_args, **call_kwargs)
    if options.json_output:
        print(json.dumps(result, indent=2, separators=(',', ': '), cls=_DateTimeJSONEncoder))
    else:
        pprint.pprint(result)


def _argdesc(method):
    """Signature text for a _listapi entry; old hubs send only ``args``."""
    if 'argdesc' in method:
        return method['argdesc']
    parts = []
    for arg in method.get('args') or []:
        if isinstance(arg, str):
            parts.append(arg)
        else:
            parts.append('%s=%s' % (arg[0], arg[1]))
    return '(%s)' % ', '.join(parts)


def anon_handle_list_api(goptions, session, args):
    "[info] Show the hub API methods"
    parser = OptionParser(usage=get_usage_str("usage: %prog list-api [options] [method_name ...]"))
    options, args = parser.parse_args(args)
    ensure_connection(session, goptions)
    if args:
        for name in args:
            text = session.system.methodHelp(name)
            if not text:
                parser.error("Unknown method: %s" % name)
            print(text)
        return
    for method in sorted(session._listapi(), key=lambda m: m['name']):
        print('%s%s' % (method['name'], _argdesc(method)))
        if method.get('doc'):
            print("  description: %s" % method['doc'])


def handle_help(goptions, session, args):
    "[info] List the commands, optionally only some categories"
    # imported here: main imports this module while it builds the command table
    from koji_cli.main import list_commands
    parser = OptionParser(usage=get_usage_str("usage: %prog help <category> ..."))
    parser.add_option("--admin", action="store_true", help=SUPPRESS_HELP)
    options, args = parser.parse_args(args)
    chosen = set(args)
    if options.admin:
        chosen.add('admin')
    for name in sorted(chosen - set(categories) - set(['all'])):
        print("No such help category: %s" % name)
    list_commands(chosen or None)
