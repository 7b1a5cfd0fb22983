"""Commands for build-notification subscriptions and blocks."""
from optparse import OptionParser

import koji
from koji_cli.lib import activate_session, ensure_connection, error, get_usage_str

# one line per subscription / block; the headers go through the same masks
NOTIF_MASK = "%(id)6s %(tag)-25s %(package)-25s %(email)-20s %(success)-12s"
BLOCK_MASK = "%(id)6s %(tag)-25s %(package)-25s"
HEADERS = {'id': 'ID', 'tag': 'Tag', 'package': 'Package', 'email': 'E-mail',
           'success': 'Success-only'}


def _package_id(parser, session, name):
    """Id of a named package (None = every package); unknown names are usage errors."""
    if not name:
        return None
    package_id = session.getPackageID(name)
    if package_id is None:
        parser.error("No such package: %s" % name)
    return package_id


def _tag_id(parser, session, name):
    """Id of a named tag (None = every tag); unknown names are usage errors."""
    if not name:
        return None
    try:
        return session.getTagID(name, strict=True)
    except koji.GenericError:
        parser.error("No such tag: %s" % name)


def _target_user_id(parser, session, username):
    """Whose rows to change: --user (admins only) or the logged-in user."""
    if username:
        if not session.hasPerm('admin'):
            parser.error("--user requires admin permission")
        return session.getUser(username, strict=True)['id']
    me = session.getLoggedInUser()
    if not me:
        parser.error("Please login with authentication or specify --user")
    return me['id']


def _ids(parser, args, what):
    """The numeric ids of remove-/unblock-notification."""
    if not args:
        parser.error("At least one %s id has to be specified" % what)
    try:
        return [int(arg) for arg in args]
    except ValueError:
        parser.error("All %s ids has to be integers" % what)


def _name_rows(session, rows):
    """Fill in 'tag' and 'package' names ('*' for a wildcard) with one multicall."""
    with session.multicall(strict=True) as m:
        calls = [(m.getTag(row['tag_id']) if row['tag_id'] else None,
                  m.getPackage(row['package_id']) if row['package_id'] else None)
                 for row in rows]
    for row, (tag, package) in zip(rows, calls):
        row['tag'] = _name_of(tag, row['tag_id'])
        row['package'] = _name_of(package, row['package_id'])


def _name_of(call, obj_id):
    """'*' for a wildcard; the id itself when the object is gone (a deleted tag)."""
    if call is None:
        return '*'
    if call.result is None:
        return str(obj_id)
    return call.result['name']


def _print_table(title, mask, rows):
    head = mask % HEADERS
    print(title)
    print(head)
    print('-' * len(head))
    for row in rows:
        print(mask % row)


def anon_handle_list_notifications(goptions, session, args):
    "[monitor] Show the build notifications and notification blocks of a user"
    usage = "usage: %prog list-notifications [options]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--mine", action="store_true", help="show your own")
    parser.add_option("--user", help="show those of this user")
    options, args = parser.parse_args(args)
    if args:
        parser.error("This command takes no arguments")
    if not options.mine and not options.user:
        parser.error("Use --user or --mine.")
    if options.user:
        ensure_connection(session, goptions)
        user = session.getUser(options.user)
        if not user:
            error("No such user: %s" % options.user)
        user_id = user['id']
    else:
        activate_session(session, goptions)
        user_id = None

    notifications = session.getBuildNotifications(user_id)
    if notifications:
        _name_rows(session, notifications)
        for row in notifications:
            row['success'] = 'yes' if row['success_only'] else 'no'
        _print_table('Notifications', NOTIF_MASK, notifications)
    else:
        print('No notifications')
    print('')

    blocks = session.getBuildNotificationBlocks(user_id)
    if blocks:
        _name_rows(session, blocks)
        _print_table('Notification blocks', BLOCK_MASK, blocks)
    else:
        print('No notification blocks')


def handle_add_notification(goptions, session, args):
    "[monitor] Subscribe to build notifications"
    usage = "usage: %prog add-notification [options]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--user", help="subscribe this user instead of you (admins only)")
    parser.add_option("--package", help="builds of this package")
    parser.add_option("--tag", help="builds in this tag")
    parser.add_option("--success-only", action="store_true", default=False,
                      help="only mail about builds that succeeded")
    options, args = parser.parse_args(args)
    if args:
        parser.error("This command takes no arguments")
    if not options.package and not options.tag:
        parser.error("Command need at least one from --tag or --package options.")
    activate_session(session, goptions)
    if options.user and not session.hasPerm('admin'):
        parser.error("--user requires admin permission")
    if options.user:
        user = session.getUser(options.user)
        if not user:
            error("No such user: %s" % options.user)
        user_id = user['id']
    else:
        user_id = session.getLoggedInUser()['id']
    package_id = _package_id(parser, session, options.package)
    tag_id = _tag_id(parser, session, options.tag)
    session.createNotification(user_id, package_id, tag_id, options.success_only)


def handle_remove_notification(goptions, session, args):
    "[monitor] Drop build notification subscriptions"
    usage = ("usage: %prog remove-notification [options] <notification_id> "
             "[<notification_id> ...]")
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    activate_session(session, goptions)
    for n_id in _ids(parser, args, 'notification'):
        session.deleteNotification(n_id)
        if not goptions.quiet:
            print("Notification %d successfully removed." % n_id)


def handle_edit_notification(goptions, session, args):
    "[monitor] Change a build notification subscription"
    usage = "usage: %prog edit-notification [options] <notification_id>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--package", help="package name, '*' for any package")
    parser.add_option("--tag", help="tag name, '*' for any tag")
    parser.add_option("--success-only", action="store_true", default=None,
                      dest='success_only', help="only mail about successes")
    parser.add_option("--no-success-only", action="store_false", default=None,
                      dest='success_only', help="mail about every outcome")
    options, args = parser.parse_args(args)
    if len(args) != 1:
        parser.error("Only argument is notification ID")
    try:
        n_id = int(args[0])
    except ValueError:
        parser.error("Notification ID has to be numeric")
    if not options.package and not options.tag and options.success_only is None:
        parser.error("Command need at least one option")
    activate_session(session, goptions)
    old = session.getBuildNotification(n_id, strict=True)
    # whatever is not given keeps its current value; '*' widens to everything
    if options.package == '*':
        package_id = None
    elif options.package:
        package_id = _package_id(parser, session, options.package)
    else:
        package_id = old['package_id']
    if options.tag == '*':
        tag_id = None
    elif options.tag:
        tag_id = _tag_id(parser, session, options.tag)
    else:
        tag_id = old['tag_id']
    success_only = old['success_only']
    if options.success_only is not None:
        success_only = options.success_only
    session.updateNotification(n_id, package_id, tag_id, success_only)


def handle_block_notification(goptions, session, args):
    "[monitor] Stop build notifications for a package, a tag or everything"
    usage = "usage: %prog block-notification [options]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--user", help="block for this user instead of you (admins only)")
    parser.add_option("--package", help="no mail about this package")
    parser.add_option("--tag", help="no mail about this tag")
    parser.add_option("--all", action="store_true", help="no notification mail at all")
    options, args = parser.parse_args(args)
    if args:
        parser.error("This command takes no arguments")
    if not options.package and not options.tag and not options.all:
        parser.error("One of --tag, --package or --all must be specified.")
    activate_session(session, goptions)
    user_id = _target_user_id(parser, session, options.user)
    package_id = _package_id(parser, session, options.package)
    tag_id = _tag_id(parser, session, options.tag)
    for block in session.getBuildNotificationBlocks(user_id):
        if (block['package_id'], block['tag_id']) == (package_id, tag_id):
            parser.error('Notification already exists.')
    session.createNotificationBlock(user_id, package_id, tag_id)


def handle_unblock_notification(goptions, session, args):
    "[monitor] Lift notification blocks"
    usage = ("usage: %prog unblock-notification [options] <notification_id> "
             "[<notification_id> ...]")
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    activate_session(session, goptions)
    for n_id in _ids(parser, args, 'notification block'):
        session.deleteNotificationBlock(n_id)
        if not goptions.quiet:
            print("Notification block %d successfully removed." % n_id)
