"""Commands for build hosts and channels."""
from optparse import SUPPRESS_HELP, OptionParser

import koji
from koji_cli.lib import activate_session, ensure_connection, error, get_usage_str, warn

# buildroot states hostinfo reports as active
_ACTIVE_BR_STATES = ('INIT', 'WAITING', 'BUILDING')


def _truncate(text, length=47):
    """One-line cell for table columns: newlines flattened, long text cut with '...'."""
    if not text:
        return ''
    text = text.replace('\n', ' ')
    if len(text) > length:
        return text[:length] + '...'
    return text


def _yes_no(value, yes='Y', no='N'):
    return yes if value else no


def _missing(session, method, names, **kw):
    """Names the hub does not know, looked up in one multicall."""
    with session.multicall() as m:
        calls = [(name, getattr(m, method)(name, **kw)) for name in names]
    return [name for name, call in calls if not call.result]


def handle_add_host(goptions, session, args):
    "[admin] Register a new build host"
    usage = "usage: %prog add-host [options] <hostname> <arch> [<arch> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--krb-principal",
                      help="Kerberos principal of the host, instead of the hub's default")
    parser.add_option("--force", action="store_true", default=False,
                      help="turn an existing ordinary user of this name into the host user")
    options, args = parser.parse_args(args)
    if len(args) < 2:
        parser.error("Please specify a hostname and at least one arch")
    host = args[0]
    activate_session(session, goptions)
    if session.getHost(host):
        error("%s is already in the database" % host)
    kwargs = {'force': options.force}
    if options.krb_principal is not None:
        kwargs['krb_principal'] = options.krb_principal
    host_id = session.addHost(host, args[1:], **kwargs)
    if host_id:
        print("%s added: id %d" % (host, host_id))


def handle_edit_host(goptions, session, args):
    "[admin] Change the settings of build hosts"
    usage = "usage: %prog edit-host <hostname> [<hostname> ...] [options]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--arches", help="supported arches, separated by spaces or commas")
    parser.add_option("--capacity", type="float", help="how much work the host takes on")
    parser.add_option("--description", metavar="DESC", help="a description of the host")
    parser.add_option("--comment", help="a short note about the host")
    options, args = parser.parse_args(args)
    if not args:
        parser.error("Please specify a hostname")
    activate_session(session, goptions)
    changes = {}
    for key in ('arches', 'capacity', 'description', 'comment'):
        value = getattr(options, key)
        if value is not None:
            changes[key] = value
    if 'arches' in changes:
        changes['arches'] = koji.parse_arches(changes['arches'])
    missing = _missing(session, 'getHost', args)
    for host in missing:
        warn("No such host: %s" % host)
    if missing:
        error("No changes made, please correct the command line")
    with session.multicall() as m:
        calls = [(host, m.editHost(host, **changes)) for host in args]
    for host, call in calls:
        if call.result:
            print("Edited %s" % host)
        else:
            print("No changes made to %s" % host)


def _set_hosts_enabled(goptions, session, args, enable):
    action = 'enabled' if enable else 'disabled'
    usage = "usage: %%prog %s-host [options] <hostname> [<hostname> ...]" % action[:-1]
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--comment", help="why the hosts are being %s" % action)
    options, args = parser.parse_args(args)
    if not args:
        parser.error("At least one host must be specified")
    activate_session(session, goptions)
    missing = _missing(session, 'getHost', args)
    for host in missing:
        print("No such host: %s" % host)
    if missing:
        error("No changes made. Please correct the command line.")
    with session.multicall() as m:
        for host in args:
            if enable:
                m.enableHost(host)
            else:
                m.disableHost(host)
        if options.comment is not None:
            for host in args:
                m.editHost(host, comment=options.comment)


def handle_enable_host(goptions, session, args):
    "[admin] Let build hosts take tasks again"
    _set_hosts_enabled(goptions, session, args, True)


def handle_disable_host(goptions, session, args):
    "[admin] Stop build hosts from taking tasks"
    _set_hosts_enabled(goptions, session, args, False)


def handle_add_host_to_channel(goptions, session, args):
    "[admin] Subscribe a build host to a channel"
    usage = "usage: %prog add-host-to-channel [options] <hostname> <channel>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--list", action="store_true", help=SUPPRESS_HELP)
    parser.add_option("--new", action="store_true", help="create the channel when missing")
    parser.add_option("--force", action="store_true",
                      help="add the host even where the hub would refuse (disabled channel)")
    options, args = parser.parse_args(args)
    if not options.list and len(args) != 2:
        parser.error("Please specify a hostname and a channel")
    activate_session(session, goptions)
    if options.list:
        for channel in session.listChannels():
            print(channel['name'])
        return
    host, channel = args
    if not options.new and not session.getChannel(channel):
        error("No such channel: %s" % channel)
    if not session.getHost(host):
        error("No such host: %s" % host)
    kwargs = {}
    if options.new:
        kwargs['create'] = True
    if options.force:
        kwargs['force'] = True
    session.addHostToChannel(host, channel, **kwargs)


def handle_remove_host_from_channel(goptions, session, args):
    "[admin] Unsubscribe a build host from a channel"
    usage = "usage: %prog remove-host-from-channel [options] <hostname> <channel>"
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    if len(args) != 2:
        parser.error("Please specify a hostname and a channel")
    host, channel = args
    activate_session(session, goptions)
    info = session.getHost(host)
    if not info:
        error("No such host: %s" % host)
    if channel not in [c['name'] for c in session.listChannels(info['id'])]:
        error("Host %s is not a member of channel %s" % (host, channel))
    session.removeHostFromChannel(host, channel)


def _add_enabled_filters(parser, what):
    parser.add_option("--enabled", action="store_true", help="only enabled %s" % what)
    parser.add_option("--not-enabled", action="store_false", dest="enabled",
                      help="only disabled %s" % what)
    parser.add_option("--disabled", action="store_false", dest="enabled",
                      help="the same as --not-enabled")


def _fill_update_from_sessions(session, hosts):
    """Hubs whose host records lack update_ts: ask for each host's last check-in."""
    with session.multicall() as m:
        calls = [m.getLastHostUpdate(host['id'], ts=True) for host in hosts]
    for host, call in zip(hosts, calls):
        host['update_ts'] = call.result


def anon_handle_list_hosts(goptions, session, args):
    "[info] Show a table of build hosts"
    usage = "usage: %prog list-hosts [options]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--arch", action="append", default=[],
                      help="only hosts of this arch (may be repeated)")
    parser.add_option("--channel", help="only hosts in this channel")
    parser.add_option("--ready", action="store_true", help="only ready hosts")
    parser.add_option("--not-ready", action="store_false", dest="ready",
                      help="only hosts that are not ready")
    _add_enabled_filters(parser, 'hosts')
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="leave out the header")
    parser.add_option("--show-channels", action="store_true",
                      help="add a column with each host's channels")
    parser.add_option("--comment", action="store_true", help="add a comment column")
    parser.add_option("--description", action="store_true",
                      help="add a description column")
    options, args = parser.parse_args(args)
    ensure_connection(session, goptions)
    opts = {}
    if options.arch:
        opts['arches'] = options.arch
    if options.channel:
        channel = session.getChannel(options.channel)
        if not channel:
            parser.error('No such channel: %s' % options.channel)
        opts['channelID'] = channel['id']
    if options.ready is not None:
        opts['ready'] = options.ready
    if options.enabled is not None:
        opts['enabled'] = options.enabled
    hosts = sorted(session.listHosts(**opts), key=lambda h: h['name'])
    if not hosts:
        warn("No hosts found.")
        return
    if 'update_ts' not in hosts[0]:
        _fill_update_from_sessions(session, hosts)
    for host in hosts:
        host['update'] = koji.formatTimeLong(host['update_ts']) if host['update_ts'] else '-'
        host['enabled'] = _yes_no(host['enabled'])
        host['ready'] = _yes_no(host['ready'])
        host['arches'] = ','.join((host['arches'] or '').split())
        host['description'] = _truncate(host.get('description'))
        host['comment'] = _truncate(host.get('comment'))
    if options.show_channels:
        with session.multicall() as m:
            calls = [m.listChannels(host['id']) for host in hosts]
        for host, call in zip(hosts, calls):
            names = []
            for chan in call.result:
                # hubs that know channel states mark the disabled ones
                if chan.get('enabled', True):
                    names.append(chan['name'])
                else:
                    names.append('*' + chan['name'])
            host['channels'] = ','.join(sorted(names))
    width = max(len(host['name']) for host in hosts)
    if not options.quiet:
        header = "{0:<{1}} Enb Rdy Load/Cap  Arches           Last Update" \
                 "                         ".format('Hostname', width)
        if options.description:
            header += "Description".ljust(51)
        if options.comment:
            header += "Comment".ljust(51)
        if options.show_channels:
            header += "Channels"
        print(header)
        print('-' * len(header))
    mask = ("%%(name)-%ds %%(enabled)-3s %%(ready)-3s %%(task_load)4.1f/%%(capacity)-4.1f "
            "%%(arches)-16s %%(update)-35s" % width)
    if options.description:
        mask += " %(description)-50s"
    if options.comment:
        mask += " %(comment)-50s"
    if options.show_channels:
        mask += " %(channels)s"
    for host in hosts:
        print(mask % host)


def _print_block(label, text):
    """'Label: first line', later lines indented under the first one."""
    if not text:
        print("%s:" % label)
        return
    lines = text.splitlines()
    print("%s: %s" % (label, lines[0]))
    for line in lines[1:]:
        print("%s%s" % (" " * (len(label) + 2), line))


def anon_handle_hostinfo(goptions, session, args):
    "[info] Show the details of build hosts"
    usage = "usage: %prog hostinfo [options] <hostname> [<hostname> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    if not args:
        parser.error("Please specify a host")
    ensure_connection(session, goptions)
    failed = False
    for host in args:
        if host.isdigit():
            host = int(host)
        info = session.getHost(host)
        if info is None:
            warn("No such host: %s\n" % host)
            failed = True
            continue
        print("Name: %(name)s" % info)
        print("ID: %(id)d" % info)
        print("Arches: %(arches)s" % info)
        print("Capacity: %(capacity)s" % info)
        print("Task Load: %(task_load).2f" % info)
        _print_block("Description", info['description'])
        _print_block("Comment", info['comment'])
        print("Enabled: %s" % _yes_no(info['enabled'], 'yes', 'no'))
        print("Ready: %s" % _yes_no(info['ready'], 'yes', 'no'))
        if 'update_ts' not in info:
            _fill_update_from_sessions(session, [info])
        with session.multicall() as m:
            channels = m.listChannels(hostID=info['id'])
            buildroots = [(state, m.listBuildroots(hostID=info['id'],
                                                   state=koji.BR_STATES[state]))
                          for state in _ACTIVE_BR_STATES]
        # the host's own check-in time (host.updateHost), not its session's last use
        if info['update_ts'] is None:
            print("Last Update: never")
        else:
            print("Last Update: %s" % koji.formatTimeLong(info['update_ts']))
        print("Channels: %s" % ' '.join(c['name'] for c in channels.result))
        print("Active Buildroots:")
        rows = [('NAME', 'STATE', 'CREATION TIME')]
        for state, call in buildroots:
            for br in call.result:
                created = br['create_event_time']
                rows.append(("%s-%s-%s" % (br['tag_name'], br['id'], br['repo_id']), state,
                             created[:created.find('.')]))
        if len(rows) > 1:
            for row in rows:
                print("%-50s %-10s %-20s" % row)
        else:
            print("None")
    if failed:
        error()


def anon_handle_list_channels(goptions, session, args):
    "[info] Show a table of channels and their hosts"
    usage = "usage: %prog list-channels [options]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--simple", action="store_true", default=False,
                      help="print only the channel names")
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="leave out the header")
    parser.add_option("--comment", action="store_true", help="add a comment column")
    parser.add_option("--description", action="store_true",
                      help="add a description column")
    _add_enabled_filters(parser, 'channels')
    parser.add_option("--arch", help="count only the hosts of this arch")
    options, args = parser.parse_args(args)
    ensure_connection(session, goptions)
    opts = {}
    if options.enabled is not None:
        opts['enabled'] = options.enabled
    try:
        channels = session.listChannels(**opts)
    except koji.ParameterError:
        # hubs without the enabled filter
        channels = session.listChannels()
    channels = sorted(channels, key=lambda c: c['name'])
    first = channels[0] if channels else {}
    with session.multicall() as m:
        calls = []
        for chan in channels:
            if options.arch is not None:
                calls.append(m.listHosts(channelID=chan['id'], arches=options.arch))
            else:
                calls.append(m.listHosts(channelID=chan['id']))
    for chan, call in zip(channels, calls):
        hosts = call.result
        chan['enabled_host'] = len([h for h in hosts if h['enabled']])
        chan['disabled'] = len(hosts) - chan['enabled_host']
        chan['ready'] = len([h for h in hosts if h['ready']])
        chan['capacity'] = sum(h['capacity'] for h in hosts)
        chan['load'] = sum(h['task_load'] for h in hosts)
        for key in ('comment', 'description'):
            if key in first:
                chan[key] = _truncate(chan[key])
        if chan['capacity']:
            chan['perc_load'] = chan['load'] / chan['capacity'] * 100.0
        else:
            chan['perc_load'] = 0.0
        if 'enabled' in first and not chan['enabled']:
            chan['name'] += ' [disabled]'
    width = max([len(c['name']) for c in channels]) if channels else 8
    if options.simple:
        if not options.quiet:
            print('Channel')
            print('-' * len('Channel'))
        for chan in channels:
            print(chan['name'])
        return
    show_desc = options.description and 'description' in first
    show_comment = options.comment and 'comment' in first
    if not options.quiet:
        header = '{0:<{1}}Enabled  Ready Disbld   Load    Cap   Perc    '.format('Channel',
                                                                                 width)
        if show_desc:
            header += 'Description'.ljust(53)
        if show_comment:
            header += 'Comment'.ljust(53)
        print(header)
        print('-' * len(header))
    mask = ("%%(name)-%ds %%(enabled_host)6d %%(ready)6d %%(disabled)6d %%(load)6d "
            "%%(capacity)6d %%(perc_load)6d%%%%" % width)
    if show_desc:
        mask += "   %(description)-50s"
    if show_comment:
        mask += "   %(comment)-50s"
    for chan in channels:
        print(mask % chan)


def handle_add_channel(goptions, session, args):
    "[admin] Create a new channel"
    usage = "usage: %prog add-channel [options] <channel_name>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--description", help="what the channel is for")
    options, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("Please specify one channel name")
    activate_session(session, goptions)
    name = args[0]
    try:
        channel_id = session.addChannel(name, description=options.description)
    except koji.GenericError as ex:
        msg = str(ex)
        if 'channel %s already exists' % name in msg:
            error("channel %s already exists" % name)
        elif 'Invalid method:' in msg:
            error("addChannel is available on hub from Koji 1.26 version, your version is %s"
                  % session.hub_version_str)
        else:
            error(msg)
    print("%s added: id %d" % (name, channel_id))


def handle_edit_channel(goptions, session, args):
    "[admin] Rename a channel or change its description"
    usage = "usage: %prog edit-channel [options] <old-name>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--name", help="rename the channel to this")
    parser.add_option("--description", help="new description")
    parser.add_option("--comment", help="new comment")
    options, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("Incorrect number of arguments")
    activate_session(session, goptions)
    changes = {}
    for key in ('name', 'description', 'comment'):
        value = getattr(options, key)
        if value is not None:
            changes[key] = value
    if not session.getChannel(args[0]):
        error("No such channel: %s" % args[0])
    result = None
    try:
        result = session.editChannel(args[0], **changes)
    except koji.GenericError as ex:
        msg = str(ex)
        if 'Invalid method:' in msg:
            error("editChannel is available on hub from Koji 1.26 version, your version is %s"
                  % session.hub_version_str)
        warn(msg)
    if not result:
        error("No changes made, please correct the command line")


def _set_channels_enabled(goptions, session, args, enable):
    action = 'enabled' if enable else 'disabled'
    usage = ("usage: %%prog %s-channel [options] <channelname> [<channelname> ...]"
             % action[:-1])
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--comment", help="why the channels are being %s" % action)
    options, args = parser.parse_args(args)
    if not args:
        parser.error("At least one channel must be specified")
    activate_session(session, goptions)
    missing = _missing(session, 'getChannel', args, strict=False)
    for channel in missing:
        print("No such channel: %s" % channel)
    if missing:
        error("No changes made. Please correct the command line.")
    with session.multicall() as m:
        for channel in args:
            if enable:
                m.enableChannel(channel, comment=options.comment)
            else:
                m.disableChannel(channel, comment=options.comment)


def handle_enable_channel(goptions, session, args):
    "[admin] Let channels receive tasks again"
    _set_channels_enabled(goptions, session, args, True)


def handle_disable_channel(goptions, session, args):
    "[admin] Stop channels from receiving tasks"
    _set_channels_enabled(goptions, session, args, False)
