"""The public ``koji.*`` names that hub, builder, CLI and scripts rely on."""
import subprocess
import sys

import koji

PUBLIC = '''
    Enum TASK_STATES BUILD_STATES USERTYPES USER_STATUS AUTHTYPES REPO_STATES BR_STATES
    BR_TYPES TAG_UPDATE_TYPES CHECKSUM_TYPES API_VERSION REPO_INIT REPO_READY REPO_EXPIRED
    REPO_DELETED REPO_PROBLEM REPO_MERGE_MODES DEP_REQUIRE DEP_PROVIDE DEP_OBSOLETE
    DEP_CONFLICT DEP_SUGGEST DEP_ENHANCE DEP_SUPPLEMENT DEP_RECOMMEND RPMSENSE_LESS
    RPMSENSE_GREATER RPMSENSE_EQUAL RPM_HEADER_MAGIC RPM_TAG_HEADERSIGNATURES
    RPM_TAG_FILEDIGESTALGO RPM_SIGTAG_DSA RPM_SIGTAG_RSA RPM_SIGTAG_PGP RPM_SIGTAG_MD5
    RPM_SIGTAG_GPG RPM_FILEDIGESTALGO_IDS BASEDIR PRIO_DEFAULT DEFAULT_REQUEST_TIMEOUT
    DEFAULT_AUTH_TIMEOUT DRAFT_RELEASE_DELIMITER DRAFT_RELEASE_FORMAT CONTROL_CHARS
    NONPRINTABLE_CHARS ENTITY_RE PythonImportError pathinfo PathInfo PROFILE_MODULES
    SUPPORTED_OPT_DEP_HDRS __version__ __version_info__
    GenericError LockError AuthError TagError ActionNotAllowed BuildError AuthLockError
    AuthExpired SequenceError RetryError PreBuildError PostBuildError BuildrootError
    FunctionDeprecated ServerOffline LiveCDError PluginError CallbackError ApplianceError
    ParameterError ImportError ConfigurationError LiveMediaError GSSAPIAuthError
    NameValidationError MultiCallInProgress MultiCallNotReady convertFault Fault
    encode_args decode_args decode_args2 decode_int safe_xmlrpc_loads
    parse_NVR parse_NVRA check_NVR check_NVRA is_debuginfo canonArch parse_arches buildLabel
    gen_draft_release parse_target_release mavenLabel maven_info_to_nvr pom_to_maven_info
    read_config read_config_files config_directory_contents grab_session_options
    get_profile_module
    formatTime formatTimeLong taskLabel removeNonprintable fixEncoding fix_encoding
    fixEncodingRecurse format_exc_plus hex_string ensuredir daemonize load_json dump_json
    add_file_logger add_stderr_logger add_sys_logger add_mail_logger remove_log_handler
    ClientSession MultiCallSession VirtualCall is_conn_error is_requests_cert_error
    request_with_retry downloadFile openRemoteFile
    util plugin
'''.split()


def test_public_names_present():
    missing = [name for name in PUBLIC if not hasattr(koji, name)]
    assert missing == []


def test_version():
    assert koji.__version__ == '1.35.3'
    assert koji.__version_info__ == (1, 35, 3)


def test_basedir_default_and_pathinfo_link():
    assert koji.BASEDIR == '/mnt/koji'
    assert koji.pathinfo.build({'name': 'n', 'version': 'v', 'release': 'r'}).startswith(
        koji.BASEDIR)


def test_convert_fault_reexport():
    exc = koji.convertFault(koji.Fault(1019, 'bad args'))
    assert isinstance(exc, koji.ParameterError) and exc.fromFault


def test_basedir_assignment_in_fresh_interpreter():
    """What the CLI and hub do at start-up, in a clean process."""
    code = ('import koji; koji.BASEDIR = "/srv/k"; '
            'print(koji.pathinfo.work()); koji.pathinfo.topdir = "/o"; '
            'print(koji.pathinfo.work())')
    out = subprocess.check_output([sys.executable, '-c', code], cwd=_root())
    assert out.decode().split() == ['/srv/k/work', '/o/work']


def test_submodule_imports_standalone():
    for mod in ('koji.util', 'koji.plugin', 'koji.pathinfo', 'koji.config', 'koji.nvr'):
        subprocess.check_call([sys.executable, '-c', 'import %s' % mod], cwd=_root())


def _root():
    import os
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
