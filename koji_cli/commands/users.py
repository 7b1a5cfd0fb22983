"""Commands for user accounts and permissions."""
from optparse import OptionParser

import koji
from koji_cli.lib import activate_session, ensure_connection, error, get_usage_str, warn


def _one_username(parser, args, action):
    """The single user name these commands take, or a usage error."""
    if len(args) < 1:
        parser.error("You must specify the username of the user to %s" % action)
    if len(args) > 1:
        parser.error("This command only accepts one argument (username)")
    return args[0]


def handle_add_user(goptions, session, args):
    "[admin] Create a user account"
    parser = OptionParser(usage=get_usage_str("usage: %prog add-user <username> [options]"))
    parser.add_option("--principal", help="Kerberos principal of the new user")
    parser.add_option("--disable", action="store_true", default=False,
                      help="create the account blocked")
    options, args = parser.parse_args(args)
    username = _one_username(parser, args, 'add')
    if options.disable:
        status = koji.USER_STATUS['BLOCKED']
    else:
        status = koji.USER_STATUS['NORMAL']
    activate_session(session, goptions)
    user_id = session.createUser(username, status=status, krb_principal=options.principal)
    print("Added user %s (%i)" % (username, user_id))


def handle_enable_user(goptions, session, args):
    "[admin] Allow a blocked user to log in again"
    parser = OptionParser(usage=get_usage_str("usage: %prog enable-user <username>"))
    options, args = parser.parse_args(args)
    username = _one_username(parser, args, 'enable')
    activate_session(session, goptions)
    session.enableUser(username)


def handle_disable_user(goptions, session, args):
    "[admin] Block a user from logging in"
    parser = OptionParser(usage=get_usage_str("usage: %prog disable-user <username>"))
    options, args = parser.parse_args(args)
    username = _one_username(parser, args, 'disable')
    activate_session(session, goptions)
    session.disableUser(username)


def handle_edit_user(goptions, session, args):
    "[admin] Rename a user or change its Kerberos principals"
    parser = OptionParser(usage=get_usage_str("usage: %prog edit-user <username> [options]"))
    parser.add_option("--rename", help="give the user this new name")
    parser.add_option("--edit-krb", action="append", default=[], metavar="OLD=NEW",
                      help="replace Kerberos principal OLD by NEW")
    parser.add_option("--add-krb", action="append", default=[], metavar="KRB",
                      help="add a Kerberos principal")
    parser.add_option("--remove-krb", action="append", default=[], metavar="KRB",
                      help="remove a Kerberos principal")
    options, args = parser.parse_args(args)
    if len(args) < 1:
        parser.error("You must specify the username of the user to edit")
    if len(args) > 1:
        parser.error("This command only accepts one argument (username)")
    mappings = []
    for pair in options.edit_krb:
        old, sep, new = pair.partition('=')
        if not sep:
            parser.error("Invalid value for --edit-krb: %s" % pair)
        mappings.append({'old': old, 'new': new})
    mappings.extend({'old': None, 'new': krb} for krb in options.add_krb)
    mappings.extend({'old': krb, 'new': None} for krb in options.remove_krb)
    activate_session(session, goptions)
    session.editUser(args[0], options.rename, mappings)


def anon_handle_userinfo(goptions, session, args):
    "[admin] Show details about users"
    usage = "usage: %prog userinfo [options] <username> [<username> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    if len(args) < 1:
        parser.error("You must specify at least one username")
    ensure_connection(session, goptions)
    with session.multicall() as m:
        lookups = [m.getUser(name, groups=True) for name in args]
    users = []
    for name, call in zip(args, lookups):
        if call.result is None:
            warn("No such user: %s\n" % name)
        else:
            users.append(call.result)
    details = []
    with session.multicall() as m:
        for user in users:
            details.append((
                user,
                m.getUserPerms(user['id']),
                m.listPackages(userID=user['id'], with_dups=True,
                               queryOpts={'countOnly': True}),
                m.listTasks(opts={'owner': user['id'], 'parent': None},
                            queryOpts={'countOnly': True}),
                m.listBuilds(userID=user['id'], queryOpts={'countOnly': True}),
            ))
    for user, perms, packages, tasks, builds in details:
        print("User name: %s" % user['name'])
        print("User ID: %d" % user['id'])
        if 'krb_principals' in user:
            print("krb principals:")
            for principal in user['krb_principals']:
                print("  %s" % principal)
        if perms.result:
            print("Permissions:")
            for perm in perms.result:
                print("  %s" % perm)
        if user.get('groups'):
            print("Groups:")
            for group in sorted(user['groups']):
                print("  %s" % group)
        print("Status: %s" % koji.USER_STATUS[user['status']])
        print("Usertype: %s" % koji.USERTYPES[user['usertype']])
        print("Number of packages: %d" % packages.result)
        print("Number of tasks: %d" % tasks.result)
        print("Number of builds: %d" % builds.result)
        print("")


def anon_handle_list_users(goptions, session, args):
    "[admin] List user names"
    parser = OptionParser(usage=get_usage_str("usage: %prog list-users [options]"))
    parser.add_option("--usertype", default="NORMAL",
                      help="NORMAL, HOST or GROUP; 'any' or 'all' for every type "
                           "[default: %default]")
    parser.add_option("--prefix", help="only users whose name starts with this")
    parser.add_option("--perm", help="only users holding this permission")
    parser.add_option("--inherited-perm", action="store_true", default=False,
                      help="with --perm, also count permissions held through groups")
    options, args = parser.parse_args(args)
    if args:
        parser.error("This command takes no arguments")
    if options.inherited_perm and not options.perm:
        parser.error("inherited_perm option must be used with perm option")
    usertype = options.usertype.upper()
    if usertype in ('ANY', 'ALL'):
        usertype = None
    elif usertype in koji.USERTYPES:
        usertype = koji.USERTYPES[usertype]
    else:
        error("Invalid usertype: %s" % options.usertype)
    ensure_connection(session, goptions)
    kwargs = {'userType': usertype, 'prefix': options.prefix}
    if options.perm:
        if options.perm not in [perm['name'] for perm in session.getAllPerms()]:
            error("Invalid permission: %s" % options.perm)
        if session.hub_version < (1, 34, 0):
            # older hubs cannot filter by permission
            error("--perm option is available only with hub 1.34 and newer")
        kwargs['perm'] = options.perm
        kwargs['inherited_perm'] = options.inherited_perm
    for user in session.listUsers(**kwargs):
        print(user['name'])


def handle_list_permissions(goptions, session, args):
    "[info] List permissions, or those of a user"
    parser = OptionParser(usage=get_usage_str("usage: %prog list-permissions [options]"))
    parser.add_option("--user", help="show the permissions of this user")
    parser.add_option("--mine", action="store_true", default=False,
                      help="show your own permissions")
    parser.add_option("--quiet", action="store_true", default=goptions.quiet,
                      help="leave out the header")
    options, args = parser.parse_args(args)
    if args:
        parser.error("This command takes no arguments")
    activate_session(session, goptions)
    perms = []
    if options.user or options.mine:
        if options.user:
            user = session.getUser(options.user)
            if not user:
                error("No such user: %s" % options.user)
        else:
            user = session.getLoggedInUser()
            if not user:
                error("Not logged in")
        try:
            inheritance = session.getUserPermsInheritance(user['id'])
        except koji.GenericError as e:
            if 'getUserPermsInheritance' not in str(e):
                raise
            # hubs without the call only tell the names
            inheritance = dict((name, [None]) for name in session.getUserPerms(user['id']))
        for name, sources in inheritance.items():
            perm = {'name': name}
            groups = [group for group in sources if group is not None]
            if groups:
                perm['description'] = 'inherited from: %s' % ', '.join(groups)
            perms.append(perm)
    else:
        perms = [{'name': p['name'], 'description': p['description']}
                 for p in session.getAllPerms()]
    width = max([len(p['name']) for p in perms] + [len('Permission name   ')])
    if not options.quiet:
        header = 'Permission name'.ljust(width)
        if perms and perms[0].get('description'):
            header += "   Description".ljust(53)
        print(header)
        print('-' * len(header))
    for perm in sorted(perms, key=lambda p: p['name']):
        line = perm['name'].ljust(width)
        if perm.get('description'):
            line += "   %s" % perm['description']
        print(line)


def _users_for(parser, session, names):
    """Look up each named user; an unknown name is a usage error."""
    users = []
    for name in names:
        user = session.getUser(name)
        if user is None:
            parser.error("No such user: %s" % name)
        users.append(user)
    return users


def handle_grant_permission(goptions, session, args):
    "[admin] Give a permission to users"
    usage = "usage: %prog grant-permission [options] <permission> <user> [<user> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--new", action="store_true", default=False,
                      help="define the permission if it does not exist yet")
    parser.add_option("--description",
                      help="description of the new permission (needs --new)")
    options, args = parser.parse_args(args)
    if len(args) < 2:
        parser.error("Please specify a permission and at least one user")
    if options.description and not options.new:
        parser.error("Option new must be specified with option description.")
    activate_session(session, goptions)
    perm = args[0]
    users = _users_for(parser, session, args[1:])
    kwargs = {}
    if options.new:
        kwargs['create'] = True
        if options.description:
            kwargs['description'] = options.description
    for user in users:
        session.grantPermission(user['name'], perm, **kwargs)


def handle_revoke_permission(goptions, session, args):
    "[admin] Take a permission away from users"
    usage = "usage: %prog revoke-permission <permission> <user> [<user> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    if len(args) < 2:
        parser.error("Please specify a permission and at least one user")
    activate_session(session, goptions)
    perm = args[0]
    for user in _users_for(parser, session, args[1:]):
        session.revokePermission(user['name'], perm)


def handle_edit_permission(goptions, session, args):
    "[admin] Change the description of a permission"
    usage = "usage: %prog edit-permission <permission> <description>"
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    if len(args) != 2:
        parser.error("Please specify a permission and a description")
    activate_session(session, goptions)
    session.editPermission(args[0], args[1])
