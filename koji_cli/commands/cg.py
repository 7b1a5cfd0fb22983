"""Content generator commands: grants, build reservations and CG imports."""
import os
from optparse import OptionParser

import koji
import koji.util
from koji_cli.lib import (_progress_callback, _running_in_bg, activate_session, error,
                          get_usage_str, linked_upload, unique_path)


def _user_and_cg(parser, session, args):
    if len(args) != 2:
        parser.error("Please specify a user and content generator")
    return args[0], args[1]


def handle_grant_cg_access(goptions, session, args):
    "[admin] Let a user import builds for a content generator"
    usage = "usage: %prog grant-cg-access <user> <content generator>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--new", action="store_true",
                      help="create the content generator when it does not exist")
    options, args = parser.parse_args(args)
    user, cg = _user_and_cg(parser, session, args)
    activate_session(session, goptions)
    uinfo = session.getUser(user)
    if uinfo is None:
        parser.error("No such user: %s" % user)
    kwargs = {'create': True} if options.new else {}
    session.grantCGAccess(uinfo['name'], cg, **kwargs)


def handle_revoke_cg_access(goptions, session, args):
    "[admin] Take a content generator grant away from a user"
    usage = "usage: %prog revoke-cg-access <user> <content generator>"
    parser = OptionParser(usage=get_usage_str(usage))
    options, args = parser.parse_args(args)
    user, cg = _user_and_cg(parser, session, args)
    activate_session(session, goptions)
    uinfo = session.getUser(user)
    if uinfo is None:
        parser.error("No such user: %s" % user)
    session.revokeCGAccess(uinfo['name'], cg)


def _nvr_data(value, epoch):
    """Build fields from an N-V-R argument, or None when it is not one."""
    try:
        data = koji.parse_NVR(value)
    except Exception:
        return None
    if epoch is not None:
        data['epoch'] = epoch
    elif data['epoch'] == '':
        data['epoch'] = None
    else:
        data['epoch'] = int(data['epoch'])
    return data


def _metadata_data(parser, path, epoch):
    if epoch is not None:
        parser.error('The --epoch option cannot be used with --metadata')
    build = koji.load_json(path)['build']
    return koji.util.dslice(build, ('name', 'version', 'release', 'epoch', 'draft'),
                            strict=False)


def handle_reserve_cg(goptions, session, args):
    "[admin] Reserve a build for a content generator to import later"
    usage = "usage: %prog reserve-cg [options] <cg> <nvr>|<metadata_file>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--draft", action="store_true", default=False,
                      help="reserve a draft build")
    parser.add_option("--epoch", type="int", help="epoch of the build named by <nvr>")
    parser.add_option("--metadata", action="store_true", default=False,
                      help="the second argument is a CG metadata file")
    options, args = parser.parse_args(args)
    if len(args) != 2:
        parser.error("The command takes exactly two arguments")
    activate_session(session, goptions)
    cg, target = args
    data = None
    if not options.metadata:
        data = _nvr_data(target, options.epoch)
    if data is None:
        data = _metadata_data(parser, target, options.epoch)
    if options.draft:
        data['draft'] = True
    result = session.CGInitBuild(cg, data)
    print('Reserved build %(build_id)s with token %(token)r' % result)


def _files_to_upload(parser, metadata, localdir):
    """[(local path, output entry)] of the outputs that carry a file."""
    if 'output' not in metadata:
        error("Metadata contains no output")
    result = []
    for info in metadata['output']:
        if info.get('metadata_only', False):
            continue
        path = os.path.join(localdir, info.get('relpath', ''), info['filename'])
        if not os.path.exists(path):
            parser.error("No such file: %s" % path)
        result.append((path, info))
    return result


def handle_import_cg(goptions, session, args):
    "[admin] Import a content generator build: metadata plus its files"
    usage = "usage: %prog import-cg [options] <metadata_file> <files_dir>"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--noprogress", action="store_true", help="no upload progress bar")
    parser.add_option("--link", action="store_true",
                      help="hard-link the files into the hub's work area (shared topdir)")
    parser.add_option("--test", action="store_true",
                      help="only check that the files are there")
    parser.add_option("--token", action="store", default=None,
                      help="the token reserve-cg handed out")
    parser.add_option("--draft", action="store_true", default=False,
                      help="import a draft build")
    parser.add_option("--build-id", action="store", type="int", default=None,
                      help="id of the build reserve-cg made")
    options, args = parser.parse_args(args)
    if len(args) < 2:
        parser.error("Please specify metadata files directory")
    activate_session(session, goptions)
    metadata = koji.load_json(args[0])
    if options.build_id:
        metadata['build']['build_id'] = options.build_id
    if options.draft:
        metadata['build']['draft'] = True
    uploads = _files_to_upload(parser, metadata, args[1])
    if options.test:
        return
    serverdir = unique_path('cli-import')
    for path, info in uploads:
        relpath = os.path.join(serverdir, info.get('relpath', ''))
        callback = None if (_running_in_bg() or options.noprogress) else _progress_callback
        if options.link:
            linked_upload(path, relpath)
        else:
            print("Uploading %s" % path)
            session.uploadWrapper(path, relpath, callback=callback)
            if callback:
                print('')
    binfo = session.CGImport(metadata, serverdir, options.token)
    print('Imported build %(name)s-%(version)s-%(release)s with id %(build_id)s' % binfo)
