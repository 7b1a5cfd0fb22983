"""The list-history command: a readable log of the hub's versioned tables."""
import datetime
import pprint
import time
from optparse import SUPPRESS_HELP, OptionParser

from koji_cli.lib import TimeOption, ensure_connection, error, get_usage_str, warn

# the columns that identify "the same row" of each versioned table: a revoke and a create
# of the same key in one event are one edit
ROW_KEYS = {
    'user_perms': ['user_id', 'perm_id'],
    'user_groups': ['user_id', 'group_id'],
    'cg_users': ['user_id', 'cg_id'],
    'tag_inheritance': ['tag_id', 'parent_id'],
    'tag_config': ['tag_id'],
    'tag_extra': ['tag_id', 'key'],
    'build_target_config': ['build_target_id'],
    'external_repo_config': ['external_repo_id'],
    'external_repo_data': ['external_repo_id'],
    'host_config': ['host_id'],
    'host_channels': ['host_id', 'channel_id'],
    'tag_external_repos': ['tag_id', 'external_repo_id'],
    'tag_listing': ['build_id', 'tag_id'],
    'tag_packages': ['package_id', 'tag_id'],
    'tag_package_owners': ['package_id', 'tag_id'],
    'group_config': ['group_id', 'tag_id'],
    'group_req_listing': ['group_id', 'tag_id', 'req_id'],
    'group_package_listing': ['group_id', 'tag_id', 'package'],
}

_NVR = '%(name)s-%(version)s-%(release)s'
# table -> (message for an edit, for a create, for a revoke)
MESSAGES = {
    'tag_listing': (_NVR + ' re-tagged into %(tag.name)s',
                    _NVR + ' tagged into %(tag.name)s',
                    _NVR + ' untagged from %(tag.name)s'),
    'user_perms': ('permission %(permission.name)s re-granted to %(user.name)s',
                   'permission %(permission.name)s granted to %(user.name)s',
                   'permission %(permission.name)s revoked for %(user.name)s'),
    'user_groups': ('user %(user.name)s re-added to group %(group.name)s',
                    'user %(user.name)s added to group %(group.name)s',
                    'user %(user.name)s removed from group %(group.name)s'),
    'cg_users': ('user %(user.name)s re-added to content generator '
                 '%(content_generator.name)s',
                 'user %(user.name)s added to content generator %(content_generator.name)s',
                 'user %(user.name)s removed from content generator '
                 '%(content_generator.name)s'),
    'tag_packages': ('package list entry for %(package.name)s in %(tag.name)s updated',
                     'package list entry created: %(package.name)s in %(tag.name)s',
                     'package list entry revoked: %(package.name)s in %(tag.name)s'),
    'tag_package_owners': ('package owner changed for %(package.name)s in %(tag.name)s',
                           'package owner %(owner.name)s set for %(package.name)s in '
                           '%(tag.name)s',
                           'package owner %(owner.name)s revoked for %(package.name)s in '
                           '%(tag.name)s'),
    'tag_inheritance': ('inheritance line %(tag.name)s->%(parent.name)s updated',
                        'inheritance line %(tag.name)s->%(parent.name)s added',
                        'inheritance line %(tag.name)s->%(parent.name)s removed'),
    'tag_config': ('tag configuration for %(tag.name)s altered',
                   'new tag: %(tag.name)s',
                   'tag deleted: %(tag.name)s'),
    'tag_extra': ('tag option %(key)s for tag %(tag.name)s altered',
                  'added tag option %(key)s for tag %(tag.name)s',
                  'tag option %(key)s removed for %(tag.name)s'),
    'host_config': ('host configuration for %(host.name)s altered',
                    'new host: %(host.name)s',
                    'host deleted: %(host.name)s'),
    'host_channels': ('host %(host.name)s added to channel %(channels.name)s',
                      'host %(host.name)s added to channel %(channels.name)s',
                      'host %(host.name)s removed from channel %(channels.name)s'),
    'build_target_config': ('build target configuration for %(build_target.name)s updated',
                            'new build target: %(build_target.name)s',
                            'build target deleted: %(build_target.name)s'),
    'external_repo_config': ('external repo configuration for %(external_repo.name)s '
                             'altered',
                             'new external repo: %(external_repo.name)s',
                             'external repo deleted: %(external_repo.name)s'),
    'external_repo_data': ('tracking data for external repo %(external_repo.name)s altered',
                           'new tracking data for external repo %(external_repo.name)s',
                           'deleted tracking data for external repo '
                           '%(external_repo.name)s'),
    'tag_external_repos': ('external repo entry for %(external_repo.name)s in tag '
                           '%(tag.name)s updated',
                           'external repo entry for %(external_repo.name)s added to tag '
                           '%(tag.name)s',
                           'external repo entry for %(external_repo.name)s removed from tag '
                           '%(tag.name)s'),
    'group_config': ('group %(group.name)s configuration for tag %(tag.name)s updated',
                     'group %(group.name)s added to tag %(tag.name)s',
                     'group %(group.name)s removed from tag %(tag.name)s'),
    'group_req_listing': ('group dependency %(group.name)s->%(req.name)s updated in tag '
                          '%(tag.name)s',
                          'group dependency %(group.name)s->%(req.name)s added in tag '
                          '%(tag.name)s',
                          'group dependency %(group.name)s->%(req.name)s dropped from tag '
                          '%(tag.name)s'),
    'group_package_listing': ('package entry %(package)s in group %(group.name)s, tag '
                              '%(tag.name)s updated',
                              'package %(package)s added to group %(group.name)s in tag '
                              '%(tag.name)s',
                              'package %(package)s removed from group %(group.name)s in tag '
                              '%(tag.name)s'),
}

# bookkeeping columns never listed as fields of an entry
HIDDEN_FIELDS = ('active', 'create_event', 'revoke_event', 'creator_id', 'revoker_id',
                 'creator_name', 'revoker_name', 'create_ts', 'revoke_ts')

# options that narrow the query enough to run it without --all
_FILTERS = ('package', 'tag', 'build', 'editor', 'user', 'permission', 'cg', 'external_repo',
            'build_target', 'group', 'before', 'after', 'host', 'channel', 'xkey')


def _name_key(key):
    """The column carrying the readable name of an id column (perm_id -> permission.name)."""
    if key == 'perm_id':
        return 'permission.name'
    if key.endswith('_id'):
        return '%s.name' % key[:-3]
    return '%s.name' % key


def _message(table, row, create, edit):
    if table in MESSAGES:
        fmt = MESSAGES[table][0 if edit else (1 if create else 2)]
        return fmt % row
    if edit:
        return '%s entry updated' % table
    if create:
        return '%s entry created' % table
    return '%s entry revoked' % table


def _timestr(ts, utc):
    if utc:
        when = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
        return time.asctime(when.timetuple())
    return time.asctime(time.localtime(ts))


def _visible_fields(row):
    return [key for key in sorted(row)
            if key not in HIDDEN_FIELDS and not key.startswith('_') and '.' not in key]


def _print_entry(entry, options):
    """Print one timeline entry; an edit (revoke + create) also lists what changed."""
    event_id, table, create, row = entry
    related = row.pop('.related', None)
    if related:
        problem = None
        if len(related) != 1:
            problem = "%i elements" % (len(related) + 1)
        other = related[0]
        if create or not other[2]:
            problem = "out of order"
        if event_id != other[0]:
            problem = "non-matching"
        if problem:
            warn("Unusual edit at event %i in table %s (%s)" % (event_id, table, problem))
            pprint.pprint(entry)
            pprint.pprint(related)
            # the entry (now without its pairing) is printed once more per related
            # item, as upstream's client does
            _print_entry(entry, options)
            for _ in related:
                _print_entry(entry, options)
            return
    old = None
    if related:
        # an edit is told from the new row's side: its time, its creator, still active?
        old, row, create = row, related[0][3], True
    if create:
        ts = row['create_ts']
        who = 'creator_name'
    else:
        ts = row['revoke_ts']
        who = 'revoker_name'
    parts = [_timestr(ts, options.utc)]
    if options.events or options.verbose:
        parts.append("(eid %i)" % event_id)
    parts.append(_message(table, row, create, old is not None))
    if who in row:
        parts.append("by %s" % row[who])
    if create and row['active']:
        parts.append("[still active]")
    print(' '.join(parts))
    if old is not None:
        for key in _visible_fields(row):
            if row[key] == old.get(key):
                continue
            nkey = _name_key(key)
            if nkey in row and nkey in old:
                print("    %s: %s -> %s" % (nkey, old[nkey], row[nkey]))
            else:
                print("    %s: %s -> %s" % (key, old.get(key), row[key]))
    elif create and options.verbose and table != 'tag_listing':
        for key in _visible_fields(row):
            if key in ROW_KEYS.get(table, ()):
                continue
            # a block shows only that it is one
            if row.get('blocked') and key != 'blocked':
                continue
            nkey = _name_key(key)
            if nkey in row:
                print("    %s: %s" % (nkey[:-len('.name')], row[nkey]))
            else:
                print("    %s: %s" % (key, row[key]))


def _matched(row, side, context):
    """Was this side ('created' / 'revoked') of the row what the filters matched?"""
    if context:
        return True
    prefix = '_' + side
    return all(row[key] for key in row if key.startswith(prefix))


def _timeline(histdata, context):
    """Sorted (event, table, is_create, row) entries with revoke+create pairs merged."""
    entries = []
    for table, rows in histdata.items():
        for row in rows:
            if _matched(row, 'created', context):
                entries.append((row['create_event'], table, 1, row))
            if row['revoke_event'] is not None and _matched(row, 'revoked', context):
                entries.append((row['revoke_event'], table, 0, dict(row)))
    entries.sort(key=lambda entry: entry[:3])
    merged = []
    seen = {}
    for entry in entries:
        event_id, table, create, row = entry
        key = (event_id, table) + tuple(row.get(k) for k in ROW_KEYS.get(table, ()))
        first = seen.get(key) if table in ROW_KEYS else None
        if first is not None:
            first[3].setdefault('.related', []).append(entry)
        else:
            seen[key] = entry
            merged.append(entry)
    return merged


def anon_handle_list_history(goptions, session, args):
    "[info] Show the change log of the hub's data"
    parser = OptionParser(usage=get_usage_str("usage: %prog list-history [options]"),
                          option_class=TimeOption)
    parser.add_option("--debug", action="store_true", default=goptions.debug,
                      help=SUPPRESS_HELP)
    parser.add_option("--build", help="only changes about this build")
    parser.add_option("--package", help="only changes about this package")
    parser.add_option("--tag", help="only changes about this tag")
    parser.add_option("--editor", "--by", metavar="USER",
                      help="only changes made by this user")
    parser.add_option("--user", help="only changes that concern this user")
    parser.add_option("--permission", help="only changes that concern this permission")
    parser.add_option("--cg", help="only changes that concern this content generator")
    parser.add_option("--external-repo", "--erepo",
                      help="only changes that concern this external repo")
    parser.add_option("--build-target", "--target",
                      help="only changes that concern this build target")
    parser.add_option("--group", help="only changes that concern this group")
    parser.add_option("--host", help="only changes that concern this host")
    parser.add_option("--channel", help="only changes that concern this channel")
    parser.add_option("--xkey", help="only changes of this extra option of tags")
    parser.add_option("--before", type="time",
                      help="only changes before this moment; " + TimeOption.get_help())
    parser.add_option("--after", type="time",
                      help="only changes after this moment (format as for --before)")
    parser.add_option("--before-event", type="int", metavar="EVENT_ID",
                      help="only changes before this event")
    parser.add_option("--after-event", type="int", metavar="EVENT_ID",
                      help="only changes after this event")
    parser.add_option("--watch", action="store_true", help="keep printing new changes")
    parser.add_option("--active", action="store_true",
                      help="only entries that are still in effect")
    parser.add_option("--revoked", action="store_false", dest="active",
                      help="only entries that have been revoked")
    parser.add_option("--context", action="store_true",
                      help="show both sides of each entry, not only the matching one")
    parser.add_option("-s", "--show", action="append",
                      help="only these tables (comma separated, may be repeated)")
    parser.add_option("-v", "--verbose", action="store_true",
                      help="show the fields of each entry")
    parser.add_option("-e", "--events", action="store_true", help="show event ids")
    parser.add_option("--all", action="store_true",
                      help="allow a query of the whole history")
    parser.add_option("--utc", action="store_true", help="print times in UTC")
    options, args = parser.parse_args(args)
    if args:
        parser.error("This command takes no arguments")
    kwargs = {}
    for name in _FILTERS:
        value = getattr(options, name)
        if value:
            kwargs[name] = value
    limited = bool(kwargs)
    if options.before_event:
        kwargs['beforeEvent'] = options.before_event
    if options.after_event:
        kwargs['afterEvent'] = options.after_event
    if options.active is not None:
        kwargs['active'] = options.active
    if options.utc:
        kwargs['utc'] = True
    tables = None
    if options.show:
        tables = []
        for item in options.show:
            tables.extend(item.split(','))
    if not limited and not options.all:
        parser.error("Please specify an option to limit the query")
    ensure_connection(session, goptions)
    if options.host and not session.getHost(options.host):
        error("No such host: %s" % options.host)
    if options.channel and not session.getChannel(options.channel):
        error("No such channel: %s" % options.channel)
    if options.watch:
        if not kwargs.get('afterEvent') and not kwargs.get('after'):
            kwargs['afterEvent'] = session.getLastEvent()['id']
        while True:
            last = _show_history(session, tables, kwargs, options)
            if last is not None:
                kwargs['afterEvent'] = last
            time.sleep(goptions.poll_interval)
    _show_history(session, tables, kwargs, options)


def _show_history(session, tables, kwargs, options):
    """Query and print; returns the newest event id seen (None when nothing came)."""
    timeline = _timeline(session.queryHistory(tables=tables, **kwargs), options.context)
    for entry in timeline:
        if options.debug:
            print("%r" % list(entry))
        _print_entry(entry, options)
    if timeline:
        return max(entry[0] for entry in timeline)
    return None
