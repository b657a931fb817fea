"""Which principals reconciliation may touch: what the identity templates name, and known ones."""

from scheduler.reconcile_scope import Scope
from tests.support import catalogs

ROLE = "arn:aws:iam::123456789012:role/DatabasesRole_alice_smith"


def scope(identity: dict, known: tuple[str, ...] = ()) -> Scope:
    return Scope.of(catalogs.make_catalog(catalogs.catalog_data(identity=identity)), known)


def test_the_base_template_covers_every_handle_in_any_account_and_nothing_else() -> None:
    found = scope(catalogs.BASE["identity"])
    assert found.kinds == {"role"}
    assert found.covers(ROLE)
    assert found.covers("arn:aws:iam::222222222222:role/DatabasesRole_bob")
    assert not found.covers("arn:aws:iam::123456789012:role/OtherTeam_alice_smith")
    assert not found.covers("arn:aws:iam::123456789012:role/DatabasesRole_")
    assert not found.covers("arn:aws:iam::123456789012:role/DatabasesRole_a/b")
    assert not found.covers("arn:aws:iam::123456789012:user/DatabasesRole_alice_smith")


def test_paths_levels_users_and_overrides_are_all_in_scope() -> None:
    identity = {
        "principal": "arn:aws:iam::{account_id}:role/db/Db_{handle}_{level}",
        "db_user": "{handle}_{level}",
        "overrides": {
            "root@example.com": {"principal": "arn:aws:iam::{account_id}:user/break-glass"}
        },
    }
    found = scope(identity)
    assert found.kinds == {"role", "user"}
    assert found.covers("arn:aws:iam::123456789012:role/db/Db_alice_rw")
    assert not found.covers("arn:aws:iam::123456789012:role/db/Db_alice_admin")
    assert not found.covers("arn:aws:iam::123456789012:role/Db_alice_ro")  # path differs
    assert found.covers("arn:aws:iam::123456789012:user/break-glass")


def test_principals_of_known_grants_stay_in_scope_after_the_template_changes() -> None:
    old_user = "arn:aws:iam::123456789012:user/legacy_alice"
    found = scope(catalogs.BASE["identity"], known=(old_user,))
    assert found.kinds == {"role", "user"}
    assert found.covers(old_user) and found.covers(ROLE)
