"""Signal receivers, for decoupled side effects only (STYLE.md): connected in `PaywallConfig.ready`."""

from __future__ import annotations

from .services.funnel import funnel_reader_forget


def account_deleted_unlink_funnel(sender, instance, **kwargs) -> None:
    """Privacy: however an account is deleted (the reader, staff in the admin), its funnel events stop pointing
    to it; the counts remain."""
    funnel_reader_forget(user_id=instance.pk)
