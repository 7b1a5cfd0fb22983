"""The Koji client/server library.

This package only re-exports: the code lives in the submodules, each owning one
topic (see docs/architecture.md). Names here are the public ``koji.*`` API that
hub, builder, CLI, web and third-party scripts rely on.

``koji.BASEDIR`` and ``koji.pathinfo`` are meant to be reassigned/configured by
the program (``koji.BASEDIR = topdir; koji.pathinfo.topdir = topdir``);
``koji.pathinfo`` falls back to the current ``koji.BASEDIR`` when no topdir is set.
"""
# Every import below is a re-export, hence the F401 (unused import) waivers.

from koji._version import __version__, __version_info__  # noqa: F401
from koji.constants import (  # noqa: F401
    API_VERSION,
    AUTHTYPES,
    BASEDIR,
    BR_STATES,
    BR_TYPES,
    BUILD_STATES,
    CHECKSUM_TYPES,
    CONTROL_CHARS,
    DEFAULT_AUTH_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT,
    DEP_CONFLICT,
    DEP_ENHANCE,
    DEP_OBSOLETE,
    DEP_PROVIDE,
    DEP_RECOMMEND,
    DEP_REQUIRE,
    DEP_SUGGEST,
    DEP_SUPPLEMENT,
    DRAFT_RELEASE_DELIMITER,
    DRAFT_RELEASE_FORMAT,
    ENTITY_RE,
    NONPRINTABLE_CHARS,
    PRIO_DEFAULT,
    REPO_DELETED,
    REPO_EXPIRED,
    REPO_INIT,
    REPO_MERGE_MODES,
    REPO_PROBLEM,
    REPO_READY,
    REPO_STATES,
    RPM_FILEDIGESTALGO_IDS,
    RPM_HEADER_MAGIC,
    RPM_SIGTAG_DSA,
    RPM_SIGTAG_GPG,
    RPM_SIGTAG_MD5,
    RPM_SIGTAG_PGP,
    RPM_SIGTAG_RSA,
    RPM_TAG_FILEDIGESTALGO,
    RPM_TAG_HEADERSIGNATURES,
    RPMSENSE_EQUAL,
    RPMSENSE_GREATER,
    RPMSENSE_LESS,
    SUPPORTED_OPT_DEP_HDRS,
    TAG_UPDATE_TYPES,
    TASK_STATES,
    USER_STATUS,
    USERTYPES,
    Enum,
    PythonImportError,
)
from koji.exceptions import (  # noqa: F401
    ActionNotAllowed,
    ApplianceError,
    AuthError,
    AuthExpired,
    AuthLockError,
    BuildError,
    BuildrootError,
    CallbackError,
    ConfigurationError,
    FunctionDeprecated,
    GenericError,
    GSSAPIAuthError,
    ImportError,
    LiveCDError,
    LiveMediaError,
    LockError,
    MultiCallInProgress,
    MultiCallNotReady,
    NameValidationError,
    ParameterError,
    PluginError,
    PostBuildError,
    PreBuildError,
    RetryError,
    SequenceError,
    ServerOffline,
    TagError,
    convertFault,
)
from koji.xmlrpcplus import DateTime, Fault, dumps, getparser, loads  # noqa: F401
from koji.args import (  # noqa: F401
    decode_args,
    decode_args2,
    decode_int,
    encode_args,
    safe_xmlrpc_loads,
)
from koji.nvr import (  # noqa: F401
    buildLabel,
    canonArch,
    check_NVR,
    check_NVRA,
    gen_draft_release,
    is_debuginfo,
    maven_info_to_nvr,
    mavenLabel,
    parse_arches,
    parse_NVR,
    parse_NVRA,
    parse_pom,
    parse_target_release,
    pom_to_maven_info,
)
from koji.pathinfo import PathInfo, pathinfo  # noqa: F401
from koji.comps import generate_comps, make_groups_spec  # noqa: F401
from koji.mockconfig import genMockConfig  # noqa: F401
from koji.config import (  # noqa: F401
    PROFILE_MODULES,
    config_directory_contents,
    get_profile_module,
    grab_session_options,
    read_config,
    read_config_files,
)
from koji.formatting import (  # noqa: F401
    fix_encoding,
    fixEncoding,
    fixEncodingRecurse,
    format_exc_plus,
    formatTime,
    formatTimeLong,
    hex_string,
    removeNonprintable,
    taskLabel,
)
from koji.logs import (  # noqa: F401
    add_file_logger,
    add_mail_logger,
    add_stderr_logger,
    add_sys_logger,
    remove_log_handler,
)
from koji.osutil import daemonize, dump_json, ensuredir, load_json  # noqa: F401
from koji.rpmheader import (  # noqa: F401
    RawHeader,
    SplicedSigStreamReader,
    check_rpm_file,
    find_rpm_sighdr,
    get_header_field,
    get_header_fields,
    get_rpm_header,
    get_sighdr_key,
    get_sigpacket_key_id,
    multibyte,
    rip_rpm_hdr,
    rip_rpm_sighdr,
    rpm_hdr_size,
    splice_rpm_sighdr,
    spliced_sig_reader,
)

# submodules that callers use as koji.util.* / koji.plugin.* after a bare "import koji"
from koji import util  # noqa: F401
from koji import plugin  # noqa: F401

# the session layer (ClientSession and friends)
from koji.multicall import (  # noqa: F401
    MultiCallHack,
    MultiCallSession,
    VirtualCall,
    VirtualMethod,
)
from koji.client import (  # noqa: F401
    ClientSession,
    downloadFile,
    is_conn_error,
    is_requests_cert_error,
    openRemoteFile,
    request_with_retry,
)
