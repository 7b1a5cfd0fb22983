"""Commands that bring locally built content into koji: rpms, archives and signatures."""
import os
import sys
from optparse import SUPPRESS_HELP, OptionParser

import koji
import koji.util
from koji_cli.lib import (_progress_callback, _rpm_ident, _running_in_bg, activate_session,
                          arg_filter, get_usage_str, linked_upload, unique_path, warn)

NVRA = "%(name)s-%(version)s-%(release)s.%(arch)s"


# -- import (rpms) ---------------------------------------------------------------------------

def _parse_src_epoch(parser, value):
    """--src-epoch: the spellings of "no epoch" become None, anything else an int."""
    if value in ('None', 'none', '(none)'):
        return None
    if value:
        try:
            return int(value)
        except (ValueError, TypeError):
            parser.error("Invalid value for epoch: %s" % value)
    return value


def _group_by_build(paths):
    """{build nvr: [(path, header data), ...]} for the given rpm files.

    A source rpm names its own build; a binary one the build of its SOURCERPM.
    """
    groups = {}
    for path in paths:
        hdr = koji.get_rpm_header(path)
        data = koji.get_header_fields(hdr, ('name', 'version', 'release', 'epoch', 'arch',
                                            'sourcepackage', 'sourcerpm'))
        data['_ident'] = _rpm_ident(hdr)
        if data['sourcepackage']:
            data['arch'] = 'src'
            nvr = "%(name)s-%(version)s-%(release)s" % data
        else:
            nvr = "%(name)s-%(version)s-%(release)s" % koji.parse_NVRA(data['sourcerpm'])
        groups.setdefault(nvr, []).append((path, data))
    for entries in groups.values():
        entries.sort(key=lambda entry: entry[0])
    return groups


class _RpmImporter(object):
    """Uploads (or links) one rpm at a time and has the hub import it."""

    def __init__(self, session, options):
        self.session = session
        self.options = options

    def _already_there(self, path, data):
        """True (after saying so) when the hub already holds an rpm of this NVRA."""
        rinfo = dict((k, data[k]) for k in ('name', 'version', 'release', 'arch'))
        prev = self.session.getRPM(rinfo)
        if not prev or prev.get('external_repo_id', 0):
            return False
        if prev['payloadhash'] == data['_ident']:
            print("RPM already imported: %s" % path)
        else:
            warn("digest mismatch for %s" % path)
            warn("  A different rpm with the same name has already been imported")
            warn("  Existing rpm has %r, your import has %r"
                 % (prev['payloadhash'], data['_ident']))
        print("Skipping import")
        return True

    def _send(self, path, serverdir):
        if self.options.link:
            linked_upload(path, serverdir)
            return
        sys.stdout.write("uploading %s... " % path)
        sys.stdout.flush()
        self.session.uploadWrapper(path, serverdir)
        print("done")
        sys.stdout.flush()

    def run(self, path, data):
        if self._already_there(path, data):
            return
        if self.options.test:
            print("Test mode -- skipping import for %s" % path)
            return
        serverdir = unique_path('cli-import')
        self._send(path, serverdir)
        sys.stdout.write("importing %s... " % path)
        sys.stdout.flush()
        kwargs = {}
        if self.options.sigkey:
            kwargs['sigkey'] = self.options.sigkey
        try:
            self.session.importRPM(serverdir, os.path.basename(path), **kwargs)
        except koji.GenericError as e:
            print("\nError importing: %s" % str(e).splitlines()[-1])
        else:
            print("done")
        sys.stdout.flush()


def _builds_missing(session, groups, nvrs):
    """Report builds that have neither an srpm on the command line nor a hub entry."""
    missing = False
    for nvr in nvrs:
        if any(data['sourcepackage'] for _path, data in groups[nvr]):
            continue
        if not session.getBuild(nvr):
            print("Missing build or srpm: %s" % nvr)
            missing = True
    return missing


def _import_one_build(session, options, nvr, entries, importer):
    """Import the rpms of one build: its srpm first, an empty build when needed, then the
    binary rpms. Builds in a state that cannot take rpms are skipped with a message."""
    binfo = session.getBuild(nvr)
    b_state = None
    need_build = True
    if binfo:
        b_state = koji.BUILD_STATES[binfo['state']]
        if b_state == 'COMPLETE':
            need_build = False
        elif b_state in ('FAILED', 'CANCELED'):
            if not options.create_build:
                print("Build %s state is %s. Skipping import" % (nvr, b_state))
                return
        else:
            print("Build %s exists with state=%s. Skipping import" % (nvr, b_state))
            return
    for path, data in entries:
        if not data['sourcepackage']:
            continue
        if binfo and b_state != 'COMPLETE':
            # a dead build is brought back as an empty COMPLETE one first
            print("Creating empty build: %s" % nvr)
            b_data = koji.util.dslice(binfo, ['name', 'version', 'release'])
            b_data['epoch'] = data['epoch']
            session.createEmptyBuild(**b_data)
            binfo = session.getBuild(nvr)
        importer.run(path, data)
        need_build = False
    if need_build:
        if not options.create_build:
            if binfo:
                print("Build %s state is %s. Skipping import"
                      % (nvr, koji.BUILD_STATES[binfo['state']]))
            else:
                print("No such build: %s (include matching srpm or use "
                      "--create-build option to add it)" % nvr)
            return
        b_data = koji.parse_NVR(nvr)
        b_data['epoch'] = options.src_epoch if options.src_epoch else entries[0][1]['epoch']
        if options.test:
            print("Test mode -- would have created empty build: %s" % nvr)
        else:
            print("Creating empty build: %s" % nvr)
            session.createEmptyBuild(**b_data)
    for path, data in entries:
        if not data['sourcepackage']:
            importer.run(path, data)


def handle_import(goptions, session, args):
    "[admin] Import rpms built outside koji"
    usage = "usage: %prog import [options] <package> [<package> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--link", action="store_true",
                      help="hard-link the files into the hub's work area (shared topdir)")
    parser.add_option("--test", action="store_true", help="only show what would happen")
    parser.add_option("--create-build", action="store_true",
                      help="create missing builds as empty builds")
    parser.add_option("--src-epoch", help="epoch for builds created by --create-build")
    parser.add_option("--sigkey", help="record this sigkey instead of the header's")
    options, args = parser.parse_args(args)
    if len(args) < 1:
        parser.error("At least one package must be specified")
    options.src_epoch = _parse_src_epoch(parser, options.src_epoch)
    activate_session(session, goptions)
    groups = _group_by_build(args)
    nvrs = sorted(groups)
    if _builds_missing(session, groups, nvrs) and not options.create_build:
        print("Aborting import")
        return
    importer = _RpmImporter(session, options)
    for nvr in nvrs:
        _import_one_build(session, options, nvr, groups[nvr], importer)


# -- import-archive --------------------------------------------------------------------------

def _maven_type_info(parser, session, value):
    if not (session.hasPerm('maven-import') or session.hasPerm('admin')):
        parser.error("This action requires the maven-import privilege")
    if not value:
        parser.error("--type-info must point to a .pom file when importing Maven archives")
    return koji.pom_to_maven_info(koji.parse_pom(value))


def _win_type_info(parser, session, value):
    if not (session.hasPerm('win-import') or session.hasPerm('admin')):
        parser.error("This action requires the win-import privilege")
    if not value:
        parser.error("--type-info must be specified")
    parts = value.split(':', 2)
    if len(parts) < 2:
        parser.error("--type-info must be in relpath:platforms[:flags] format")
    flags = parts[2].split() if len(parts) > 2 else []
    return {'relpath': parts[0], 'platforms': parts[1].split(), 'flags': flags}


def _image_type_info(parser, session, value):
    if not (session.hasPerm('image-import') or session.hasPerm('admin')):
        parser.error("This action requires the image-import privilege")
    if not value:
        parser.error("--type-info must be specified")
    return {'arch': value}


_TYPE_INFO = {'maven': _maven_type_info, 'win': _win_type_info, 'image': _image_type_info}


def _create_typed_build(session, nvr, btype, type_info):
    """Make the missing build for import-archive --create-build; returns its NVR dict."""
    buildinfo = koji.parse_NVR(nvr)
    buildinfo['epoch'] = int(buildinfo['epoch']) if buildinfo['epoch'] != '' else None
    if btype == 'maven':
        session.createMavenBuild(buildinfo, type_info)
    elif btype == 'win':
        # the platform the build ran on is unknown for an import
        session.createWinBuild(buildinfo, {'platform': 'import'})
    else:
        session.createImageBuild(buildinfo)
    return buildinfo


def handle_import_archive(goptions, session, args):
    "[admin] Add archive files to a build"
    usage = "usage: %prog import-archive <build-id|n-v-r> <archive_path> [<archive_path2 ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--noprogress", action="store_true", help="no upload progress bar")
    parser.add_option("--create-build", action="store_true",
                      help="create the build when it does not exist")
    parser.add_option("--link", action="store_true",
                      help="hard-link the files into the hub's work area (shared topdir)")
    parser.add_option("--type", help="archive type: maven, win or image")
    parser.add_option("--type-info",
                      help="maven: a local .pom file; win: relpath:platforms[:flags]; "
                           "image: the arch")
    options, args = parser.parse_args(args)
    if not len(args) > 1:
        parser.error("You must specify a build ID or N-V-R and an archive to import")
    activate_session(session, goptions)
    if not options.type:
        parser.error("You must specify an archive type")
    if options.type not in _TYPE_INFO:
        parser.error("Unsupported archive type: %s" % options.type)
    type_info = _TYPE_INFO[options.type](parser, session, options.type_info)
    buildinfo = session.getBuild(arg_filter(args[0]))
    if not buildinfo:
        if not options.create_build:
            parser.error("No such build: %s" % args[0])
        buildinfo = _create_typed_build(session, args[0], options.type, type_info)
    for filepath in args[1:]:
        filename = os.path.basename(filepath)
        print("Uploading archive: %s" % filename)
        serverdir = unique_path('cli-import')
        callback = None if (_running_in_bg() or options.noprogress) else _progress_callback
        if options.link:
            linked_upload(filepath, serverdir)
        else:
            session.uploadWrapper(filepath, serverdir, callback=callback)
        print('')
        session.importArchive("%s/%s" % (serverdir, filename), buildinfo, options.type,
                              type_info)
        print("Imported: %s" % filename)


# -- import-sig ------------------------------------------------------------------------------

def _header_sigkey(data):
    """Short key id of the first signature the rpm carries, '' when unsigned."""
    for field in ('siggpg', 'sigpgp', 'dsaheader', 'rsaheader'):
        if data[field]:
            return koji.get_sigpacket_key_id(data[field])
    return ''


def _import_sig(session, options, path):
    """Store the signature header of one local rpm and have the hub write its signed copy."""
    fields = ('name', 'version', 'release', 'arch', 'siggpg', 'sigpgp', 'dsaheader',
              'rsaheader', 'sourcepackage')
    data = koji.get_header_fields(path, fields)
    if data['sourcepackage']:
        data['arch'] = 'src'
    if options.sigkey is not None:
        sigkey = options.sigkey
    else:
        sigkey = _header_sigkey(data)
        if not sigkey and not options.with_unsigned:
            print("Skipping unsigned package: %s" % path)
            return
    for field in ('siggpg', 'sigpgp', 'dsaheader', 'rsaheader'):
        del data[field]
    rinfo = session.getRPM(data)
    if not rinfo:
        print("No such rpm in system: %s" % (NVRA % data))
        return
    if rinfo.get('external_repo_id'):
        print(("Skipping external rpm: " + NVRA + "@%(external_repo_name)s") % rinfo)
        return
    sighdr = koji.rip_rpm_sighdr(path)
    previous = session.queryRPMSigs(rpm_id=rinfo['id'], sigkey=sigkey)
    if previous:
        if previous[0]['sighash'] == koji.util.md5_constructor(sighdr).hexdigest():
            print("Signature already imported: %s" % path)
        else:
            warn("signature mismatch: %s" % path)
            warn("  The system already has a signature for this rpm with key %s" % sigkey)
            warn("  The two signature headers are not the same")
        return
    kwargs = {}
    if options.sigkey:
        # without it the hub reads the key from the header itself
        kwargs['sigkey'] = options.sigkey
    print("Importing signature [key %s] from %s..." % (sigkey, path))
    if not options.test:
        session.addRPMSig(rinfo['id'], koji.util.base64encode(sighdr), **kwargs)
    print("Writing signed copy")
    if not options.test:
        session.writeSignedRPM(rinfo['id'], sigkey)


def handle_import_sig(goptions, session, args):
    "[admin] Import rpm signatures and write the signed copies"
    usage = "usage: %prog import-sig [options] <package> [<package> ...]"
    parser = OptionParser(usage=get_usage_str(usage))
    parser.add_option("--with-unsigned", action="store_true",
                      help="also import the headers of unsigned rpms")
    # kept for old scripts: signed copies are always written now
    parser.add_option("--write", action="store_true", help=SUPPRESS_HELP)
    parser.add_option("--test", action="store_true", help="only show what would happen")
    parser.add_option("--sigkey", action="store", default=None,
                      help="record the signature under this key")
    options, args = parser.parse_args(args)
    if len(args) < 1:
        parser.error("At least one package must be specified")
    for path in args:
        if not os.path.exists(path):
            parser.error("No such file: %s" % path)
    activate_session(session, goptions)
    for path in args:
        _import_sig(session, options, path)
