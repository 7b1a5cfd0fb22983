"""The Koji hub package.

Third-party hub plugins do ``from kojihub import get_user, QueryProcessor`` (or
``kojihub.get_tag(...)``), so the module-level helpers they rely on are re-exported
here.  The code itself lives in the domain modules (see docs/architecture.md).
"""
# Every import below is a re-export, hence the F401 waivers.

from koji.context import context  # noqa: F401

from .core.db import (  # noqa: F401
    BulkInsertProcessor,
    DeleteProcessor,
    InsertProcessor,
    QueryProcessor,
    Savepoint,
    UpdateProcessor,
    _dml,
    _fetchSingle,
    _multiRow,
    _singleRow,
    _singleValue,
    currval,
    db_lock,
    get_event,
    nextval,
)
from .core.names import verify_name_internal, verify_name_user  # noqa: F401
from .users.users import (  # noqa: F401
    add_group_member,
    check_krb_principal,
    create_user,
    drop_group_member,
    edit_user,
    get_group_members,
    get_user,
    get_user_by_krb_principal,
    get_user_groups,
    list_user_krb_principals,
    list_users,
    new_group,
    remove_krb_principal,
    set_krb_principal,
)
from .users.perms import (  # noqa: F401
    edit_permission,
    get_all_perms,
    get_user_perms,
    grant_permission,
    has_perm,
    lookup_perm,
    revoke_permission,
)
from .core.versioning import eventCondition  # noqa: F401
from .core.lookup import get_id, lookup_name  # noqa: F401
from .tags.tags import (  # noqa: F401
    assert_tag_access,
    check_tag_access,
    create_tag,
    delete_tag,
    edit_tag,
    get_build_config,
    get_tag,
    get_tag_extra,
    get_tag_id,
    get_tags_bulk,
    list_tags,
    old_edit_tag,
)
from .tags.inheritance import (  # noqa: F401
    get_full_inheritance,
    get_inheritance_data,
    readDescendantsData,
    readFullInheritance,
    readInheritanceData,
    set_inheritance_data,
)
from .tags.targets import (  # noqa: F401
    create_build_target,
    delete_build_target,
    edit_build_target,
    get_build_target,
    get_build_targets,
)
from .tags.internal import (  # noqa: F401
    _create_build_target,
    _create_tag,
    _delete_build_target,
    _delete_tag,
    _edit_tag,
)
from .tasks.task_actions import make_task  # noqa: F401
from .tags.packages import (  # noqa: F401
    _direct_pkglist_add,
    check_tag_package,
    get_package_config,
    get_package_id,
    list_packages,
    list_packages_simple,
    lookup_package,
    pkglist_add,
    pkglist_block,
    pkglist_remove,
    pkglist_setarches,
    pkglist_setowner,
    pkglist_unblock,
    readPackageList,
)
from .tags.groups import (  # noqa: F401
    _grp_pkg_add,
    _grp_req_add,
    _grplist_add,
    _grplist_remove,
    get_group_id,
    get_tag_groups,
    grp_pkg_add,
    grp_pkg_block,
    grp_pkg_remove,
    grp_pkg_unblock,
    grp_req_add,
    grp_req_block,
    grp_req_remove,
    grp_req_unblock,
    grplist_add,
    grplist_block,
    grplist_remove,
    grplist_unblock,
    lookup_group,
    readTagGroups,
)
from .hosts.hosts import (  # noqa: F401
    add_host,
    edit_host,
    get_all_arches,
    get_host,
    get_last_host_update,
    list_hosts,
    set_host_enabled,
)
from .hosts.channels import (  # noqa: F401
    add_channel,
    add_host_to_channel,
    edit_channel,
    get_channel,
    list_channels,
    remove_channel,
    remove_host_from_channel,
    rename_channel,
    set_channel_enabled,
)
from .builds.builds import (  # noqa: F401
    find_build_id,
    get_build,
    list_btypes,
    list_builds,
)
from .tasks.tasks import (  # noqa: F401
    get_task_children,
    get_task_descendents,
    get_task_info,
    get_task_request,
    get_task_result,
    list_tasks,
    task_finished,
)
from .core.history import (  # noqa: F401
    get_event_info,
    get_last_event,
    query_history,
    tag_changed_since_event,
    tag_first_change_event,
    tag_last_change_event,
)
from .tags.external_repos import (  # noqa: F401
    add_external_repo_to_tag,
    create_external_repo,
    delete_external_repo,
    edit_external_repo,
    edit_tag_external_repo,
    get_external_repo,
    get_external_repo_data,
    get_external_repo_list,
    get_external_repos,
    get_tag_external_repos,
    remove_external_repo_from_tag,
    set_external_repo_data,
)
from .core.policy import (  # noqa: F401
    assert_policy,
    check_policy,
    eval_policy,
    get_policy,
    load_policies,
    policy_get_build,
    policy_get_user,
    register_test,
)
from .builds.build_lifecycle import (  # noqa: F401
    build_references,
    cancel_build,
    delete_build,
    get_average_build_duration,
    reset_build,
    set_build_owner,
    set_build_timestamp,
    untagged_builds,
)
from .builds.build_import import (  # noqa: F401
    check_noarch_rpms,
    ensure_volume_symlink,
    import_build,
)
from .builds.draft import _promote_build, ensure_volume_backlink  # noqa: F401
from .builds.rpm_batch import import_build_log  # noqa: F401
from .builds.scratch import merge_scratch  # noqa: F401
from .builds.build_write import (  # noqa: F401
    add_btype,
    check_volume_policy,
    new_build,
    new_typed_build,
)
from .tasks.uploads import (  # noqa: F401
    check_upload,
    download_task_output,
    get_upload_path,
    get_verify_class,
    handle_upload,
    list_task_output,
)
from .builds.rpms import (  # noqa: F401
    add_external_rpm,
    get_rpm,
    list_rpms,
)
from .builds.rpm_import import import_rpm, import_rpm_file  # noqa: F401,E402
from .builds.archives import (  # noqa: F401
    add_archive_type,
    get_archive,
    get_archive_file,
    get_archive_type,
    get_archive_types,
    import_archive,
    list_archive_files,
    list_archives,
)
from .builds.buildroots import (  # noqa: F401
    get_buildroot,
    get_buildroot_listing,
    query_buildroots,
)
from .builds.volumes import (  # noqa: F401
    add_volume,
    apply_volume_policy,
    change_build_volume,
    get_volume,
    list_volumes,
    remove_volume,
)
from .notifications.notifications import (  # noqa: F401
    get_build_notification,
    get_build_notification_block,
    get_build_notification_blocks,
    get_build_notifications,
)
from .notifications.notify import (  # noqa: F401
    build_notification,
    get_notification_recipients,
)
from .api.search import search  # noqa: F401
from .builds.signatures import (  # noqa: F401
    add_rpm_sig,
    delete_rpm_sig,
    query_rpm_sigs,
    write_signed_rpm,
)
from .builds.sig_rename import rename_rpm_sig  # noqa: F401,E402
from .tags.tagging import (  # noqa: F401
    _tag_build,
    _untag_build,
    set_tag_update,
    tag_notification,
)
from .tags.tagged import (  # noqa: F401
    maven_tag_archives,
    read_tagged_archives,
    read_tagged_builds,
    read_tagged_rpms,
)
from .builds.build_info import (  # noqa: F401
    get_build_type,
    get_build_logs,
    get_changelog_entries,
    get_image_archive,
    get_image_build,
    get_maven_archive,
    get_maven_build,
    get_next_release,
    get_win_archive,
    get_win_build,
)
from .repos.repos import get_active_repos, repo_info, repo_references  # noqa: F401,E402
from .repos.state import (  # noqa: F401,E402
    repo_delete,
    repo_expire,
    repo_problem,
    repo_ready,
    repo_set_state,
)
from .repos.init import repo_init  # noqa: F401,E402
from .repos.dist import dist_repo_init  # noqa: F401,E402
from .repos.opts import convert_value  # noqa: F401,E402
from .cg.access import assert_cg, grant_cg_access, list_cgs, revoke_cg_access  # noqa: F401,E402
from .cg.importer import CG_Importer, cg_import  # noqa: F401,E402
from .cg.metadata import parse_json  # noqa: F401,E402
from .cg.reserve import (  # noqa: F401,E402
    cg_init_build,
    cg_refund_build,
    clear_reservation,
    generate_token,
    get_reservation_token,
)
from .api.exports import RootExports  # noqa: F401,E402
from .api.host_exports import HostExports  # noqa: F401,E402

# Upstream's hub is split into the modules kojihub.db, .auth, .scheduler, .repos,
# .kojixmlrpc and .kojihub; plugins written for it import from those names, so each is
# the module (or package) here that owns the same things.
import sys as _sys  # noqa: E402

from .core import auth as _auth, db as _db, dispatcher as _dispatcher  # noqa: E402
from .tasks import scheduler as _scheduler  # noqa: E402

for _name, _module in (('db', _db), ('auth', _auth), ('scheduler', _scheduler),
                       ('kojixmlrpc', _dispatcher), ('kojihub', _sys.modules[__name__])):
    _sys.modules['%s.%s' % (__name__, _name)] = _module
    globals()[_name] = _module
del _name, _module

# upstream's camel-case names of the tagged-content readers (tag2distrepo imports them)
readTaggedArchives = read_tagged_archives
readTaggedBuilds = read_tagged_builds
readTaggedRPMS = read_tagged_rpms
